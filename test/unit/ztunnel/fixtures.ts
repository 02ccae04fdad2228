/** Small builders for the node proxy's state tests: workloads and services as xDS delivers them. */
import type { Authorization } from "../../../src/model/authorization.js";
import type { Service, ServicePort, Workload } from "../../../src/model/workload.js";
import { ProxyState } from "../../../src/ztunnel/state.js";

export interface WorkloadOpts {
  ns?: string;
  ip?: string | string[];
  node?: string;
  sa?: string;
  enrolled?: boolean;
  healthy?: boolean;
  labels?: Record<string, string>;
  services?: Workload["services"];
  policies?: string[];
  waypoint?: Workload["waypoint"];
}

export function workload(name: string, o: WorkloadOpts = {}): Workload {
  const ns = o.ns ?? "default";
  const sa = o.sa ?? name;
  const enrolled = o.enrolled ?? true;
  const w: Workload = {
    uid: `Kubernetes//Pod/${ns}/${name}`,
    name,
    namespace: ns,
    kind: "Pod",
    serviceAccount: sa,
    trustDomain: "cluster.local",
    identity: `spiffe://cluster.local/ns/${ns}/sa/${sa}`,
    addresses: o.ip === undefined ? [] : Array.isArray(o.ip) ? o.ip : [o.ip],
    network: "",
    node: o.node ?? "node-a",
    labels: o.labels ?? { app: name },
    workloadName: name,
    canonicalName: name,
    canonicalRevision: "latest",
    enrolled,
    enrollmentReason: enrolled
      ? "namespace label istio.io/dataplane-mode=ambient"
      : "no istio.io/dataplane-mode label",
    tunnelProtocol: enrolled ? "HBONE" : "NONE",
    services: o.services ?? {},
    authorizationPolicies: o.policies ?? [],
    healthy: o.healthy ?? true,
  };
  if (o.waypoint) w.waypoint = o.waypoint;
  return w;
}

export function port(p: number, targetPort = p, more: Partial<ServicePort> = {}): ServicePort {
  return { name: `p${p}`, port: p, targetPort, protocol: "TCP", ...more };
}

export function service(
  name: string,
  o: {
    ns?: string;
    vip?: string | string[];
    ports?: ServicePort[];
    endpoints?: Workload[];
    waypoint?: Service["waypoint"];
  } = {},
): Service {
  const ns = o.ns ?? "default";
  const s: Service = {
    name,
    namespace: ns,
    hostname: `${name}.${ns}.svc.cluster.local`,
    addresses: o.vip === undefined ? [] : Array.isArray(o.vip) ? o.vip : [o.vip],
    ports: o.ports ?? [port(80, 8080)],
    source: "Service",
    location: "MESH_INTERNAL",
    endpoints: (o.endpoints ?? []).map((w) => w.uid),
  };
  if (o.waypoint) s.waypoint = o.waypoint;
  return s;
}

export function authorization(key: string, more: Partial<Authorization> = {}): Authorization {
  const [namespace = "", name = ""] = key.split("/");
  return { name, namespace, scope: "NAMESPACE", action: "ALLOW", rules: [], dryRun: false, ...more };
}

export function stateWith(items: {
  workloads?: Workload[];
  services?: Service[];
  authorizations?: Authorization[];
}): ProxyState {
  const s = new ProxyState();
  for (const w of items.workloads ?? []) s.upsertWorkload(w);
  for (const v of items.services ?? []) s.upsertService(v);
  for (const a of items.authorizations ?? []) s.upsertAuthorization(a);
  return s;
}
