/**
 * RequestAuthentication in ambient mode. The node proxy never looks at JWTs; waypoints and
 * gateways do, and they take a policy through targetRefs or, for a namespace-wide policy (no
 * selector), by being in its namespace (any namespace, for the root namespace). A selector-bound
 * policy is ignored by waypoints (istiod getPolicyMatcher: workload-scoped policies without a
 * targetRef are ignored for waypoints), so it is applied nowhere.
 *
 * - AMB0006: applied nowhere (selector-bound, or namespace-wide with no waypoint to apply it).
 * - AMB0007: namespace-wide and picked up only implicitly by the namespace's waypoints.
 */
import { attachAdvice } from "./attach.js";
import { GVK, namespaceOf, type AnalysisContext } from "./context.js";
import { hasTargetRefs, selectorOf, targetingOf } from "./policy.js";
import { gatewaySelected } from "./check-selectors.js";
import type { Check } from "./report.js";

export const checkRequestAuthentications: Check<AnalysisContext> = (ctx, emit) => {
  for (const doc of ctx.of(GVK.requestAuthentication)) {
    const targeting = targetingOf(doc);
    if (hasTargetRefs(targeting)) continue;
    const selector = selectorOf(targeting);
    if (gatewaySelected(ctx, namespaceOf(doc.resource), selector)) continue; // IST0166 says what to do
    const ns = namespaceOf(doc.resource);
    if (selector) {
      emit(
        doc,
        ["spec", "selector"],
        "requestAuthnNotEnforced",
        `in ambient mode JWTs are validated only by waypoints and gateways, which ignore selector-bound policies, and the node proxy ignores RequestAuthentication: this policy is applied nowhere. Fix: ${attachAdvice(ctx, ns, selector)}`,
      );
      continue;
    }
    const meshWide = ns === ctx.mesh.rootNamespace;
    const waypoints = [...ctx.waypoints.values()]
      .filter((w) => meshWide || w.namespace === ns)
      .map((w) => `${w.namespace}/${w.name}`)
      .sort();
    const scope = meshWide
      ? "mesh-wide (root namespace, no selector)"
      : "namespace-wide (no selector, no targetRefs)";
    if (waypoints.length === 0)
      emit(
        doc,
        ["spec", "targetRefs"],
        "requestAuthnNotEnforced",
        `this policy is ${scope}, but only waypoints and gateways validate JWTs and there is no waypoint ${meshWide ? "in the mesh" : `in namespace ${ns}`}: it is applied nowhere. Fix: ${attachAdvice(ctx, ns, undefined)}`,
      );
    else
      emit(
        doc,
        ["spec", "targetRefs"],
        "requestAuthnImplicit",
        `this policy is ${scope}: only waypoint ${waypoints.join(", ")} applies it (the node proxy ignores JWTs), so traffic that does not go through ${waypoints.length > 1 ? "them" : "it"} is not checked. Fix: say where it applies: ${attachAdvice(ctx, ns, undefined)}`,
      );
  }
};
