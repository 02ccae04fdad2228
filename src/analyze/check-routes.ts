/**
 * References of Gateway API HTTPRoutes and GRPCRoutes.
 *
 * - IST0101: a parentRef naming no Gateway (or, for mesh routes, no Service or ServiceEntry), a
 *   sectionName or port the parent does not have; a backendRef (or requestMirror backendRef)
 *   naming no Service, ServiceEntry or (networking.istio.io Hostname) known host, or a port the
 *   Service does not have. Requests to a missing backend get a 500 (Gateway API spec).
 * - AMB0008: a mesh route (parent Service or ServiceEntry) whose parent uses no waypoint: in
 *   ambient mode such routes are applied by the Service's waypoint, so it is never used.
 */
import type { PathSegment } from "../api/findings.js";
import { didYouMean } from "../api/suggest.js";
import { serviceWaypointFix } from "./attach.js";
import { GVK, namespaceOf, type AnalysisContext, type AnalyzedDoc, type GatewayView } from "./context.js";
import { hostHint, servicesForHost } from "./hosts.js";
import type { Check, Emit } from "./report.js";

interface ObjectRefView {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  port?: number;
}
interface ParentRefView extends ObjectRefView {
  sectionName?: string;
}
interface FilterView {
  requestMirror?: { backendRef?: ObjectRefView };
}
interface BackendRefView extends ObjectRefView {
  filters?: FilterView[];
}
interface RouteView {
  parentRefs?: ParentRefView[];
  rules?: { backendRefs?: BackendRefView[]; filters?: FilterView[] }[];
}

const GATEWAY_GROUP = "gateway.networking.k8s.io";
const ISTIO_GROUP = "networking.istio.io";

const servicePorts = (doc: AnalyzedDoc): number[] =>
  ((doc.resource.spec as { ports?: { port?: number }[] } | undefined)?.ports ?? [])
    .map((p) => p.port ?? 0)
    .filter((p) => p > 0);

const namesIn = (ctx: AnalysisContext, gvk: string, ns: string): string[] =>
  ctx
    .of(gvk)
    .filter((d) => namespaceOf(d.resource) === ns)
    .map((d) => d.resource.metadata.name)
    .sort();

export const checkRoutes: Check<AnalysisContext> = (ctx, emit) => {
  for (const gvk of [GVK.httpRoute, GVK.grpcRoute])
    for (const doc of ctx.of(gvk)) {
      const route = (doc.resource.spec ?? {}) as RouteView;
      const ns = namespaceOf(doc.resource);
      (route.parentRefs ?? []).forEach((p, i) =>
        checkParent(ctx, emit, doc, p, ["spec", "parentRefs", i], ns),
      );
      (route.rules ?? []).forEach((rule, i) => {
        const at: PathSegment[] = ["spec", "rules", i];
        (rule.filters ?? []).forEach((f, k) => mirror(ctx, emit, doc, f, [...at, "filters", k], ns));
        (rule.backendRefs ?? []).forEach((b, j) => {
          checkBackend(ctx, emit, doc, b, [...at, "backendRefs", j], ns);
          (b.filters ?? []).forEach((f, k) =>
            mirror(ctx, emit, doc, f, [...at, "backendRefs", j, "filters", k], ns),
          );
        });
      });
    }
};

function mirror(
  ctx: AnalysisContext,
  emit: Emit,
  doc: AnalyzedDoc,
  f: FilterView,
  at: PathSegment[],
  ns: string,
) {
  const ref = f.requestMirror?.backendRef;
  if (ref) checkBackend(ctx, emit, doc, ref, [...at, "requestMirror", "backendRef"], ns);
}

