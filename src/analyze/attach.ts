/**
 * Advice on attaching a policy to a waypoint: which `targetRefs` to write, and what to create or
 * label first. In ambient mode an L7 policy takes effect where a waypoint applies it: on the
 * waypoint Gateway itself, or on a Service (or ServiceEntry) whose traffic goes through a waypoint
 * (istio.io/latest/docs/ambient/usage/l7-features, .../l4-policy "Authorization policy
 * attachment"). In the root namespace, GatewayClass istio-waypoint reaches every waypoint.
 */
import { serviceKey } from "../model/workload.js";
import { subsetOf } from "../controlplane/registry/selectors.js";
import {
  GVK,
  HBONE_PORT,
  namespaceOf,
  USE_WAYPOINT,
  USE_WAYPOINT_NAMESPACE,
  WAYPOINT_CLASS,
  type AnalysisContext,
  type WaypointGateway,
} from "./context.js";

export const gatewayRef = (name: string): string =>
  `{kind: Gateway, group: gateway.networking.k8s.io, name: ${name}}`;
export const waypointClassRef = `{kind: GatewayClass, group: gateway.networking.k8s.io, name: ${WAYPOINT_CLASS}}`;
export const targetRefs = (refs: readonly string[]): string => `targetRefs: [${refs.join(", ")}]`;

export interface TargetService {
  kind: "Service" | "ServiceEntry";
  name: string;
  namespace: string;
  /** "<ns>/<name>" of the waypoint its traffic goes through, if any. */
  waypoint: string | undefined;
}

export function serviceRef(s: Pick<TargetService, "kind" | "name">): string {
  return s.kind === "Service"
    ? `{kind: Service, group: "", name: ${s.name}}`
    : `{kind: ServiceEntry, group: networking.istio.io, name: ${s.name}}`;
}

/** How to get a waypoint in `ns`. */
export function createWaypointHint(ns: string): string {
  return `create one first with \`ambit waypoint apply -n ${ns}\` (a Gateway named waypoint with gatewayClassName ${WAYPOINT_CLASS} and a listener {name: mesh, port: ${HBONE_PORT}, protocol: HBONE})`;
}

/**
 * For a Service or ServiceEntry (`kind`) that exists and uses no waypoint: how to give it one
 * (label it, after creating a waypoint when the namespace has none). undefined when it does not
 * exist or already uses a waypoint.
 */
export function serviceWaypointFix(
  ctx: AnalysisContext,
  kind: string,
  ns: string,
  name: string,
): string | undefined {
  const services = ctx.registry.services.filter(
    (s) => s.source === kind && s.namespace === ns && s.name === name,
  );
  if (services.length === 0 || services.some((s) => s.waypoint)) return undefined;
  const wp = preferredWaypoint(ctx, ns);
  const label = `label ${kind} ${name} (or namespace ${ns}) with ${USE_WAYPOINT}=${wp?.name ?? "waypoint"}`;
  return wp ? label : `${createWaypointHint(ns)}, then ${label}`;
}

/** The waypoint named by the namespace's istio.io/use-waypoint label, when it exists. */
export function namespaceWaypoint(ctx: AnalysisContext, ns: string): WaypointGateway | undefined {
  const labels = ctx.namespaceLabels(ns);
  const name = labels[USE_WAYPOINT];
  if (name === undefined || name === "none") return undefined;
  return ctx.waypoints.get(`${labels[USE_WAYPOINT_NAMESPACE] ?? ns}/${name}`);
}

/** The waypoint to suggest for `ns`: the namespace's own, else the first waypoint defined there. */
export function preferredWaypoint(ctx: AnalysisContext, ns: string): WaypointGateway | undefined {
  return (
    namespaceWaypoint(ctx, ns) ??
    [...ctx.waypoints.values()]
      .filter((w) => w.namespace === ns)
      .sort((a, b) => a.name.localeCompare(b.name))[0]
  );
}

