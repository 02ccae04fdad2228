/**
 * Workload (model/workload.ts) <-> istio.workload.Workload. Identity is not sent: as in Istio
 * it is spiffe://<trust_domain>/ns/<namespace>/sa/<service_account>, rebuilt on decode, with
 * Istio's defaults for elided fields (trust domain "cluster.local", service account "default").
 */
import type { PortMapping, Workload, WorkloadKind } from "../../model/workload.js";
import { namespaceEnrollmentReason } from "./enrollment.js";
import { dropEmpty } from "./empty.js";
import {
  PB_STATUS,
  PB_TUNNEL,
  PB_WORKLOAD_TYPE,
  type PbPort,
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
    services[key] = { ports: ports.map(portMappingToPb) };
  }
  // Fields at their proto3 default (empty, zero, false) are left out, as Go's and Rust's
  // encoders do (protobufjs would write them when present): every proxy receives every workload.
  const pb: PbWorkload = {
    uid: w.uid,
    name: w.name,
    namespace: w.namespace,
    addresses: w.addresses.map((a, i) => ipBytes(a, `Workload ${w.uid} addresses[${i}]`)),
    // Istio leaves the trust domain out when it is "cluster.local" (pickTrustDomain in
    // pilot/pkg/serviceregistry/kube/controller/ambient/workloads.go); proxies default it.
    trust_domain: w.trustDomain === DEFAULT_TRUST_DOMAIN ? undefined : w.trustDomain,
    service_account: w.serviceAccount,
    node: w.node,
    canonical_name: w.canonicalName,
    canonical_revision: w.canonicalRevision,
    workload_name: w.workloadName,
    cluster_id: w.uid.includes("//") ? w.uid.slice(0, w.uid.indexOf("//")) : undefined,
    services,
    labels: w.labels,
    // Ambit-only fields, left out when decoding would restore them anyway.
    kind: kindFromUid(w.uid) === w.kind ? undefined : w.kind,
    enrollment_reason:
      w.enrolled && w.enrollmentReason === namespaceEnrollmentReason(w.namespace)
        ? undefined
        : w.enrollmentReason,
  };
  if (w.network) pb.network = w.network;
  if (w.tunnelProtocol === "HBONE") pb.tunnel_protocol = PB_TUNNEL.HBONE;
  // Telemetry only: a pod that is its own workload is reported as a POD.
  if (w.kind === "Pod" && w.workloadName === w.name) pb.workload_type = PB_WORKLOAD_TYPE.POD;
  if (w.authorizationPolicies.length > 0) pb.authorization_policies = w.authorizationPolicies;
  if (!w.healthy) pb.status = PB_STATUS.UNHEALTHY;
  if (w.enrolled) pb.enrolled = true;
  if (w.waypoint) pb.waypoint = waypointToPb(w.waypoint);
  return dropEmpty(pb);
}

function portMappingToPb(p: PortMapping): PbPort {
  const pb: PbPort = { service_port: p.servicePort };
  if (p.targetPort) pb.target_port = p.targetPort;
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
  const enrolled = pb.enrolled ?? false;
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
    enrolled,
    enrollmentReason: pb.enrollment_reason || (enrolled ? namespaceEnrollmentReason(namespace) : ""),
    tunnelProtocol: tunnel === PB_TUNNEL.HBONE ? "HBONE" : "NONE",
    services: servicesOf(pb.services ?? {}, what),
    authorizationPolicies: [...(pb.authorization_policies ?? [])],
    healthy: status === PB_STATUS.HEALTHY,
  };
  if (pb.waypoint) w.waypoint = pbToWaypoint(pb.waypoint, what, "waypoint");
  return w;
}

/** Ambit sends the kind unless the uid's Kind segment gives it; without either, Pod. */
function kindOf(kind: string | undefined, uid: string, what: string): WorkloadKind {
  if (kind) {
    const k = KINDS.find((x) => x === kind);
    if (!k) throw invalidResource(what, "kind", `unknown kind "${kind}"`);
    return k;
  }
  return kindFromUid(uid);
}

function kindFromUid(uid: string): WorkloadKind {
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
