/**
 * istio.io/use-waypoint labels (on Namespaces, Services, ServiceEntries, Pods, Deployment pod
 * templates and WorkloadEntries), resolved as istiod's ambient index does and as Ambit's registry
 * does (controlplane/registry/waypoints.ts): the waypoint is the Gateway named by the label, in
 * the namespace of istio.io/use-waypoint-namespace or the object's own; "none" opts out.
 *
 * - IST0101: no waypoint Gateway of that name (or a Gateway of another class).
 * - AMB0009: the waypoint exists but will not serve the object: its HBONE listener does not admit
 *   the object's namespace, or its istio.io/waypoint-for excludes the object's kind of traffic.
 */
import type { PathSegment } from "../api/findings.js";
import { didYouMean } from "../api/suggest.js";
import { waypointAdmits } from "../controlplane/registry/waypoints.js";
import {
  GVK,
  HBONE_PORT,
  labelsOf,
  namespaceOf,
  USE_WAYPOINT,
  USE_WAYPOINT_NAMESPACE,
  WAYPOINT_CLASS,
  WAYPOINT_FOR,
  type AnalysisContext,
  type AnalyzedDoc,
  type GatewayView,
} from "./context.js";
import type { Check } from "./report.js";

interface Labelled {
  doc: AnalyzedDoc;
  labels: Readonly<Record<string, string>>;
  /** Path of the labels map. */
  at: PathSegment[];
  namespace: string;
  /** The traffic that uses the waypoint; undefined for a Namespace (both kinds). */
  traffic: "service" | "workload" | undefined;
}

function labelled(ctx: AnalysisContext): Labelled[] {
  const out: Labelled[] = [];
  const meta = (doc: AnalyzedDoc, traffic: Labelled["traffic"], namespace = namespaceOf(doc.resource)) =>
    out.push({ doc, labels: labelsOf(doc.resource), at: ["metadata", "labels"], namespace, traffic });
  for (const d of ctx.of(GVK.namespace)) meta(d, undefined, d.resource.metadata.name);
  for (const d of ctx.of(GVK.service)) meta(d, "service");
  for (const d of ctx.of(GVK.serviceEntry)) meta(d, "service");
  for (const d of ctx.of(GVK.pod)) meta(d, "workload");
  for (const d of ctx.of(GVK.workloadEntry)) {
    const specLabels = (d.resource.spec as { labels?: Record<string, string> } | undefined)?.labels ?? {};
    if (labelsOf(d.resource)[USE_WAYPOINT] !== undefined) meta(d, "workload");
    else
      out.push({
        doc: d,
        labels: specLabels,
        at: ["spec", "labels"],
        namespace: namespaceOf(d.resource),
        traffic: "workload",
      });
  }
  for (const d of ctx.of(GVK.deployment)) {
    const spec = d.resource.spec as
      { template?: { metadata?: { labels?: Record<string, string> } } } | undefined;
    out.push({
      doc: d,
      labels: spec?.template?.metadata?.labels ?? {},
      at: ["spec", "template", "metadata", "labels"],
      namespace: namespaceOf(d.resource),
      traffic: "workload",
    });
  }
  return out;
}

export const checkWaypointLabels: Check<AnalysisContext> = (ctx, emit) => {
  for (const o of labelled(ctx)) {
    const name = o.labels[USE_WAYPOINT];
    if (name === undefined || name === "none") continue;
    const wns = o.labels[USE_WAYPOINT_NAMESPACE] ?? o.namespace;
    const key = `${wns}/${name}`;
    const path = [...o.at, USE_WAYPOINT];
    const wp = ctx.waypoints.get(key);
    if (!wp) {
      const gw = ctx.find(GVK.gateway, wns, name);
      const existing = [...ctx.waypoints.values()]
        .filter((w) => w.namespace === wns)
        .map((w) => w.name)
        .sort();
      const cls = gw ? (gw.resource.spec as GatewayView | undefined)?.gatewayClassName : undefined;
      emit(
        o.doc,
        path,
        "referencedResourceNotFound",
        gw
          ? `Referenced waypoint not found: "${key}": Gateway ${key} has gatewayClassName ${cls ?? "unset"}, not ${WAYPOINT_CLASS}. Fix: set gatewayClassName: ${WAYPOINT_CLASS} on it (with a listener {name: mesh, port: ${HBONE_PORT}, protocol: HBONE}), or name a waypoint`
          : `Referenced waypoint not found: "${key}"${didYouMean(name, existing)}; without it this traffic uses no waypoint. Fix: ${
              existing.length > 0
                ? `name a waypoint of namespace ${wns} (${existing.join(", ")}), or create ${name}`
                : `create a Gateway ${name} in namespace ${wns} with gatewayClassName ${WAYPOINT_CLASS} and a listener {name: mesh, port: ${HBONE_PORT}, protocol: HBONE} (\`ambit waypoint apply -n ${wns}\` creates one named waypoint)`
            }`,
      );
      continue;
    }
    if (!waypointAdmits(wp, o.namespace, ctx.namespaceLabels(o.namespace))) {
      emit(
        o.doc,
        path,
        "waypointNotUsed",
        `waypoint ${key} does not accept traffic from namespace ${o.namespace}: its HBONE listener admits ${wp.allowedFrom === "Same" ? "its own namespace only" : `namespaces by ${wp.allowedFrom}`}, so this traffic uses no waypoint. Fix: on Gateway ${key}, set the listener on port ${HBONE_PORT} to allowedRoutes: {namespaces: {from: All}} (or a Selector matching ${o.namespace}), or use a waypoint in namespace ${o.namespace}`,
      );
      continue;
    }
    const serves = (t: string) => wp.trafficType === t || wp.trafficType === "all";
    if (wp.trafficType === "none" || (o.traffic !== undefined && !serves(o.traffic))) {
      const wanted = o.traffic ?? "service";
      emit(
        o.doc,
        path,
        "waypointNotUsed",
        `waypoint ${key} is for ${wp.trafficType} traffic (${WAYPOINT_FOR}=${wp.trafficType}), so ${o.traffic ?? "any"} traffic of this ${o.doc.resource.kind} does not use it. Fix: label Gateway ${key} with ${WAYPOINT_FOR}=${wanted === "workload" ? "workload" : "service"} (or all), or name a waypoint for ${wanted} traffic`,
      );
    }
  }
};