function checkParent(
  ctx: AnalysisContext,
  emit: Emit,
  doc: AnalyzedDoc,
  p: ParentRefView,
  at: PathSegment[],
  routeNs: string,
): void {
  const ns = p.namespace ?? routeNs;
  const name = p.name ?? "";
  const group = p.group ?? GATEWAY_GROUP;
  const kind = p.kind ?? "Gateway";
  if (group === GATEWAY_GROUP && kind === "Gateway") {
    const gw = ctx.find(GVK.gateway, ns, name);
    if (!gw) {
      emit(
        doc,
        [...at, "name"],
        "referencedResourceNotFound",
        `Referenced parent Gateway not found: "${ns}/${name}"${didYouMean(name, namesIn(ctx, GVK.gateway, ns))}; the route attaches to nothing there. Fix: name an existing Gateway (set namespace for one in another namespace), or create it`,
      );
      return;
    }
    const listeners = ((gw.resource.spec ?? {}) as GatewayView).listeners ?? [];
    if (p.sectionName !== undefined && !listeners.some((l) => l.name === p.sectionName))
      emit(
        doc,
        [...at, "sectionName"],
        "referencedResourceNotFound",
        `Referenced listener not found: "${p.sectionName}" on Gateway ${ns}/${name}. Fix: use one of its listeners (${listeners.map((l) => l.name ?? "?").join(", ")})`,
      );
    if (p.port !== undefined && !listeners.some((l) => l.port === p.port))
      emit(
        doc,
        [...at, "port"],
        "referencedResourceNotFound",
        `Referenced listener port not found: ${p.port} on Gateway ${ns}/${name}. Fix: use one of its listener ports (${[...new Set(listeners.map((l) => l.port))].join(", ")})`,
      );
    return;
  }
  const isService = group === "" && kind === "Service";
  const isEntry = group === ISTIO_GROUP && kind === "ServiceEntry";
  if (!isService && !isEntry) return;
  const gvk = isService ? GVK.service : GVK.serviceEntry;
  const parent = ctx.find(gvk, ns, name);
  if (!parent) {
    emit(
      doc,
      [...at, "name"],
      "referencedResourceNotFound",
      `Referenced parent ${kind} not found: "${ns}/${name}"${didYouMean(name, namesIn(ctx, gvk, ns))}; the route applies to no traffic. Fix: name an existing ${kind} or create it`,
    );
    return;
  }
  if (isService && p.port !== undefined) {
    const ports = servicePorts(parent);
    if (ports.length > 0 && !ports.includes(p.port))
      emit(
        doc,
        [...at, "port"],
        "referencedResourceNotFound",
        `Referenced parent Service port not found: "${ns}/${name}:${p.port}"; Service ${name} has port${ports.length > 1 ? "s" : ""} ${ports.join(", ")}. Fix: use one of them`,
      );
  }
  const fix = serviceWaypointFix(ctx, kind, ns, name);
  if (fix !== undefined) {
    emit(
      doc,
      at,
      "targetWithoutWaypoint",
      `this route is attached to ${kind} ${name}, which uses no waypoint; routes for a ${kind} are applied by its waypoint (the node proxy does not route HTTP), so this one is not used. Fix: ${fix}`,
    );
  }
}

function checkBackend(
  ctx: AnalysisContext,
  emit: Emit,
  doc: AnalyzedDoc,
  b: ObjectRefView,
  at: PathSegment[],
  routeNs: string,
): void {
  const ns = b.namespace ?? routeNs;
  const name = b.name ?? "";
  const group = b.group ?? "";
  const kind = b.kind ?? "Service";
  if (group === "" && kind === "Service") {
    const svc = ctx.find(GVK.service, ns, name);
    if (!svc) {
      emit(
        doc,
        [...at, "name"],
        "referencedResourceNotFound",
        `Referenced backend Service not found: "${ns}/${name}"${didYouMean(name, namesIn(ctx, GVK.service, ns))}; requests sent to this backend get a 500. Fix: name an existing Service (set namespace for one in another namespace) or create it`,
      );
      return;
    }
    const ports = servicePorts(svc);
    if (b.port !== undefined && ports.length > 0 && !ports.includes(b.port))
      emit(
        doc,
        [...at, "port"],
        "referencedResourceNotFound",
        `Referenced backend Service port not found: "${ns}/${name}:${b.port}"; Service ${name} has port${ports.length > 1 ? "s" : ""} ${ports.join(", ")} (backendRefs name the Service port, not the target port). Fix: use one of them`,
      );
    return;
  }
  if (group === ISTIO_GROUP && kind === "ServiceEntry" && !ctx.find(GVK.serviceEntry, ns, name))
    emit(
      doc,
      [...at, "name"],
      "referencedResourceNotFound",
      `Referenced backend ServiceEntry not found: "${ns}/${name}"${didYouMean(name, namesIn(ctx, GVK.serviceEntry, ns))}; requests sent to this backend get a 500. Fix: name an existing ServiceEntry or create it`,
    );
  if (group === ISTIO_GROUP && kind === "Hostname" && servicesForHost(ctx, name.toLowerCase()).length === 0)
    emit(
      doc,
      [...at, "name"],
      "referencedResourceNotFound",
      `Referenced backend host not found: "${name}"${hostHint(ctx, name.toLowerCase())}; requests sent to this backend get a 500. Fix: create a ServiceEntry for it or correct the host`,
    );
}
