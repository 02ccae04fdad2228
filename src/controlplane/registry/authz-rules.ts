/**
 * One AuthorizationPolicy rule as the node proxy enforces it. The shape follows istiod's
 * conversion for ztunnel (handleRule in pilot/pkg/serviceregistry/kube/controller/ambient/
 * authorization.go): the `to` operations form one clause, the `from` sources another, and each
 * `when` condition one more; a rule matches when all its clauses do, a clause when any match does.
 * A rule `{}` therefore has no clause and matches every connection.
 *
 * Attributes the node proxy cannot see (HTTP ones, listed in `l7`) fail closed, as istiod intends:
 *   - in an ALLOW policy a rule that uses them is dropped: that rule allows nothing;
 *   - in a DENY policy (and AUDIT/CUSTOM, where matching more is the safe side) they are removed
 *     and the rest of the rule still applies, so it matches more broadly.
 * Istio's ztunnel actually skips a match left empty by that removal, so a DENY rule with only HTTP
 * attributes does nothing there (istio/istio#61126). Ambit keeps the fail-closed intent: a clause
 * left unconstrained is removed from the rule, and a rule with no clause left matches everything.
 *
 * No empty match or empty clause is ever emitted, so evaluators need no convention for them.
 */
import { L7_OPERATION_FIELDS, L7_SOURCE_FIELDS } from "../../api/kinds/security-attributes.js";
import { l4Match, type L4Match, type Rule } from "../../model/authorization.js";
import { fill, isEmptyMatch, L4_WHEN_KEYS, serviceAccountPrincipal, type MatchField } from "./authz-match.js";
import type { OperationView, RuleView, SourceView } from "./views.js";

/** "allow": matching less is safe (ALLOW). "deny": matching more is safe (DENY, AUDIT, CUSTOM). */
export type Polarity = "allow" | "deny";

export interface RuleSink {
  /** Names of the HTTP-only fields met (for l7Warning). */
  l7: Set<string>;
  /** Other things worth telling the operator (bad values, inexpressible combinations). */
  notes: string[];
}

interface Draft {
  match: L4Match;
  /** A positive field had only invalid values: this match can never hold. */
  unmatchable: boolean;
}

const SERVICE_ACCOUNT_KEY = "source.serviceAccount";

export function convertRule(
  rule: RuleView,
  policyNs: string,
  polarity: Polarity,
  at: string,
  sink: RuleSink,
): Rule | undefined {
  const state = { unenforceable: false };
  const clauses: Draft[][] = [];

  const to = rule.to ?? [];
  if (to.length > 0)
    clauses.push(
      to.map((t, j) => operationDraft(t.operation ?? {}, `${at}.to[${j}].operation`, sink, state)),
    );
  const from = rule.from ?? [];
  if (from.length > 0)
    clauses.push(
      from.map((f, j) => sourceDraft(f.source ?? {}, policyNs, `${at}.from[${j}].source`, sink, state)),
    );
  (rule.when ?? []).forEach((c, j) => {
    const d: Draft = { match: l4Match(), unmatchable: false };
    const field = L4_WHEN_KEYS[c.key ?? ""];
    if (c.key === SERVICE_ACCOUNT_KEY) {
      // Not in istiod's l4WhenAttributes, so Istio's ztunnel fails it closed; but the peer's
      // service account is part of its identity, which the node proxy has, and Ambit's
      // validation classes the key as L4. Same conversion as source.serviceAccounts.
      d.match.principals.push(...(c.values ?? []).map((v) => serviceAccountPrincipal(v, policyNs)));
      d.match.notPrincipals.push(...(c.notValues ?? []).map((v) => serviceAccountPrincipal(v, policyNs)));
    } else if (!field) {
      sink.l7.add(c.key ?? "");
      state.unenforceable = true;
    } else {
      if (blank({ v: c.values, n: c.notValues }))
        sink.notes.push(`${at}.when[${j}] has no values; it is treated as matching anything`);
      put(d, field, c.values, false, `${at}.when[${j}].values`, sink);
      put(d, field, c.notValues, true, `${at}.when[${j}].notValues`, sink);
    }
    clauses.push([d]);
  });

  // Fail closed: an ALLOW rule that cannot be checked completely is never satisfied.
  if (polarity === "allow" && state.unenforceable) return undefined;

  const out: Rule = { clauses: [] };
  for (const drafts of clauses) {
    const usable = drafts.filter((d) => !d.unmatchable);
    if (usable.length === 0) return undefined; // no match of this clause can ever hold
    if (usable.some((d) => isEmptyMatch(d.match))) continue; // unconstrained: the clause always holds
    out.clauses.push({ matches: usable.map((d) => d.match) });
  }
  return out;
}

