/**
 * The L4 authorization decision for one connection, from the policies that apply to its
 * destination workload (select.ts). Order, as Istio documents AuthorizationPolicy
 * (istio.io/latest/docs/reference/config/security/authorization-policy/) and ztunnel implements it
 * (src/state.rs DemandProxyState::assert_rbac):
 *   1. CUSTOM: a matching CUSTOM policy denies. There is no external authorizer at L4, so the node
 *      proxy fails closed instead of ignoring it (istiod refuses CUSTOM for ztunnel outright).
 *   2. DENY: a matching DENY policy denies.
 *   3. ALLOW: with no ALLOW policy the connection is allowed; with some, one must match.
 * AUDIT policies never decide; the ones with a matching rule are listed in `audit`.
 * Dry-run policies (istio.io/dry-run) are evaluated and reported, never enforced, as ztunnel does
 * (istio/ztunnel#1659: dry-run DENY and ALLOW matches are logged; #1745: "no dry-run ALLOW policy
 * matched" is reported, here as `dryRunAllowed: false`).
 * Every policy is evaluated, so the audit and dry-run reports are complete whatever decided.
 */
import type { CompiledPolicy } from "./compile.js";
import { connectionFacts } from "./facts.js";
import type { AuthzDecision, ConnectionAttributes, DryRunResult } from "./types.js";

interface Hit {
  policy: CompiledPolicy;
  /** Index of the matching rule; undefined when the policy does not match. */
  rule: number | undefined;
}

type Verdict = Pick<AuthzDecision, "allowed" | "decidedBy" | "reason">;

export function authorize(policies: readonly CompiledPolicy[], conn: ConnectionAttributes): AuthzDecision {
  const facts = connectionFacts(conn);
  const hits: Hit[] = policies.map((policy) => ({ policy, rule: policy.matchingRule(facts) }));
  const enforced = hits.filter((h) => !h.policy.dryRun);
  const dryRun = hits.filter((h) => h.policy.dryRun).map(dryRunResult);
  const audit = enforced
    .filter((h) => h.policy.action === "AUDIT" && h.rule !== undefined)
    .map((h) => h.policy.key);
  const decision: AuthzDecision = { ...decide(enforced), dryRun, audit };
  if (dryRun.length > 0) decision.dryRunAllowed = decide(hits).allowed;
  return decision;
}

function decide(hits: readonly Hit[]): Verdict {
  const first = (action: string) => hits.find((h) => h.policy.action === action && h.rule !== undefined);
  const custom = first("CUSTOM");
  if (custom) {
    return denyBy(
      custom,
      `CUSTOM policy ${custom.policy.key} (rule ${custom.rule}) matched; the node proxy has no external authorizer at L4, so the connection is denied (fail closed) — attach the policy to a waypoint with targetRefs`,
    );
  }
  const deny = first("DENY");
  if (deny) return denyBy(deny, `denied by DENY policy ${deny.policy.key} (rule ${deny.rule})`);

  const allows = hits.filter((h) => h.policy.action === "ALLOW");
  if (allows.length === 0) {
    const reason =
      hits.length === 0
        ? "no authorization policy applies"
        : "no DENY or CUSTOM policy matched and no ALLOW policy applies";
    return { allowed: true, reason };
  }
  const allow = allows.find((h) => h.rule !== undefined);
  if (allow) {
    return {
      allowed: true,
      decidedBy: { policy: allow.policy.key, action: "ALLOW", rule: allow.rule },
      reason: withWarning(`allowed by ALLOW policy ${allow.policy.key} (rule ${allow.rule})`, allow),
    };
  }
  const names = allows.map((h) => h.policy.key).join(", ");
  const warned = allows.filter((h) => h.policy.source.l7Warning);
  const note =
    warned.length > 0
      ? `; ${warned.map((h) => h.policy.key).join(", ")} had rules left out because the node proxy cannot check HTTP attributes`
      : "";
  return { allowed: false, reason: `no ALLOW policy matched (applies: ${names})${note}` };
}

function denyBy(hit: Hit, reason: string): Verdict {
  return {
    allowed: false,
    decidedBy: { policy: hit.policy.key, action: hit.policy.action, rule: hit.rule },
    reason: withWarning(reason, hit),
  };
}

function withWarning(reason: string, hit: Hit): string {
  const w = hit.policy.source.l7Warning;
  return w ? `${reason}; note: ${w}` : reason;
}

function dryRunResult(h: Hit): DryRunResult {
  const matched = h.rule !== undefined;
  const wouldAllow = h.policy.action === "ALLOW" ? matched : h.policy.action === "AUDIT" ? true : !matched;
  const out: DryRunResult = { policy: h.policy.key, action: h.policy.action, wouldAllow };
  if (matched) out.rule = h.rule;
  return out;
}