/**
 * The Services and ServiceEntries whose endpoints include workloads `selector` selects in `ns`
 * (from the registry); failing that, the Services of `ns` whose selector is exactly `selector`.
 */
export function servicesSelectedBy(
  ctx: AnalysisContext,
  ns: string,
  selector: Readonly<Record<string, string>>,
): TargetService[] {
  const keys = new Set<string>();
  for (const w of ctx.registry.workloads)
    if (w.namespace === ns && subsetOf(selector, w.labels))
      for (const k of Object.keys(w.services)) keys.add(k);
  const out = new Map<string, TargetService>();
  for (const s of ctx.registry.services)
    if (keys.has(serviceKey(s)))
      out.set(`${s.source}/${s.name}`, {
        kind: s.source,
        name: s.name,
        namespace: s.namespace,
        waypoint: s.waypoint?.gateway,
      });
  if (out.size === 0) {
    const wanted = JSON.stringify(Object.entries(selector).sort());
    for (const d of ctx.of(GVK.service)) {
      if (namespaceOf(d.resource) !== ns) continue;
      const sel = (d.resource.spec as { selector?: Record<string, string> } | undefined)?.selector ?? {};
      if (Object.keys(sel).length === 0 || JSON.stringify(Object.entries(sel).sort()) !== wanted) continue;
      const name = d.resource.metadata.name;
      const reg = ctx.registry.services.find(
        (s) => s.source === "Service" && s.namespace === ns && s.name === name,
      );
      out.set(`Service/${name}`, { kind: "Service", name, namespace: ns, waypoint: reg?.waypoint?.gateway });
    }
  }
  return [...out.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/**
 * What to write instead of the node-proxy binding of a policy in `ns` (with `selector`, or
 * namespace-wide without one): the text after "Fix: ".
 */
export function attachAdvice(
  ctx: AnalysisContext,
  ns: string,
  selector: Readonly<Record<string, string>> | undefined,
): string {
  const verb = selector ? "replace selector with" : "add";
  if (!selector && ns === ctx.mesh.rootNamespace) {
    const none =
      ctx.waypoints.size === 0 ? `; no waypoint exists yet: ${createWaypointHint("<namespace>")}` : "";
    return `${verb} ${targetRefs([waypointClassRef])} to apply it on every waypoint${none}`;
  }
  const services = selector ? servicesSelectedBy(ctx, ns, selector) : [];
  if (services.length > 0) {
    const refs = targetRefs(services.map(serviceRef));
    const missing = services.filter((s) => !s.waypoint);
    if (missing.length === 0)
      return `${verb} ${refs} (${services.map((s) => `${s.kind} ${s.name} uses waypoint ${s.waypoint}`).join("; ")})`;
    const wp = preferredWaypoint(ctx, ns);
    const label = `label ${missing.map((s) => `${s.kind} ${s.name}`).join(", ")} with ${USE_WAYPOINT}=${wp?.name ?? "waypoint"}`;
    if (wp)
      return `${label} so that its traffic goes through waypoint ${ns}/${wp.name}, then ${verb} ${refs}`;
    return `there is no waypoint in namespace ${ns}: ${createWaypointHint(ns)}, ${label}, then ${verb} ${refs}`;
  }
  const wp = preferredWaypoint(ctx, ns);
  if (wp) {
    const used =
      namespaceWaypoint(ctx, ns) !== undefined ||
      ctx.registry.services.some((s) => s.waypoint?.gateway === `${wp.namespace}/${wp.name}`);
    const label = used
      ? ""
      : ` and label namespace ${ns} with ${USE_WAYPOINT}=${wp.name} so that traffic goes through it`;
    return `${verb} ${targetRefs([gatewayRef(wp.name)])}${label}`;
  }
  return `there is no waypoint in namespace ${ns}: ${createWaypointHint(ns)}, label namespace ${ns} with ${USE_WAYPOINT}=waypoint, then ${verb} ${targetRefs([gatewayRef("waypoint")])}`;
}
