/**
 * What every check reads: the valid documents indexed by kind and name, the mesh settings, the
 * services by hostname, the waypoints, and the registry Ambit would compute from these documents
 * (workloads with their labels, services with their endpoints and waypoints). Built once per run.
 *
 * The registry needs pods with addresses: Deployments are expanded and every pod placed by the
 * local mode's scheduler on fake nodes (one per spec.nodeName the input names, plus "node-1"), so
 * the workloads are those that would exist once the input is applied.
 */
import { parse } from "yaml";
import { parseMeshConfig } from "../api/kinds/meshconfig.js";
import type { SourceDocument } from "../api/load.js";
import { gvkOf, type Resource } from "../api/resource.js";
import type { ValidatedDocument } from "../api/validate.js";
import {
  buildRegistry,
  materializePods,
  resolveMesh,
  type NodeSpec,
  type Registry,
  type RegistryMesh,
  type ResolvedMesh,
} from "../controlplane/registry/index.js";
import type { LabelSelectorView } from "../controlplane/registry/views.js";

/** group/Kind of the kinds the checks read. */
export const GVK = {
  namespace: "/Namespace",
  pod: "/Pod",
  service: "/Service",
  configMap: "/ConfigMap",
  deployment: "apps/Deployment",
  serviceEntry: "networking.istio.io/ServiceEntry",
  workloadEntry: "networking.istio.io/WorkloadEntry",
  virtualService: "networking.istio.io/VirtualService",
  destinationRule: "networking.istio.io/DestinationRule",
  istioGateway: "networking.istio.io/Gateway",
  gateway: "gateway.networking.k8s.io/Gateway",
  gatewayClass: "gateway.networking.k8s.io/GatewayClass",
  httpRoute: "gateway.networking.k8s.io/HTTPRoute",
  grpcRoute: "gateway.networking.k8s.io/GRPCRoute",
  authorizationPolicy: "security.istio.io/AuthorizationPolicy",
  requestAuthentication: "security.istio.io/RequestAuthentication",
  peerAuthentication: "security.istio.io/PeerAuthentication",
  telemetry: "telemetry.istio.io/Telemetry",
} as const;

export const WAYPOINT_CLASS = "istio-waypoint";
export const USE_WAYPOINT = "istio.io/use-waypoint";
export const USE_WAYPOINT_NAMESPACE = "istio.io/use-waypoint-namespace";
export const WAYPOINT_FOR = "istio.io/waypoint-for";
export const HBONE_PORT = 15008;

export interface AnalyzedDoc {
  source: SourceDocument;
  resource: Resource;
}

/** A hostname the mesh knows: a Kubernetes Service's FQDN or a ServiceEntry host (maybe "*.x"). */
export interface ServiceHost {
  host: string;
  namespace: string;
  kind: "Service" | "ServiceEntry";
  /** Name of the Service or ServiceEntry. */
  name: string;
  /** Service ports / ServiceEntry port numbers. */
  ports: number[];
}

/** A Gateway API Gateway with gatewayClassName istio-waypoint. */
export interface WaypointGateway {
  namespace: string;
  name: string;
  doc: AnalyzedDoc;
  /** istio.io/waypoint-for: "service" (default), "workload", "all" or "none". */
  trafficType: string;
  /** allowedRoutes.namespaces of its HBONE listener; "Same" without one. */
  allowedFrom: string;
  allowedSelector: LabelSelectorView | undefined;
}

export interface AnalysisOptions {
  /** Mesh settings; by default read from an `istio` ConfigMap in the input, else Istio's defaults. */
  mesh?: RegistryMesh;
}

export interface AnalysisContext {
  mesh: ResolvedMesh;
  docs: readonly AnalyzedDoc[];
  of(gvk: string): readonly AnalyzedDoc[];
  /** The document of kind `gvk` named namespace/name (name alone for cluster-scoped kinds). */
  find(gvk: string, namespace: string, name: string): AnalyzedDoc | undefined;
  namespaceLabels(namespace: string): Readonly<Record<string, string>>;
  hosts: readonly ServiceHost[];
  // "<ns>/<name>" -> waypoint
  waypoints: ReadonlyMap<string, WaypointGateway>;
  registry: Registry;
}

export const namespaceOf = (r: Resource): string => r.metadata.namespace ?? "default";
export const labelsOf = (r: Resource): Record<string, string> => r.metadata.labels ?? {};

interface ListenerView {
  name?: string;
  port?: number;
  protocol?: string;
  allowedRoutes?: { namespaces?: { from?: string; selector?: LabelSelectorView } };
}
export interface GatewayView {
  gatewayClassName?: string;
  listeners?: ListenerView[];
}

export const isHbone = (l: ListenerView): boolean =>
  (l.protocol ?? "").toUpperCase() === "HBONE" && l.port === HBONE_PORT;

