/**
 * Whether a workload is in the ambient mesh (its traffic is captured and tunnelled over HBONE),
 * and why, in words for `ambit describe`.
 *
 * Pods follow istio-cni's default enablement selectors (manifests/charts/istio-cni/values.yaml,
 * evaluated by cni/pkg/util/enablement_selector.go):
 *   - the pod label istio.io/dataplane-mode=ambient enrolls the pod whatever its namespace says;
 *   - the namespace label istio.io/dataplane-mode=ambient enrolls its pods, except those whose
 *     own label is istio.io/dataplane-mode=none;
 *   - host-network pods and pods with a sidecar (annotation sidecar.istio.io/status) never are;
 *   - pods in an excluded namespace (istio-cni `excludeNamespaces`, default kube-system) never
 *     are (istio/istio#59471, Istio 1.30).
 * The root namespace is not special: "there are no special namespaces" (istio/istio#52345).
 *
 * WorkloadEntries (and ServiceEntry endpoints) have no CNI to capture them; istiod marks them
 * HBONE only when they say they speak it: label networking.istio.io/tunnel=http, or annotation
 * ambient.istio.io/redirection=enabled (setTunnelProtocol in ambient/workloads.go).
 */
import { DATAPLANE_MODE_LABEL, namespaceEnrollmentReason } from "../../xds/convert/enrollment.js";
import type { ResolvedMesh } from "./types.js";

export const DATAPLANE_MODE = DATAPLANE_MODE_LABEL;
const SIDECAR_STATUS = "sidecar.istio.io/status";
const REDIRECTION = "ambient.istio.io/redirection";
const TUNNEL = "networking.istio.io/tunnel";

export interface Enrollment {
  enrolled: boolean;
  reason: string;
}

export interface PodFacts {
  namespace: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  hostNetwork: boolean;
  /** Labels of the pod's Namespace; undefined when the Namespace is not known. */
  namespaceLabels: Readonly<Record<string, string>> | undefined;
}

export function podEnrollment(pod: PodFacts, mesh: ResolvedMesh): Enrollment {
  const no = (reason: string): Enrollment => ({ enrolled: false, reason });
  if (pod.hostNetwork) return no("host-network pod: its traffic cannot be captured");
  if (SIDECAR_STATUS in pod.annotations)
    return no(`pod has a sidecar (annotation ${SIDECAR_STATUS}); a pod is either sidecar or ambient`);
  if (mesh.excludeNamespaces.includes(pod.namespace))
    return no(`namespace ${pod.namespace} is excluded from ambient capture (excludeNamespaces)`);

  const podMode = pod.labels[DATAPLANE_MODE];
  const nsMode = pod.namespaceLabels?.[DATAPLANE_MODE];
  if (podMode === "ambient") return { enrolled: true, reason: `pod label ${DATAPLANE_MODE}=ambient` };
  if (podMode === "none") {
    return no(
      nsMode === "ambient"
        ? `pod label ${DATAPLANE_MODE}=none opts out of namespace ${pod.namespace}'s ambient mode`
        : `pod label ${DATAPLANE_MODE}=none`,
    );
  }
  // The one reason decoders restore when a Workload omits it (xds/convert/enrollment.ts).
  if (nsMode === "ambient") return { enrolled: true, reason: namespaceEnrollmentReason(pod.namespace) };
  return no(`neither the pod nor namespace ${pod.namespace} has label ${DATAPLANE_MODE}=ambient`);
}

export function entryEnrollment(
  labels: Readonly<Record<string, string>>,
  annotations: Readonly<Record<string, string>>,
): Enrollment {
  if (labels[TUNNEL] === "http")
    return { enrolled: true, reason: `label ${TUNNEL}=http: it speaks HBONE itself` };
  if (annotations[REDIRECTION] === "enabled")
    return { enrolled: true, reason: `annotation ${REDIRECTION}=enabled` };
  return {
    enrolled: false,
    reason: `not captured by any node proxy; label it ${TUNNEL}=http if it accepts HBONE itself`,
  };
}
