/**
 * Waypoints and which services and workloads use them, following istiod's ambient index
 * (pilot/pkg/serviceregistry/kube/controller/ambient/waypoints.go):
 *
 * - A waypoint is a Gateway API Gateway with gatewayClassName istio-waypoint.
 * - Its label istio.io/waypoint-for (else the same label on its GatewayClass, else "service")
 *   says what may use it: "service", "workload", "all" or "none".
 * - An object's own label istio.io/use-waypoint names its waypoint ("none" opts out), in the
 *   namespace given by its label istio.io/use-waypoint-namespace, else its own namespace. Only
 *   when the object has no such label does its Namespace's label apply. A label naming a waypoint
 *   that does not exist gives no waypoint; it does not fall back to the namespace's.
 * - A waypoint in another namespace is only used when the allowedRoutes of its HBONE listener
 *   (port 15008, protocol HBONE) admit the object's namespace; without one, "Same" applies.
 *
 * The address pushed is the waypoint's Service "<gateway name>" in the gateway's namespace (as
 * Istio's deployment controller names it) at HBONE port 15008; Istio reads it from the Gateway's
 * status, which the local mode does not have, so status addresses are only a fallback here.
 */
import type { Resource } from "../../api/resource.js";
import type { WaypointRef } from "../../model/workload.js";
import { parseIp } from "./cidr.js";
import { labelSelectorMatches } from "./selectors.js";
import { gatewaySpec, gatewayStatus, labelsOf, namespaceOf, type LabelSelectorView } from "./views.js";

export const WAYPOINT_CLASS = "istio-waypoint";
export const USE_WAYPOINT = "istio.io/use-waypoint";
const USE_WAYPOINT_NAMESPACE = "istio.io/use-waypoint-namespace";
const WAYPOINT_FOR = "istio.io/waypoint-for";
const HBONE_PORT = 15008;
const TRAFFIC_TYPES = ["service", "workload", "all", "none"];

export interface Waypoint {
  ref: WaypointRef;
  namespace: string;
  name: string;
  /** "service" | "workload" | "all" | "none" */
  trafficType: string;
  allowedFrom: string;
  allowedSelector: LabelSelectorView | undefined;
}

export type TrafficKind = "service" | "workload";

export interface WaypointContext {
  // "<ns>/<name>" -> waypoint
  waypoints: ReadonlyMap<string, Waypoint>;
  // namespace name -> its labels
  namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;
  warn: (message: string) => void;
}

export function collectWaypoints(
  gateways: readonly Resource[],
  gatewayClasses: readonly Resource[],
  serviceVips: (namespace: string, name: string) => string[],
  domainSuffix: string,
  warn: (message: string) => void,
): Map<string, Waypoint> {
  const classLabels = new Map(gatewayClasses.map((c) => [c.metadata.name, labelsOf(c)]));
  const out = new Map<string, Waypoint>();
  for (const gw of gateways) {
    const spec = gatewaySpec(gw);
    if (spec.gatewayClassName !== WAYPOINT_CLASS) continue;
    const ns = namespaceOf(gw);
    const name = gw.metadata.name;
    const trafficType =
      labelsOf(gw)[WAYPOINT_FOR] ?? classLabels.get(WAYPOINT_CLASS)?.[WAYPOINT_FOR] ?? "service";
    if (!TRAFFIC_TYPES.includes(trafficType))
      warn(
        `Gateway ${ns}/${name}: ${WAYPOINT_FOR}="${trafficType}" is not one of ${TRAFFIC_TYPES.join(", ")}; nothing will use this waypoint`,
      );
    const hbone = (spec.listeners ?? []).find((l) => l.protocol === "HBONE" && l.port === HBONE_PORT);
    const namespaces = hbone?.allowedRoutes?.namespaces;
    let addresses = serviceVips(ns, name);
    if (addresses.length === 0) {
      addresses = (gatewayStatus(gw).addresses ?? [])
        .filter((a) => (a.type ?? "IPAddress") === "IPAddress" && a.value !== undefined && parseIp(a.value))
        .map((a) => a.value ?? "");
    }
    out.set(`${ns}/${name}`, {
      ref: {
        gateway: `${ns}/${name}`,
        hostname: `${name}.${ns}.svc.${domainSuffix}`,
        addresses,
        port: HBONE_PORT,
      },
      namespace: ns,
      name,
      trafficType,
      allowedFrom: namespaces?.from ?? "Same",
      allowedSelector: namespaces?.selector,
    });
  }
  return out;
}

export interface WaypointTarget {
  /** For messages: "Pod", "Service", "ServiceEntry", "WorkloadEntry". */
  kind: string;
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** The waypoint `target` uses for `traffic`, or undefined; problems go to ctx.warn. */
export function waypointFor(
  target: WaypointTarget,
  traffic: TrafficKind,
  ctx: WaypointContext,
): WaypointRef | undefined {
  const own = target.labels[USE_WAYPOINT];
  const nsLabels = ctx.namespaceLabels.get(target.namespace) ?? {};
  const fromObject = own !== undefined;
  const labels = fromObject ? target.labels : nsLabels;
  const name = labels[USE_WAYPOINT];
  if (name === undefined || name === "none") return undefined;
  const key = `${labels[USE_WAYPOINT_NAMESPACE] ?? target.namespace}/${name}`;
  const who = fromObject
    ? `${target.kind} ${target.namespace}/${target.name}`
    : `namespace ${target.namespace}`;

  const wp = ctx.waypoints.get(key);
  if (!wp) {
    ctx.warn(
      `${who}: label ${USE_WAYPOINT} names waypoint ${key}, but there is no Gateway ${key} with gatewayClassName ${WAYPOINT_CLASS}`,
    );
    return undefined;
  }
  if (!waypointAdmits(wp, target.namespace, nsLabels)) {
    ctx.warn(
      `${who}: waypoint ${key} does not admit namespace ${target.namespace}; set allowedRoutes.namespaces on its HBONE listener (port ${HBONE_PORT})`,
    );
    return undefined;
  }
  if (wp.trafficType !== traffic && wp.trafficType !== "all") {
    // A namespace-wide label routinely meets a service-only waypoint from a pod: only an
    // object's own label is worth a warning.
    if (fromObject)
      ctx.warn(
        `${who}: waypoint ${key} is for ${wp.trafficType} traffic (${WAYPOINT_FOR}), so ${traffic} traffic does not use it`,
      );
    return undefined;
  }
  return wp.ref;
}

/**
 * Whether a waypoint's HBONE listener admits traffic from `namespace` (its allowedRoutes
 * namespaces, Gateway API semantics). Shared with `ambit analyze` (AMB0009).
 */
export function waypointAdmits(
  wp: Pick<Waypoint, "namespace" | "allowedFrom" | "allowedSelector">,
  namespace: string,
  nsLabels: Readonly<Record<string, string>>,
): boolean {
  switch (wp.allowedFrom) {
    case "All":
      return true;
    case "Selector":
      // An absent selector selects nothing (metav1.LabelSelectorAsSelector(nil)). Kubernetes
      // labels every namespace with its name; documents applied locally may lack it.
      return (
        wp.allowedSelector !== undefined &&
        labelSelectorMatches(wp.allowedSelector, { "kubernetes.io/metadata.name": namespace, ...nsLabels })
      );
    default: // "Same", and anything unknown (Istio treats that as Same too)
      return wp.namespace === namespace;
  }
}
