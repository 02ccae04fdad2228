/**
 * Which Authorizations apply to a workload, as ztunnel selects them (src/state.rs
 * DemandProxyState::assert_rbac with src/state/policy.rs PolicyStore):
 *   - NAMESPACE scope: the policies of the workload's namespace;
 *   - GLOBAL scope: every workload, whatever namespace the policy is in (ztunnel files them
 *     under the "" namespace); istiod gives this scope to the root namespace's policies without
 *     a selector;
 *   - WORKLOAD_SELECTOR scope: the "<ns>/<name>" keys listed in workload.authorizationPolicies,
 *     which the control plane computed from the selectors (own namespace and root namespace).
 * A listed key with no policy behind it (not received yet, or just removed) is skipped, as
 * ztunnel does ("skipping unknown policy").
 *
 * The result is in ztunnel's order — namespace, global, workload — each group sorted by key, so
 * that the policy a decision names is deterministic.
 */
import type { Authorization } from "../model/authorization.js";
import type { Workload } from "../model/workload.js";

const keyOf = (a: Pick<Authorization, "namespace" | "name">): string => `${a.namespace}/${a.name}`;
const byKey = (a: Authorization, b: Authorization): number =>
  keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0;

/**
 * `_rootNamespace` is accepted for symmetry with mtlsMode but deliberately unused: the scope the
 * control plane computed with its root namespace is trusted, as ztunnel trusts it, so a proxy
 * started with another root namespace cannot silently drop mesh-wide DENY policies.
 */
export function policiesFor(
  workload: Pick<Workload, "namespace" | "authorizationPolicies">,
  all: Iterable<Authorization>,
  _rootNamespace?: string,
): Authorization[] {
  const selected = new Set(workload.authorizationPolicies);
  const namespace: Authorization[] = [];
  const global: Authorization[] = [];
  const bySelector: Authorization[] = [];
  for (const a of all) {
    if (a.scope === "NAMESPACE" && a.namespace === workload.namespace) namespace.push(a);
    else if (a.scope === "GLOBAL") global.push(a);
    else if (a.scope === "WORKLOAD_SELECTOR" && selected.has(keyOf(a))) bySelector.push(a);
  }
  return [...namespace.sort(byKey), ...global.sort(byKey), ...bySelector.sort(byKey)];
}
