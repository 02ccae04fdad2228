/**
 * IST0166 IneffectiveSelector (Istio: k8sgateway.SelectorAnalyzer): an AuthorizationPolicy,
 * RequestAuthentication or Telemetry whose selector picks the pods of a Gateway API gateway by
 * their gateway-name label. Waypoints ignore selector-bound policies, and Gateway API gateways
 * take policies through targetRefs; the fix is `targetRefs: [{kind: Gateway, ...}]`.
 */
import { subsetOf } from "../controlplane/registry/selectors.js";
import { gatewayRef, targetRefs } from "./attach.js";
import { GVK, namespaceOf, type AnalysisContext } from "./context.js";
import { GATEWAY_NAME_LABELS, gatewayNameIn, hasTargetRefs, selectorOf, targetingOf } from "./policy.js";
import type { Check } from "./report.js";

const KINDS = [GVK.authorizationPolicy, GVK.requestAuthentication, GVK.telemetry];

/**
 * The gateway whose pods `selector` picks in `ns` (by the gateway-name label in the selector, or
 * by matching gateway pods given in the input), with the selector key to point at.
 */
export function gatewaySelected(
  ctx: AnalysisContext,
  ns: string,
  selector: Readonly<Record<string, string>> | undefined,
): [string, string] | undefined {
  if (!selector) return undefined;
  const direct = gatewayNameIn(selector);
  if (direct) return direct;
  const pod = ctx.registry.workloads.find(
    (w) => w.namespace === ns && subsetOf(selector, w.labels) && gatewayNameIn(w.labels) !== undefined,
  );
  const name = pod ? gatewayNameIn(pod.labels) : undefined;
  return name ? [Object.keys(selector)[0] ?? GATEWAY_NAME_LABELS[0]!, name[1]] : undefined;
}

export const checkGatewaySelectors: Check<AnalysisContext> = (ctx, emit) => {
  for (const gvk of KINDS)
    for (const doc of ctx.of(gvk)) {
      const targeting = targetingOf(doc);
      if (hasTargetRefs(targeting)) continue;
      const selector = selectorOf(targeting);
      if (!selector) continue;
      const ns = namespaceOf(doc.resource);
      const hit = gatewaySelected(ctx, ns, selector);
      if (!hit) continue;
      const [key, gateway] = hit;
      const waypoint = ctx.waypoints.has(`${ns}/${gateway}`);
      emit(
        doc,
        ["spec", "selector", "matchLabels", key],
        "ineffectiveSelector",
        `this selector picks the pods of Gateway ${ns}/${gateway}; ${waypoint ? "a waypoint ignores selector-bound policies" : "Gateway API gateways take policies through targetRefs"}. Fix: replace selector with ${targetRefs([gatewayRef(gateway)])}`,
      );
    }
};
