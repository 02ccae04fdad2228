/**
 * References a VirtualService makes (Istio: virtualservice.DestinationHostAnalyzer,
 * DestinationRuleAnalyzer and GatewayAnalyzer), all IST0101:
 *
 * - `gateways` (and match `gateways`) naming no Istio Gateway ("mesh" is reserved);
 * - `hosts` of a VirtualService that applies to the mesh naming no Service or ServiceEntry: in
 *   ambient mode its routes are applied by the waypoint of a service, so without one they are
 *   never used;
 * - route and mirror destinations naming no Service or ServiceEntry, or a port it does not have;
 * - destination subsets no DestinationRule for the host defines;
 * - `delegate` naming no VirtualService.
 *
 * Short names resolve in the VirtualService's namespace (hosts.ts).
 */
import type { PathSegment } from "../api/findings.js";
import { hostCovers } from "../api/kinds/networking-common.js";
import { didYouMean } from "../api/suggest.js";
import { GVK, namespaceOf, type AnalysisContext, type AnalyzedDoc } from "./context.js";
import { hostHint, isIpAddress, servicesForHost, toFqdn } from "./hosts.js";
import type { Check, Emit } from "./report.js";

interface DestinationView {
  host?: string;
  subset?: string;
  port?: { number?: number };
}
interface L4RouteView {
  match?: { gateways?: string[] }[];
  route?: { destination?: DestinationView }[];
}
interface HttpRouteView extends L4RouteView {
  mirror?: DestinationView;
  mirrors?: { destination?: DestinationView }[];
  delegate?: { name?: string; namespace?: string };
}
interface VirtualServiceView {
  hosts?: string[];
  gateways?: string[];
  http?: HttpRouteView[];
  tcp?: L4RouteView[];
  tls?: L4RouteView[];
}

/** Every destination with its path. */
function destinations(vs: VirtualServiceView): { dest: DestinationView; path: PathSegment[] }[] {
  const out: { dest: DestinationView; path: PathSegment[] }[] = [];
  for (const section of ["http", "tcp", "tls"] as const)
    (vs[section] ?? []).forEach((r, i) => {
      (r.route ?? []).forEach((d, j) => {
        if (d.destination)
          out.push({ dest: d.destination, path: ["spec", section, i, "route", j, "destination"] });
      });
    });
  (vs.http ?? []).forEach((r, i) => {
    if (r.mirror) out.push({ dest: r.mirror, path: ["spec", "http", i, "mirror"] });
    (r.mirrors ?? []).forEach((m, j) => {
      if (m.destination)
        out.push({ dest: m.destination, path: ["spec", "http", i, "mirrors", j, "destination"] });
    });
  });
  return out;
}

/** Every gateway name with its path. */
function gatewayNames(vs: VirtualServiceView): { name: string; path: PathSegment[] }[] {
  const out = (vs.gateways ?? []).map((name, i) => ({
    name,
    path: ["spec", "gateways", i] as PathSegment[],
  }));
  for (const section of ["http", "tcp", "tls"] as const)
    (vs[section] ?? []).forEach((r, i) =>
      (r.match ?? []).forEach((m, j) =>
        (m.gateways ?? []).forEach((name, k) =>
          out.push({ name, path: ["spec", section, i, "match", j, "gateways", k] }),
        ),
      ),
    );
  return out;
}

/** DestinationRules (with their resolved host) whose host covers `host`. */
export function destinationRulesFor(
  ctx: AnalysisContext,
  host: string,
): { doc: AnalyzedDoc; subsets: string[] }[] {
  return ctx.of(GVK.destinationRule).flatMap((doc) => {
    const spec = (doc.resource.spec ?? {}) as { host?: string; subsets?: { name?: string }[] };
    const drHost = toFqdn(spec.host ?? "", namespaceOf(doc.resource), ctx.mesh.domainSuffix);
    if (drHost !== host && !(drHost.startsWith("*") && hostCovers(drHost, host))) return [];
    return [{ doc, subsets: (spec.subsets ?? []).map((s) => s.name ?? "") }];
  });
}

