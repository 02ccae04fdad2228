/**
 * Istio's standard TCP metric labels, computed purely from who the peers of a connection are.
 * Label names and their meaning follow Istio's "Istio Standard Metrics" reference page and what
 * ztunnel reports (istio/ztunnel src/proxy/metrics.rs, CommonTrafficLabels), so Istio's Grafana
 * dashboards and Kiali read Ambit's series unchanged. Anything not known is "unknown", as in Istio.
 */

/** In ztunnel's order; every TCP series carries exactly these. */
export const TCP_LABEL_NAMES = [
  "reporter",
  "source_workload",
  "source_canonical_service",
  "source_canonical_revision",
  "source_workload_namespace",
  "source_principal",
  "source_app",
  "source_version",
  "source_cluster",
  "destination_service",
  "destination_service_namespace",
  "destination_service_name",
  "destination_workload",
  "destination_canonical_service",
  "destination_canonical_revision",
  "destination_workload_namespace",
  "destination_principal",
  "destination_app",
  "destination_version",
  "destination_cluster",
  "request_protocol",
  "response_flags",
  "connection_security_policy",
] as const;

export type TcpLabelName = (typeof TCP_LABEL_NAMES)[number];
export type TcpLabels = Record<TcpLabelName, string>;

/** "source": the client side's proxy (outbound); "destination": the server side's (inbound). */
export type Reporter = "source" | "destination";
/** ztunnel reports mutual_tls or unknown; Istio also uses none for plaintext a proxy accepted. */
export type SecurityPolicy = "mutual_tls" | "none" | "unknown";

/**
 * response_flags values ztunnel reports: "-" when nothing went wrong, "DENY" when an
 * authorization policy refused the connection, "CONNECT" when the upstream could not be reached.
 * Callers may pass Envoy's flags instead (e.g. "UF", "UH", "NR"); any string is carried as is.
 */
export const RESPONSE_FLAGS = { none: "-", denied: "DENY", connectFailure: "CONNECT" } as const;

export const UNKNOWN = "unknown";

/** A workload as telemetry needs it; a model Workload (src/model/workload.ts) fits as is. */
export interface PeerWorkload {
  /** Pod (or WorkloadEntry) name; the access log's src./dst.workload. */
  name: string;
  /** Owning workload (Deployment name); source_/destination_workload. Falls back to `name`. */
  workloadName?: string;
  namespace: string;
  canonicalName: string;
  canonicalRevision: string;
  labels: Record<string, string>;
  /** SPIFFE identity. */
  identity?: string;
  /** Cluster ID; else taken from a uid "<cluster>//Kind/ns/name". */
  cluster?: string;
  uid?: string;
}

export interface ServiceRef {
  hostname: string;
  name: string;
  namespace: string;
}

export interface ConnectionPeers {
  reporter: Reporter;
  source?: PeerWorkload;
  destination?: PeerWorkload;
  /** The client's identity as verified by mTLS; else the source's identity when securityPolicy is mutual_tls. */
  sourcePrincipal?: string;
  /** The server's identity; else the destination workload's identity (as ztunnel). */
  destinationPrincipal?: string;
  service?: ServiceRef;
  securityPolicy: SecurityPolicy;
  /** "-" when omitted. */
  responseFlags?: string;
}

export function connectionLabels(input: ConnectionPeers): TcpLabels {
  const src = peerLabels(input.source);
  const dst = peerLabels(input.destination);
  const mtls = input.securityPolicy === "mutual_tls";
  return {
    reporter: input.reporter,
    source_workload: src.workload,
    source_canonical_service: src.canonicalService,
    source_canonical_revision: src.canonicalRevision,
    source_workload_namespace: src.namespace,
    // Only a verified identity is a principal: ztunnel never fills source_principal from the
    // workload record alone, since a plaintext client could be anyone at that address.
    source_principal: known(input.sourcePrincipal ?? (mtls ? input.source?.identity : undefined)),
    source_app: src.app,
    source_version: src.version,
    source_cluster: src.cluster,
    destination_service: known(input.service?.hostname),
    destination_service_namespace: known(input.service?.namespace),
    destination_service_name: known(input.service?.name),
    destination_workload: dst.workload,
    destination_canonical_service: dst.canonicalService,
    destination_canonical_revision: dst.canonicalRevision,
    destination_workload_namespace: dst.namespace,
    destination_principal: known(input.destinationPrincipal ?? input.destination?.identity),
    destination_app: dst.app,
    destination_version: dst.version,
    destination_cluster: dst.cluster,
    request_protocol: "tcp",
    response_flags: input.responseFlags || RESPONSE_FLAGS.none,
    connection_security_policy: input.securityPolicy,
  };
}

function peerLabels(w: PeerWorkload | undefined) {
  return {
    workload: known(w?.workloadName || w?.name),
    canonicalService: known(w?.canonicalName),
    canonicalRevision: known(w?.canonicalRevision),
    namespace: known(w?.namespace),
    // Istio: "based on the app label of the workload"; ztunnel uses the canonical name, which is
    // the app label when there is one. Same for version.
    app: known(w?.labels["app"] || w?.canonicalName),
    version: known(w?.labels["version"] || w?.canonicalRevision),
    cluster: known(w?.cluster || clusterOfUid(w?.uid)),
  };
}

function clusterOfUid(uid: string | undefined): string | undefined {
  const i = uid?.indexOf("//") ?? -1;
  return uid && i > 0 ? uid.slice(0, i) : undefined;
}

function known(v: string | undefined): string {
  return v ? v : UNKNOWN;
}