export function buildContext(
  valid: readonly ValidatedDocument[],
  options: AnalysisOptions = {},
): AnalysisContext {
  const docs: AnalyzedDoc[] = valid.map((v) => ({ source: v.source, resource: v.resource }));
  // "group/Kind" -> documents
  const byKind = new Map<string, AnalyzedDoc[]>();
  // "group/Kind/ns/name" -> document
  const byName = new Map<string, AnalyzedDoc>();
  for (const d of docs) {
    const gvk = gvkOf(d.resource);
    byKind.set(gvk, [...(byKind.get(gvk) ?? []), d]);
    byName.set(`${gvk}/${d.resource.metadata.namespace ?? ""}/${d.resource.metadata.name}`, d);
  }
  const of = (gvk: string): readonly AnalyzedDoc[] => byKind.get(gvk) ?? [];
  const find = (gvk: string, namespace: string, name: string): AnalyzedDoc | undefined =>
    byName.get(`${gvk}/${namespace}/${name}`) ?? byName.get(`${gvk}//${name}`);

  const mesh = resolveMesh(options.mesh ?? meshFromInput(of(GVK.configMap)));
  const nsLabels = new Map(of(GVK.namespace).map((d) => [d.resource.metadata.name, labelsOf(d.resource)]));

  const resources = docs.map((d) => d.resource);
  const materialized = materializePods(resources, fakeNodes(of(GVK.pod)));
  const registry = buildRegistry({
    resources: materialized.resources,
    mesh,
    allocations: materialized.allocations,
  });

  return {
    mesh,
    docs,
    of,
    find,
    namespaceLabels: (ns) => nsLabels.get(ns) ?? {},
    hosts: serviceHosts(of(GVK.service), of(GVK.serviceEntry), mesh.domainSuffix),
    waypoints: collectWaypoints(of(GVK.gateway), of(GVK.gatewayClass)),
    registry,
  };
}

/** The root namespace and trust domain from an `istio` ConfigMap in its own root namespace. */
function meshFromInput(configMaps: readonly AnalyzedDoc[]): RegistryMesh {
  for (const d of configMaps) {
    if (d.resource.metadata.name !== "istio") continue;
    const text = (d.resource["data"] as Record<string, unknown> | undefined)?.["mesh"];
    if (typeof text !== "string") continue;
    let value: unknown;
    try {
      value = parse(text);
    } catch {
      continue; // validation reports it
    }
    const { mesh } = parseMeshConfig(value);
    if (mesh.rootNamespace === namespaceOf(d.resource))
      return { rootNamespace: mesh.rootNamespace, trustDomain: mesh.trustDomain };
  }
  return {};
}

/** "node-1" and one node per spec.nodeName the pods name, each with its own /16. */
function fakeNodes(pods: readonly AnalyzedDoc[]): NodeSpec[] {
  const names = new Set(["node-1"]);
  for (const p of pods) {
    const nodeName = (p.resource.spec as { nodeName?: unknown } | undefined)?.nodeName;
    if (typeof nodeName === "string" && nodeName !== "") names.add(nodeName);
  }
  // 10.128.0.0/16 .. 10.227.0.0/16 stay clear of the default service CIDR 10.96.0.0/16.
  return [...names].slice(0, 100).map((name, i) => ({
    name,
    podCidr: `10.${128 + i}.0.0/16`,
    address: `192.168.${Math.floor(i / 250)}.${(i % 250) + 1}`,
  }));
}

function serviceHosts(
  services: readonly AnalyzedDoc[],
  entries: readonly AnalyzedDoc[],
  domainSuffix: string,
): ServiceHost[] {
  const out: ServiceHost[] = [];
  for (const d of services) {
    const ns = namespaceOf(d.resource);
    const spec = (d.resource.spec ?? {}) as { ports?: { port?: number }[] };
    out.push({
      host: `${d.resource.metadata.name}.${ns}.svc.${domainSuffix}`,
      namespace: ns,
      kind: "Service",
      name: d.resource.metadata.name,
      ports: (spec.ports ?? []).map((p) => p.port ?? 0).filter((p) => p > 0),
    });
  }
  for (const d of entries) {
    const ns = namespaceOf(d.resource);
    const spec = (d.resource.spec ?? {}) as { hosts?: string[]; ports?: { number?: number }[] };
    const ports = (spec.ports ?? []).map((p) => p.number ?? 0).filter((p) => p > 0);
    for (const host of spec.hosts ?? [])
      out.push({
        host: host.toLowerCase(),
        namespace: ns,
        kind: "ServiceEntry",
        name: d.resource.metadata.name,
        ports,
      });
  }
  return out;
}

function collectWaypoints(
  gateways: readonly AnalyzedDoc[],
  classes: readonly AnalyzedDoc[],
): Map<string, WaypointGateway> {
  const waypointClass = classes.find((c) => c.resource.metadata.name === WAYPOINT_CLASS);
  const classFor = waypointClass ? labelsOf(waypointClass.resource)[WAYPOINT_FOR] : undefined;
  const out = new Map<string, WaypointGateway>();
  for (const doc of gateways) {
    const spec = (doc.resource.spec ?? {}) as GatewayView;
    if (spec.gatewayClassName !== WAYPOINT_CLASS) continue;
    const namespace = namespaceOf(doc.resource);
    const name = doc.resource.metadata.name;
    const hbone = (spec.listeners ?? []).find(isHbone);
    out.set(`${namespace}/${name}`, {
      namespace,
      name,
      doc,
      trafficType: labelsOf(doc.resource)[WAYPOINT_FOR] ?? classFor ?? "service",
      allowedFrom: hbone?.allowedRoutes?.namespaces?.from ?? "Same",
      allowedSelector: hbone?.allowedRoutes?.namespaces?.selector,
    });
  }
  return out;
}
