/**
 * Waypoint Gateways. A waypoint is a Gateway API Gateway with gatewayClassName istio-waypoint
 * that receives mesh traffic on an HBONE listener on port 15008 (istio.io/latest/docs/ambient/
 * usage/waypoint). HBONE on any other class is a waypoint written with the wrong class: no node
 * proxy will send traffic to it as a waypoint (istio-east-west gateways also speak HBONE and are
 * left alone).
 *
 * - AMB0004: an HBONE listener on a Gateway whose class is not istio-waypoint.
 * - AMB0005: an istio-waypoint Gateway without the HBONE listener on 15008.
 */
import {
  GVK,
  HBONE_PORT,
  isHbone,
  labelsOf,
  namespaceOf,
  USE_WAYPOINT,
  USE_WAYPOINT_NAMESPACE,
  WAYPOINT_CLASS,
  type AnalysisContext,
  type GatewayView,
} from "./context.js";
import type { Check } from "./report.js";

const EAST_WEST_CLASS = "istio-east-west";
const MESH_LISTENER = `{name: mesh, port: ${HBONE_PORT}, protocol: HBONE}`;

export const checkWaypointGateways: Check<AnalysisContext> = (ctx, emit) => {
  for (const doc of ctx.of(GVK.gateway)) {
    const spec = (doc.resource.spec ?? {}) as GatewayView;
    const listeners = spec.listeners ?? [];
    const ns = namespaceOf(doc.resource);
    const name = doc.resource.metadata.name;
    if (spec.gatewayClassName === WAYPOINT_CLASS) {
      if (!listeners.some(isHbone))
        emit(
          doc,
          ["spec", "listeners"],
          "waypointWithoutHbone",
          `a waypoint receives mesh traffic on an HBONE listener on port ${HBONE_PORT}, and this one has none (its allowedRoutes decide which namespaces may use the waypoint). Fix: add the listener ${MESH_LISTENER}`,
        );
      continue;
    }
    if (spec.gatewayClassName === EAST_WEST_CLASS) continue;
    listeners.forEach((l, i) => {
      if ((l.protocol ?? "").toUpperCase() !== "HBONE") return;
      const usedBy = ctx.docs.some((d) => {
        const labels = labelsOf(d.resource);
        const own = d.resource.kind === "Namespace" ? d.resource.metadata.name : namespaceOf(d.resource);
        return labels[USE_WAYPOINT] === name && (labels[USE_WAYPOINT_NAMESPACE] ?? own) === ns;
      });
      emit(
        doc,
        ["spec", "listeners", i, "protocol"],
        "hboneListenerNotWaypoint",
        `protocol HBONE is the waypoint protocol, but gatewayClassName is ${spec.gatewayClassName ?? "unset"}, so this Gateway is not a waypoint and no mesh traffic is sent to it${usedBy ? ` (objects labelled ${USE_WAYPOINT}=${name} get no waypoint)` : ""}. Fix: for a waypoint set gatewayClassName: ${WAYPOINT_CLASS} (with the listener ${MESH_LISTENER}); for an ingress gateway use protocol HTTP, HTTPS, TLS or TCP${l.port === HBONE_PORT ? "" : ` (a waypoint listens on port ${HBONE_PORT}, not ${l.port ?? "?"})`}`,
      );
    });
  }
};
