/**
 * Istio AuthorizationPolicy -> the Authorization the node proxy enforces, following istiod's
 * convertAuthorizationPolicy (pilot/pkg/serviceregistry/kube/controller/ambient/authorization.go):
 *
 * - A policy with targetRef/targetRefs binds to a waypoint or gateway and is not for the node
 *   proxy: it is skipped here.
 * - Scope: with a selector, WORKLOAD_SELECTOR (listed on the workloads it selects); without one,
 *   NAMESPACE, or GLOBAL in the root namespace. A selector with no labels is read as no selector,
 *   as the API documents it ("if not set, applies to all workloads in the namespace").
 * - Rules: see authz-rules.ts. No rules: an ALLOW policy allows nothing, a DENY policy denies
 *   nothing. HTTP attributes set `l7Warning`, naming the fields, like istiod's status message.
 * - Annotation istio.io/dry-run parsed as Go's strconv.ParseBool (istio/istio#58657).
 * - AUDIT and CUSTOM are carried through as the model allows (istiod refuses both for ztunnel
 *   with "ztunnel does not support the <action> action"); what the node proxy does with them is
 *   its business, not the registry's.
 */
import type { Resource } from "../../api/resource.js";
import type { Authorization, AuthorizationAction, AuthorizationScope } from "../../model/authorization.js";
import { convertRule, type Polarity, type RuleSink } from "./authz-rules.js";
import { annotationsOf, authorizationPolicySpec, namespaceOf } from "./views.js";

const DRY_RUN = "istio.io/dry-run";
const ACTIONS: readonly AuthorizationAction[] = ["ALLOW", "DENY", "AUDIT", "CUSTOM"];
const TRUE = ["1", "t", "T", "TRUE", "true", "True"];
const FALSE = ["0", "f", "F", "FALSE", "false", "False"];

export interface ConvertedPolicy {
  /** undefined when the policy cannot be used at all; `warnings` says why. */
  authorization: Authorization | undefined;
  /** matchLabels of a WORKLOAD_SELECTOR policy. */
  selector: Record<string, string> | undefined;
  warnings: string[];
}

/** undefined when the policy is not for the node proxy (it has targetRef/targetRefs). */
export function convertAuthorizationPolicy(
  policy: Resource,
  rootNamespace: string,
): ConvertedPolicy | undefined {
  const spec = authorizationPolicySpec(policy);
  const ns = namespaceOf(policy);
  const name = policy.metadata.name;
  const who = `AuthorizationPolicy ${ns}/${name}`;
  if (spec.targetRef || (spec.targetRefs ?? []).length > 0) return undefined;

  const warnings: string[] = [];
  const action = (spec.action ?? "ALLOW") as AuthorizationAction;
  if (!ACTIONS.includes(action)) {
    const message = `${who}: action "${String(spec.action)}" is not one of ${ACTIONS.join(", ")}; the policy is ignored`;
    return { authorization: undefined, selector: undefined, warnings: [message] };
  }

  const matchLabels = spec.selector?.matchLabels ?? {};
  const selector = Object.keys(matchLabels).length > 0 ? { ...matchLabels } : undefined;
  const scope: AuthorizationScope = selector
    ? "WORKLOAD_SELECTOR"
    : ns === rootNamespace
      ? "GLOBAL"
      : "NAMESPACE";

  const dryRunText = annotationsOf(policy)[DRY_RUN];
  let dryRun = false;
  if (dryRunText !== undefined) {
    dryRun = TRUE.includes(dryRunText);
    if (!dryRun && !FALSE.includes(dryRunText))
      warnings.push(`${who}: annotation ${DRY_RUN}="${dryRunText}" is not a boolean; the policy is enforced`);
  }

  const polarity: Polarity = action === "ALLOW" ? "allow" : "deny";
  const sink: RuleSink = { l7: new Set(), notes: [] };
  const rules = (spec.rules ?? []).flatMap(
    (rule, i) => convertRule(rule, ns, polarity, `spec.rules[${i}]`, sink) ?? [],
  );
  warnings.push(...sink.notes.map((n) => `${who}: ${n}`));

  const authorization: Authorization = { name, namespace: ns, scope, action, rules, dryRun };
  if (sink.l7.size > 0) authorization.l7Warning = l7Warning([...sink.l7].sort(), polarity);
  return { authorization, selector, warnings };
}

function l7Warning(fields: readonly string[], polarity: Polarity): string {
  const found = `the node proxy cannot check HTTP attributes (found: ${fields.join(", ")})`;
  const fix = "Attach the policy to a waypoint with targetRefs to enforce them.";
  return polarity === "allow"
    ? `${found}; the rules using them are left out of this ALLOW policy, so it allows less than written. ${fix}`
    : `${found}; this policy is enforced without them, so it matches more connections than written. ${fix}`;
}
