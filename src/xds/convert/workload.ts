/**
 * Workload (model/workload.ts) <-> istio.workload.Workload. Identity is not sent: as in Istio
 * it is spiffe://<trust_domain>/ns/<namespace>/sa/<service_account>, rebuilt on decode, with
 * Istio's defaults for elided fields (trust domain "cluster.local", service account "default").
 */
import type { PortMapping, Workload, WorkloadKind } from "../../model/workload.js";
import {
  PB_STATUS,
  PB_TUNNEL,
  PB_WORKLOAD_TYPE,
  type PbPortList,
  type PbWorkload,
} from "../wire/resources.js";
import { checkPort, invalidResource, requireText } from "./invalid.js";
import { ipBytes, ipText, pbToWaypoint, waypointToPb } from "./waypoint.js";

const DEFAULT_TRUST_DOMAIN = "cluster.local";
const DEFAULT_SERVICE_ACCOUNT = "default";
const KINDS: readonly WorkloadKind[] = ["Pod", "WorkloadEntry"];

export function workloadToPb(w: Workload): PbWorkload {
  const services: Record<string, PbPortList> = {};
  for (const [key, ports] of Object.entries(w.services)) {
    services[key] = { ports: ports.map((p) => ({ service_port: p.servicePort, target_port: p.targetPort })) };
  }
  const pb: PbWorkload = {
    uid: w.uid,
    name: w.name,
    namespace: w.namespace,
    addresses: w.addresses.map((a, i) => ipBytes(a, `Workload ${w.uid} addresses[${i}]`)),
    network: w.network,
    tunnel_protocol: w.tunnelProtocol === "HBONE" ? PB_TUNNEL.HBONE : PB_TUNNEL.NONE,
    trust_domain: w.trustDomain,
    service_account: w.serviceAccount,
    node: w.node,
    canonical_name: w.canonicalName,
    canonical_revision: w.canonicalRevision,
    // Telemetry only: a pod that is its own workload is reported as a POD.
    workload_type:
      w.kind === "Pod" && w.workloadName === w.name ? PB_WORKLOAD_TYPE.POD : PB_WORKLOAD_TYPE.DEPLOYMENT,
    workload_name: w.workloadName,
    authorization_policies: w.authorizationPolicies,
    status: w.healthy ? PB_STATUS.HEALTHY : PB_STATUS.UNHEALTHY,
    cluster_id: w.uid.includes("//") ? w.uid.slice(0, w.uid.indexOf("//")) : "",
    services,
    labels: w.labels,
    kind: w.kind,
    enrolled: w.enrolled,
    enrollment_reason: w.enrollmentReason,
  };
  if (w.waypoint) pb.waypoint = waypointToPb(w.waypoint);
  return pb;
}

export function pbToWorkload(pb: PbWorkload): Workload {
  const uid = requireText("Workload", "uid", pb.uid);
  const what = `Workload ${uid}`;
  const name = requireText(what, "name", pb.name);
  const namespace = requireText(what, "namespace", pb.namespace);
  const trustDomain = pb.trust_domain || DEFAULT_TRUST_DOMAIN;
  const serviceAccount = pb.service_account || DEFAULT_SERVICE_ACCOUNT;
  const tunnel = pb.tunnel_protocol ?? PB_TUNNEL.NONE;
  if (tunnel !== PB_TUNNEL.NONE && tunnel !== PB_TUNNEL.HBONE) {
    throw invalidResource(what, "tunnel_protocol", `unknown value ${tunnel}`);
  }
  const status = pb.status ?? PB_STATUS.HEALTHY;
  if (status !== PB_STATUS.HEALTHY && status !== PB_STATUS.UNHEALTHY) {
    throw invalidResource(what, "status", `unknown value ${status}`);
  }
  const w: Workload = {
    uid,
    name,
    namespace,
    kind: kindOf(pb.kind, uid, what),
    serviceAccount,
    trustDomain,
    identity: `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`,
    addresses: (pb.addresses ?? []).map((b, i) => ipText(b, what, `addresses[${i}]`)),
    network: pb.network ?? "",
    node: pb.node ?? "",
    labels: { ...(pb.labels ?? {}) },
    workloadName: pb.workload_name || name,
    canonicalName: pb.canonical_name || pb.workload_name || name,
    canonicalRevision: pb.canonical_revision || "latest",
    enrolled: pb.enrolled ?? false,
    enrollmentReason: pb.enrollment_reason ?? "",
    tunnelProtocol: tunnel === PB_TUNNEL.HBONE ? "HBONE" : "NONE",
    services: servicesOf(pb.services ?? {}, what),
    authorizationPolicies: [...(pb.authorization_policies ?? [])],
    healthy: status === PB_STATUS.HEALTHY,
  };
  if (pb.waypoint) w.waypoint = pbToWaypoint(pb.waypoint, what, "waypoint");
  return w;
}

/** Ambit sends the kind; for a resource without it, the uid's Kind segment decides, else Pod. */
function kindOf(kind: string | undefined, uid: string, what: string): WorkloadKind {
  if (kind) {
    const k = KINDS.find((x) => x === kind);
    if (!k) throw invalidResource(what, "kind", `unknown kind "${kind}"`);
    return k;
  }
  return KINDS.find((k) => uid.includes(`/${k}/`)) ?? "Pod";
}

function servicesOf(services: Record<string, PbPortList>, what: string): Record<string, PortMapping[]> {
  const out: Record<string, PortMapping[]> = {};
  for (const [key, list] of Object.entries(services)) {
    if (!key.includes("/"))
      throw invalidResource(what, `services["${key}"]`, 'key must be "<namespace>/<hostname>"');
    out[key] = (list.ports ?? []).map((p, i) => ({
      servicePort: checkPort(what, `services["${key}"].ports[${i}].service_port`, p.service_port ?? 0, false),
      targetPort: checkPort(what, `services["${key}"].ports[${i}].target_port`, p.target_port ?? 0, true),
    }));
  }
  return out;
}