function put(
  d: Draft,
  field: MatchField,
  values: readonly string[] | undefined,
  negate: boolean,
  at: string,
  sink: RuleSink,
): void {
  if (!values || values.length === 0) return;
  const invalid = fill(d.match, field, values, negate);
  if (invalid.length === 0) return;
  sink.notes.push(
    `${at}: ${invalid.map((v) => JSON.stringify(v)).join(", ")} can never match and ${invalid.length > 1 ? "are" : "is"} ignored`,
  );
  if (!negate && invalid.length === values.length) d.unmatchable = true;
}

function operationDraft(
  op: OperationView,
  at: string,
  sink: RuleSink,
  state: { unenforceable: boolean },
): Draft {
  const d: Draft = { match: l4Match(), unmatchable: false };
  if (blank(op)) sink.notes.push(`${at} is empty; it is treated as matching any operation`);
  put(d, "destinationPorts", op.ports, false, `${at}.ports`, sink);
  put(d, "destinationPorts", op.notPorts, true, `${at}.notPorts`, sink);
  markL7(op, L7_OPERATION_FIELDS, sink, state);
  return d;
}

function sourceDraft(
  src: SourceView,
  policyNs: string,
  at: string,
  sink: RuleSink,
  state: { unenforceable: boolean },
): Draft {
  const d: Draft = { match: l4Match(), unmatchable: false };
  if (blank(src)) sink.notes.push(`${at} is empty; it is treated as matching any source`);
  put(d, "principals", src.principals, false, `${at}.principals`, sink);
  put(d, "principals", src.notPrincipals, true, `${at}.notPrincipals`, sink);
  put(d, "namespaces", src.namespaces, false, `${at}.namespaces`, sink);
  put(d, "namespaces", src.notNamespaces, true, `${at}.notNamespaces`, sink);
  put(d, "sourceIps", src.ipBlocks, false, `${at}.ipBlocks`, sink);
  put(d, "sourceIps", src.notIpBlocks, true, `${at}.notIpBlocks`, sink);
  // Excluded service accounts are excluded principals: "none of A" and "none of B" is "none of A∪B".
  d.match.notPrincipals.push(
    ...(src.notServiceAccounts ?? []).map((v) => serviceAccountPrincipal(v, policyNs)),
  );
  const accounts = src.serviceAccounts ?? [];
  if (accounts.length > 0 && (src.principals ?? []).length > 0) {
    // Both must hold, but L4Match has one principals list (any of) and no service-account field.
    sink.notes.push(
      `${at}: serviceAccounts together with principals cannot be enforced by the node proxy yet; the source is treated as unenforceable (fail closed)`,
    );
    state.unenforceable = true;
  } else {
    d.match.principals.push(...accounts.map((v) => serviceAccountPrincipal(v, policyNs)));
  }
  markL7(src, L7_SOURCE_FIELDS, sink, state);
  return d;
}

function markL7<T extends object>(
  obj: T,
  fields: readonly (keyof T)[],
  sink: RuleSink,
  state: { unenforceable: boolean },
): void {
  for (const f of fields) {
    const v = obj[f];
    if (Array.isArray(v) && v.length > 0) {
      sink.l7.add(String(f));
      state.unenforceable = true;
    }
  }
}

/** No field with a value: Istio's validation rejects such a source/operation/condition. */
function blank(obj: object): boolean {
  return Object.values(obj).every((v) => v === undefined || (Array.isArray(v) && v.length === 0));
}
