/**
 * Service (model/workload.ts) <-> istio.workload.Service. Port names, protocols, source and
 * location travel in Ambit-only fields; for a resource without them (written by Istio) decode
 * falls back to Kubernetes' defaults: protocol TCP, source Service, MESH_INTERNAL, and Ambit
 * leaves out values equal to those defaults.
 *
 * Endpoints do not travel with the Service, as in Istio: a proxy derives them from the
 * workloads that name the service (ztunnel/state.ts), so a pod that comes or goes changes only
 * its own resource. A decoded Service has no endpoints.
 */
import type { Service, ServicePort } from "../../model/workload.js";
import type { PbPort, PbService } from "../wire/resources.js";
import { dropEmpty } from "./empty.js";
import { checkPort, invalidResource, requireText } from "./invalid.js";
import { ipBytes, ipText, pbToWaypoint, waypointToPb } from "./waypoint.js";

const SOURCES: readonly Service["source"][] = ["Service", "ServiceEntry"];
const LOCATIONS: readonly Service["location"][] = ["MESH_INTERNAL", "MESH_EXTERNAL"];
const DEFAULT_SOURCE: Service["source"] = "Service";
const DEFAULT_LOCATION: Service["location"] = "MESH_INTERNAL";
const DEFAULT_PROTOCOL = "TCP";

export function serviceToPb(s: Service): PbService {
  const pb: PbService = {
    name: s.name,
    namespace: s.namespace,
    hostname: s.hostname,
    // Ambit's model keeps one network per mesh, so service VIPs are on the default network
    // (network "", left out).
    addresses: s.addresses.map((a, i) => ({
      address: ipBytes(a, `Service ${s.namespace}/${s.hostname} addresses[${i}]`),
    })),
    ports: s.ports.map(portToPb),
    // Ambit-only fields, left out at the values decoding defaults to.
    source: s.source === DEFAULT_SOURCE ? undefined : s.source,
    location: s.location === DEFAULT_LOCATION ? undefined : s.location,
  };
  if (s.waypoint) pb.waypoint = waypointToPb(s.waypoint);
  return dropEmpty(pb);
}

function portToPb(p: ServicePort): PbPort {
  return dropEmpty({
    service_port: p.port,
    target_port: p.targetPort,
    name: p.name,
    target_port_name: p.targetPortName,
    protocol: p.protocol === DEFAULT_PROTOCOL ? undefined : p.protocol,
    app_protocol: p.appProtocol,
  });
}

export function pbToService(pb: PbService): Service {
  const namespace = requireText("Service", "namespace", pb.namespace);
  const hostname = requireText("Service", "hostname", pb.hostname);
  const what = `Service ${namespace}/${hostname}`;
  const s: Service = {
    name: requireText(what, "name", pb.name),
    namespace,
    hostname,
    addresses: (pb.addresses ?? []).map((a, i) =>
      ipText(a.address ?? new Uint8Array(), what, `addresses[${i}]`),
    ),
    ports: (pb.ports ?? []).map((p, i) => pbToPort(p, what, `ports[${i}]`)),
    source: oneOf(SOURCES, pb.source, DEFAULT_SOURCE, what, "source"),
    location: oneOf(LOCATIONS, pb.location, DEFAULT_LOCATION, what, "location"),
    endpoints: [],
  };
  if (pb.waypoint) s.waypoint = pbToWaypoint(pb.waypoint, what, "waypoint");
  return s;
}

function pbToPort(p: PbPort, what: string, path: string): ServicePort {
  const port: ServicePort = {
    name: p.name ?? "",
    port: checkPort(what, `${path}.service_port`, p.service_port ?? 0, false),
    targetPort: checkPort(what, `${path}.target_port`, p.target_port ?? 0, true),
    protocol: p.protocol || DEFAULT_PROTOCOL,
  };
  if (p.target_port_name) port.targetPortName = p.target_port_name;
  if (p.app_protocol) port.appProtocol = p.app_protocol;
  return port;
}

function oneOf<T extends string>(
  allowed: readonly T[],
  value: string | undefined,
  fallback: T,
  what: string,
  path: string,
): T {
  if (!value) return fallback;
  const v = allowed.find((a) => a === value);
  if (!v) throw invalidResource(what, path, `unknown value "${value}" (expected ${allowed.join(" or ")})`);
  return v;
}
