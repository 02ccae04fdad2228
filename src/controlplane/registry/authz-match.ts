/**
 * Value conversions for AuthorizationPolicy rules at the node proxy, as istiod makes them for
 * ztunnel (pilot/pkg/serviceregistry/kube/controller/ambient/authorization.go):
 *   - strings: "*" is presence (any non-empty value), "*x" a suffix match, "x*" a prefix match,
 *     anything else exact (checked in that order, so "*x*" is a suffix match on "x*");
 *   - ports: decimal 0..65535; anything else can never match and is dropped;
 *   - IP blocks: an address or CIDR, a bare address meaning /32 or /128; unparsable ones dropped;
 *   - serviceAccounts "ns/sa" (or "sa", in the policy's namespace) match the peer's namespace and
 *     service account whatever its trust domain, which a principal suffix "/ns/<ns>/sa/<sa>" says
 *     exactly (ztunnel compares principals without the "spiffe://" prefix).
 * Principals are kept as written ("cluster.local/ns/default/sa/sleep"): the evaluator compares
 * them with the peer's SPIFFE ID after stripping "spiffe://", as ztunnel's matches_principal does.
 */
import type { AddressMatch, L4Match, StringMatch } from "../../model/authorization.js";
import { normalizeIpBlock } from "./cidr.js";

export function stringMatch(value: string): StringMatch {
  if (value === "*") return { kind: "presence", value: "" };
  if (value.startsWith("*")) return { kind: "suffix", value: value.slice(1) };
  if (value.endsWith("*")) return { kind: "prefix", value: value.slice(0, -1) };
  return { kind: "exact", value };
}

/** Converted values plus the ones that could not be understood (never matching anything). */
export interface Converted<T> {
  values: T[];
  invalid: string[];
}

export function toPorts(values: readonly string[]): Converted<number> {
  const out: Converted<number> = { values: [], invalid: [] };
  for (const v of values) {
    const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
    if (n >= 0 && n <= 65535) out.values.push(n);
    else out.invalid.push(v);
  }
  return out;
}

export function toAddresses(values: readonly string[]): Converted<AddressMatch> {
  const out: Converted<AddressMatch> = { values: [], invalid: [] };
  for (const v of values) {
    const cidr = v === "" ? undefined : normalizeIpBlock(v);
    if (cidr) out.values.push({ cidr });
    else out.invalid.push(v);
  }
  return out;
}

export function serviceAccountPrincipal(value: string, policyNamespace: string): StringMatch {
  const slash = value.indexOf("/");
  const [ns, sa] = slash < 0 ? [policyNamespace, value] : [value.slice(0, slash), value.slice(slash + 1)];
  return { kind: "suffix", value: `/ns/${ns}/sa/${sa}` };
}

export function isEmptyMatch(m: L4Match): boolean {
  return Object.values(m).every((list: readonly unknown[]) => list.length === 0);
}

/** The L4Match field pair (positive, not*) a source/operation field or L4 `when` key fills. */
export type MatchField = "namespaces" | "principals" | "sourceIps" | "destinationIps" | "destinationPorts";

/**
 * Adds `values` to `m`'s `field` (or its not* twin) and returns the values that could not be
 * understood. A positive list whose every value was invalid can never match: the caller must
 * then treat the whole match as unmatchable rather than as unconstrained.
 */
export function fill(m: L4Match, field: MatchField, values: readonly string[], negate: boolean): string[] {
  switch (field) {
    case "sourceIps":
    case "destinationIps": {
      const c = toAddresses(values);
      const key =
        field === "sourceIps"
          ? negate
            ? "notSourceIps"
            : "sourceIps"
          : negate
            ? "notDestinationIps"
            : "destinationIps";
      m[key].push(...c.values);
      return c.invalid;
    }
    case "destinationPorts": {
      const c = toPorts(values);
      m[negate ? "notDestinationPorts" : "destinationPorts"].push(...c.values);
      return c.invalid;
    }
    case "namespaces":
      m[negate ? "notNamespaces" : "namespaces"].push(...values.map(stringMatch));
      return [];
    case "principals":
      m[negate ? "notPrincipals" : "principals"].push(...values.map(stringMatch));
      return [];
  }
}

/**
 * The `when` keys ztunnel can check (l4WhenAttributes in istiod), except source.serviceAccount,
 * handled on its own (authz-rules.ts). Every other key — request.*, remote.ip, connection.sni,
 * experimental.* — needs the HTTP layer.
 */
export const L4_WHEN_KEYS: Record<string, MatchField> = {
  "source.ip": "sourceIps",
  "source.namespace": "namespaces",
  "source.principal": "principals",
  "destination.ip": "destinationIps",
  "destination.port": "destinationPorts",
};
