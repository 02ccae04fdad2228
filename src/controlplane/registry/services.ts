/**
 * Services of the registry, from Kubernetes Services and Istio ServiceEntries, as istiod builds
 * them for ztunnel (pilot/pkg/serviceregistry/kube/controller/ambient/services.go):
 *
 * - Service: hostname "<name>.<ns>.svc.<domainSuffix>"; VIPs are the cluster IPs (plus
 *   LoadBalancer ingress IPs); ExternalName Services are left out (DNS resolves them upstream).
 *   A port without targetPort targets its own number (the Kubernetes default).
 * - ServiceEntry: one service per host, all sharing the entry's addresses and ports; a port's
 *   targetPort defaults to its number; `location` defaults to MESH_EXTERNAL. Addresses must be IPs
 *   or single-address CIDRs, else istiod drops the entry's services. With no addresses, the ones
 *   istiod's auto-allocation wrote in status.addresses for that host are used.
 * - Waypoint: the service's own label, else its namespace's (waypoints.ts); a waypoint's own
 *   Service never gets one (label gateway.istio.io/managed=istio.io-mesh-controller, or a Service
 *   named like a waypoint Gateway in its namespace).
 */
import type { Resource } from "../../api/resource.js";
import type { Service, ServicePort } from "../../model/workload.js";
import { parseCidr, parseIp, formatIp } from "./cidr.js";
import { needsVip, specVips } from "./service-vips.js";
import type { AllocationTable, ResolvedMesh } from "./types.js";
import { waypointFor, type WaypointContext } from "./waypoints.js";
import {
  labelsOf,
  namespaceOf,
  serviceEntrySpec,
  serviceEntryStatus,
  serviceSpec,
  serviceStatus,
  type ServicePortView,
} from "./views.js";

const MANAGED = "gateway.istio.io/managed";
const MESH_CONTROLLER = "istio.io-mesh-controller";

/** A service plus what selecting its endpoints needs. */
export interface ServiceInfo {
  service: Service;
  /** Labels a workload (same namespace) must have to be selected; undefined selects none. */
  selector: Record<string, string> | undefined;
  /** "<ns>/<name>" of the ServiceEntry, whose inline endpoints belong to it. */
  entryKey?: string;
}

/** VIPs of a Kubernetes Service: written cluster IPs, else the allocated one, plus LB ingress IPs. */
export function serviceAddresses(svc: Resource, allocations: AllocationTable | undefined): string[] {
  const key = `${namespaceOf(svc)}/${svc.metadata.name}`;
  const vips = specVips(svc);
  const allocated = allocations?.services[key];
  if (vips.length === 0 && needsVip(svc) && allocated) vips.push(allocated);
  for (const ing of serviceStatus(svc).loadBalancer?.ingress ?? [])
    if (ing.ip && !vips.includes(ing.ip)) vips.push(ing.ip);
  return vips;
}

export function fromService(
  svc: Resource,
  mesh: ResolvedMesh,
  allocations: AllocationTable | undefined,
  wp: WaypointContext,
): ServiceInfo | undefined {
  const spec = serviceSpec(svc);
  if ((spec.type ?? "ClusterIP") === "ExternalName") return undefined;
  const ns = namespaceOf(svc);
  const name = svc.metadata.name;
  const labels = labelsOf(svc);
  const isWaypointService = labels[MANAGED] === MESH_CONTROLLER || wp.waypoints.has(`${ns}/${name}`);
  const service: Service = {
    name,
    namespace: ns,
    hostname: `${name}.${ns}.svc.${mesh.domainSuffix}`,
    addresses: serviceAddresses(svc, allocations),
    ports: (spec.ports ?? []).map(servicePort),
    source: "Service",
    location: "MESH_INTERNAL",
    endpoints: [],
  };
  const waypoint = isWaypointService
    ? undefined
    : waypointFor({ kind: "Service", namespace: ns, name, labels }, "service", wp);
  if (waypoint) service.waypoint = waypoint;
  return { service, selector: spec.selector };
}

function servicePort(p: ServicePortView): ServicePort {
  const port = p.port ?? 0;
  const out: ServicePort = { name: p.name ?? "", port, targetPort: port, protocol: p.protocol ?? "TCP" };
  if (typeof p.targetPort === "number") out.targetPort = p.targetPort;
  else if (typeof p.targetPort === "string" && /^\d+$/.test(p.targetPort))
    out.targetPort = Number(p.targetPort);
  else if (typeof p.targetPort === "string") {
    out.targetPort = 0;
    out.targetPortName = p.targetPort;
  }
  if (p.appProtocol) out.appProtocol = p.appProtocol;
  return out;
}

export function fromServiceEntry(
  se: Resource,
  wp: WaypointContext,
  warn: (m: string) => void,
): ServiceInfo[] {
  const spec = serviceEntrySpec(se);
  const ns = namespaceOf(se);
  const name = se.metadata.name;
  const labels = labelsOf(se);

  const addresses: string[] = [];
  for (const a of spec.addresses ?? []) {
    const ip = singleAddress(a);
    if (!ip) {
      warn(
        `ServiceEntry ${ns}/${name}: address "${a}" is not an IP or a single-address CIDR; its hosts get no service (as in Istio)`,
      );
      return [];
    }
    addresses.push(ip);
  }
  const ports: ServicePort[] = (spec.ports ?? []).map((p) => ({
    name: p.name ?? "",
    port: p.number ?? 0,
    targetPort: p.targetPort || p.number || 0,
    protocol: p.protocol ?? "TCP",
  }));
  const location = spec.location === "MESH_INTERNAL" ? "MESH_INTERNAL" : "MESH_EXTERNAL";
  const waypoint = waypointFor({ kind: "ServiceEntry", namespace: ns, name, labels }, "service", wp);
  const selector = spec.workloadSelector?.labels;
  const allocated = serviceEntryStatus(se).addresses ?? [];

  return (spec.hosts ?? []).map((host) => {
    let hostAddresses = addresses;
    if (hostAddresses.length === 0 && !host.startsWith("*") && spec.resolution !== "NONE") {
      hostAddresses = allocated
        .filter((a) => a.host === host && a.value && parseIp(a.value))
        .map((a) => a.value ?? "");
    }
    const service: Service = {
      name,
      namespace: ns,
      hostname: host,
      addresses: [...hostAddresses],
      ports: ports.map((p) => ({ ...p })),
      source: "ServiceEntry",
      location,
      endpoints: [],
    };
    if (waypoint) service.waypoint = waypoint;
    return { service, selector, entryKey: `${ns}/${name}` };
  });
}

/** An IP, or a CIDR holding exactly one address, as its canonical address text. */
function singleAddress(text: string): string | undefined {
  if (!text.includes("/")) {
    const ip = parseIp(text);
    return ip ? formatIp(ip) : undefined;
  }
  const c = parseCidr(text);
  if (!c || c.prefix !== (c.version === 4 ? 32 : 128)) return undefined;
  return formatIp({ version: c.version, value: c.network });
}
