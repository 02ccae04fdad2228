/**
 * Domain types of the service registry: what the control plane derives from configuration and
 * pushes to proxies. They follow the meaning of Istio's workload API (istio.workload.Workload /
 * Service / Address) so that Istio users find the same fields; the wire form lives in proto/ and
 * xds/, converted at the boundary.
 */

/** A port a service forwards: servicePort -> targetPort on the workload (0 = same as servicePort). */
export interface PortMapping {
  servicePort: number;
  targetPort: number;
}

/** Where a workload's or service's waypoint listens: HBONE on `port` (15008) at one of `addresses`. */
export interface WaypointRef {
  /** "namespace/name" of the waypoint Gateway. */
  gateway: string;
  /** Hostname of the waypoint's Service ("<name>.<ns>.svc.<domain>"). */
  hostname: string;
  /** VIPs of the waypoint's Service, empty until it has one. */
  addresses: string[];
  port: number;
}

export type WorkloadKind = "Pod" | "WorkloadEntry";

export interface Workload {
  /** Stable unique id: "<cluster>//<Kind>/<namespace>/<name>" as Istio spells it. */
  uid: string;
  name: string;
  namespace: string;
  kind: WorkloadKind;
  serviceAccount: string;
  trustDomain: string;
  /** SPIFFE identity "spiffe://<td>/ns/<ns>/sa/<sa>". */
  identity: string;
  /** Workload IPs (pod IPs, WorkloadEntry address); may be empty before scheduling. */
  addresses: string[];
  network: string;
  /** Node the workload runs on ("" for WorkloadEntries outside any node). */
  node: string;
  labels: Record<string, string>;
  /** Owning workload (Deployment name, or the pod name when unowned). */
  workloadName: string;
  /** `app`/`service.istio.io/canonical-name` label, else workloadName. */
  canonicalName: string;
  /** `version`/`service.istio.io/canonical-revision` label, else "latest". */
  canonicalRevision: string;
  /** True when `istio.io/dataplane-mode=ambient` applies (pod label wins over namespace). */
  enrolled: boolean;
  /** Why enrolled or not, for `ambit describe`: e.g. "namespace label istio.io/dataplane-mode=ambient". */
  enrollmentReason: string;
  /** HBONE when enrolled (traffic to it is tunnelled), NONE otherwise. */
  tunnelProtocol: "HBONE" | "NONE";
  waypoint?: WaypointRef;
  /** service key ("<ns>/<hostname>") -> ports the service maps onto this workload */
  services: Record<string, PortMapping[]>;
  /** "<ns>/<name>" of AuthorizationPolicies that select this workload by label (workload scope). */
  authorizationPolicies: string[];
  healthy: boolean;
}

export interface ServicePort {
  name: string;
  port: number;
  /** Numeric target port (0 when the target is a named port resolved per workload). */
  targetPort: number;
  /** Named target port, when the Service names one. */
  targetPortName?: string;
  protocol: string;
  appProtocol?: string;
}

export interface Service {
  name: string;
  namespace: string;
  /** "<name>.<ns>.svc.cluster.local", or the ServiceEntry host. */
  hostname: string;
  /** Cluster VIPs. */
  addresses: string[];
  ports: ServicePort[];
  /** Where it came from. */
  source: "Service" | "ServiceEntry";
  /** ServiceEntry: MESH_INTERNAL or MESH_EXTERNAL; Services are MESH_INTERNAL. */
  location: "MESH_INTERNAL" | "MESH_EXTERNAL";
  waypoint?: WaypointRef;
  /** uids of the workloads behind it, in a stable order. */
  endpoints: string[];
}

/** Stable map key of a service in the registry: "<ns>/<hostname>". */
export function serviceKey(s: Pick<Service, "namespace" | "hostname">): string {
  return `${s.namespace}/${s.hostname}`;
}

/**
 * The workload port a service port forwards to on `w`: its own mapping (0 = the service port),
 * else the Service's numeric targetPort (0 = the service port). A named targetPort is resolved
 * per workload, so a workload without a mapping for it cannot serve that port: undefined.
 */
export function workloadPortFor(w: Workload, service: Service, port: ServicePort): number | undefined {
  const mapping = w.services[serviceKey(service)]?.find((m) => m.servicePort === port.port);
  if (mapping) return mapping.targetPort || port.port;
  if (port.targetPortName) return undefined;
  return port.targetPort || port.port;
}
