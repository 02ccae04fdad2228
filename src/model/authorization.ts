/**
 * An AuthorizationPolicy as the node proxy enforces it, after the control plane has resolved its
 * scope. Mirrors the meaning of Istio's istio.security.Authorization: a policy is a list of
 * rules; a rule matches when every one of its clauses matches; a clause matches when any of its
 * matches does; a match is a set of fields that must all hold (the `not*` ones must not).
 */
export type AuthorizationScope = "GLOBAL" | "NAMESPACE" | "WORKLOAD_SELECTOR";
export type AuthorizationAction = "ALLOW" | "DENY" | "AUDIT" | "CUSTOM";

export interface StringMatch {
  /** exact, prefix ("abc*"), suffix ("*abc") or presence ("*"), as in Istio's string rules. */
  kind: "exact" | "prefix" | "suffix" | "presence";
  value: string;
}

export interface AddressMatch {
  /** CIDR, e.g. "10.0.0.0/8"; a bare IP is normalized to /32 or /128. */
  cidr: string;
}

export interface L4Match {
  namespaces: StringMatch[];
  notNamespaces: StringMatch[];
  principals: StringMatch[];
  notPrincipals: StringMatch[];
  sourceIps: AddressMatch[];
  notSourceIps: AddressMatch[];
  destinationIps: AddressMatch[];
  notDestinationIps: AddressMatch[];
  destinationPorts: number[];
  notDestinationPorts: number[];
}

/** An L4Match with every list empty (it matches any connection), then `fields`. */
export function l4Match(fields: Partial<L4Match> = {}): L4Match {
  return {
    namespaces: [],
    notNamespaces: [],
    principals: [],
    notPrincipals: [],
    sourceIps: [],
    notSourceIps: [],
    destinationIps: [],
    notDestinationIps: [],
    destinationPorts: [],
    notDestinationPorts: [],
    ...fields,
  };
}

/** Clause = one `from` source, `to` operation or `when` condition group: any match satisfies it. */
export interface Clause {
  matches: L4Match[];
}

/** Rule = one entry of spec.rules: every clause must match. */
export interface Rule {
  clauses: Clause[];
}

export interface Authorization {
  name: string;
  namespace: string;
  scope: AuthorizationScope;
  action: AuthorizationAction;
  rules: Rule[];
  /** istio.io/dry-run annotation: evaluated and logged, never enforced. */
  dryRun: boolean;
  /**
   * Set when the policy carries attributes only a waypoint can check (paths, methods, request
   * principals...). Istio's ztunnel then enforces it as if it matched nothing useful: an ALLOW
   * policy keeps nothing allowed from its L7 rules and a DENY policy denies more broadly (fail
   * closed). The text says which fields caused it.
   */
  l7Warning?: string;
}
