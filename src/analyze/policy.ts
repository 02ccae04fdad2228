/**
 * How an Istio policy (AuthorizationPolicy, RequestAuthentication, Telemetry, PeerAuthentication)
 * says where it applies: `targetRefs` (or the older `targetRef`) attach it to a Gateway, Service
 * or ServiceEntry; otherwise `selector.matchLabels` picks workloads, and without labels it covers
 * the namespace (the whole mesh in the root namespace).
 */
import type { PathSegment } from "../api/findings.js";
import type { AnalyzedDoc } from "./context.js";

export interface TargetRefView {
  group?: string;
  kind?: string;
  name?: string;
}

export interface TargetingView {
  selector?: { matchLabels?: Record<string, string> };
  targetRef?: TargetRefView;
  targetRefs?: TargetRefView[];
}

export function targetingOf(doc: AnalyzedDoc): TargetingView {
  const spec = doc.resource.spec;
  return spec !== null && typeof spec === "object" ? (spec as TargetingView) : {};
}

/** The targets with the path of each, `targetRefs` first, then `targetRef`. */
export function targetRefsOf(t: TargetingView): { ref: TargetRefView; path: PathSegment[] }[] {
  const out = (t.targetRefs ?? []).map((ref, i) => ({
    ref,
    path: ["spec", "targetRefs", i] as PathSegment[],
  }));
  if (t.targetRef) out.push({ ref: t.targetRef, path: ["spec", "targetRef"] });
  return out;
}

export const hasTargetRefs = (t: TargetingView): boolean => targetRefsOf(t).length > 0;

/** matchLabels of a non-empty selector; undefined when the policy is namespace-wide. */
export function selectorOf(t: TargetingView): Record<string, string> | undefined {
  const labels = t.selector?.matchLabels ?? {};
  return Object.keys(labels).length > 0 ? labels : undefined;
}

/** Labels Kubernetes and Istio put on the pods of a Gateway API gateway (the second is deprecated). */
export const GATEWAY_NAME_LABELS = ["gateway.networking.k8s.io/gateway-name", "istio.io/gateway-name"];

/** The gateway whose pods the selector picks by their gateway-name label, with that label. */
export function gatewayNameIn(
  selector: Readonly<Record<string, string>> | undefined,
): [string, string] | undefined {
  for (const key of GATEWAY_NAME_LABELS) {
    const v = selector?.[key];
    if (v !== undefined) return [key, v];
  }
  return undefined;
}