export const checkVirtualServices: Check<AnalysisContext> = (ctx, emit) => {
  for (const doc of ctx.of(GVK.virtualService)) {
    const vs = (doc.resource.spec ?? {}) as VirtualServiceView;
    const ns = namespaceOf(doc.resource);
    checkGateways(ctx, emit, doc, vs, ns);
    const gateways = vs.gateways ?? [];
    if (gateways.length === 0 || gateways.includes("mesh"))
      (vs.hosts ?? []).forEach((h, i) => {
        const host = toFqdn(h, ns, ctx.mesh.domainSuffix);
        if (host === "*" || isIpAddress(host) || servicesForHost(ctx, host).length > 0) return;
        emit(
          doc,
          ["spec", "hosts", i],
          "referencedResourceNotFound",
          `Referenced host not found: "${host}"${hostHint(ctx, host)}; mesh traffic for a host goes through a waypoint only when it is a Service or ServiceEntry, so these routes are never used for it. Fix: correct the host (a short name means a Service in namespace ${ns}) or create a ServiceEntry for it`,
        );
      });
    for (const { dest, path } of destinations(vs)) checkDestination(ctx, emit, doc, dest, path, ns);
    (vs.http ?? []).forEach((r, i) => {
      if (!r.delegate?.name) return;
      const dns = r.delegate.namespace ?? ns;
      if (!ctx.find(GVK.virtualService, dns, r.delegate.name))
        emit(
          doc,
          ["spec", "http", i, "delegate", "name"],
          "referencedResourceNotFound",
          `Referenced delegate VirtualService not found: "${dns}/${r.delegate.name}"; this route has no effect. Fix: create it or correct the name and namespace`,
        );
    });
  }
};

function checkGateways(
  ctx: AnalysisContext,
  emit: Emit,
  doc: AnalyzedDoc,
  vs: VirtualServiceView,
  ns: string,
): void {
  for (const { name, path } of gatewayNames(vs)) {
    if (name === "mesh") continue;
    const slash = name.indexOf("/");
    const gns = slash < 0 ? ns : name.slice(0, slash);
    const gname = slash < 0 ? name : name.slice(slash + 1);
    if (ctx.find(GVK.istioGateway, gns, gname)) continue;
    const apiGateway = ctx.find(GVK.gateway, gns, gname) !== undefined;
    const existing = ctx
      .of(GVK.istioGateway)
      .filter((d) => namespaceOf(d.resource) === gns)
      .map((d) => d.resource.metadata.name);
    emit(
      doc,
      path,
      "referencedResourceNotFound",
      apiGateway
        ? `Referenced gateway not found: "${gns}/${gname}": that is a Gateway API Gateway, and VirtualService gateways name Istio Gateways (networking.istio.io). Fix: route for a Gateway API Gateway with an HTTPRoute whose parentRefs name it`
        : `Referenced gateway not found: "${gns}/${gname}"${didYouMean(gname, existing)}. Fix: name an Istio Gateway (networking.istio.io) as <namespace>/<name>, create it, or use "mesh" for traffic inside the mesh`,
    );
  }
}

function checkDestination(
  ctx: AnalysisContext,
  emit: Emit,
  doc: AnalyzedDoc,
  dest: DestinationView,
  path: PathSegment[],
  ns: string,
): void {
  if (!dest.host) return;
  const host = toFqdn(dest.host, ns, ctx.mesh.domainSuffix);
  const services = servicesForHost(ctx, host);
  const mirrored = path.includes("mirror") || path.includes("mirrors");
  const fails = mirrored ? "the mirrored copies of requests are dropped" : "requests routed there fail";
  if (services.length === 0) {
    emit(
      doc,
      [...path, "host"],
      "referencedResourceNotFound",
      `Referenced host not found: "${host}"${hostHint(ctx, host)}; ${fails}. Fix: correct the host (a short name means a Service in namespace ${ns}; use <name>.<namespace>.svc.${ctx.mesh.domainSuffix} for another namespace) or create a ServiceEntry for it`,
    );
    return;
  }
  const port = dest.port?.number;
  const ports = [...new Set(services.flatMap((s) => s.ports))].sort((a, b) => a - b);
  if (port !== undefined && ports.length > 0 && !ports.includes(port))
    emit(
      doc,
      [...path, "port", "number"],
      "referencedResourceNotFound",
      `Referenced host:port not found: "${host}:${port}"; ${services[0]!.kind} ${services[0]!.name} has port${ports.length > 1 ? "s" : ""} ${ports.join(", ")}. Fix: use one of them`,
    );
  if (dest.subset) {
    const rules = destinationRulesFor(ctx, host);
    if (rules.some((r) => r.subsets.includes(dest.subset!))) return;
    const withSubsets = rules.find((r) => r.subsets.length > 0) ?? rules[0];
    emit(
      doc,
      [...path, "subset"],
      "referencedResourceNotFound",
      `Referenced host+subset in DestinationRule not found: "${host}+${dest.subset}"; ${fails} (503, no cluster). Fix: ${
        withSubsets
          ? `add a subset named ${dest.subset} to DestinationRule ${namespaceOf(withSubsets.doc.resource)}/${withSubsets.doc.resource.metadata.name}${withSubsets.subsets.length > 0 ? ` (it defines ${withSubsets.subsets.join(", ")})` : ""}`
          : `create a DestinationRule for host ${host} with a subset named ${dest.subset}`
      }, or route without a subset`,
    );
  }
}
