/**
 * TypeScript shapes of Ambit's resource protos (proto/istio/..., proto/ambit/...), named Pb… as
 * wire types are. Field names keep the .proto spelling. On decode, protobufjs yields objects
 * of exactly these shapes (unset message fields are null, unset scalars their zero value,
 * enums numbers), so the one cast lives in `decodePb`; meaning is checked in convert/.
 */
import type protobuf from "protobufjs";

export interface PbNetworkAddress {
  network?: string;
  address?: Uint8Array;
}

export interface PbNamespacedHostname {
  namespace?: string;
  hostname?: string;
}

export interface PbGatewayAddress {
  hostname?: PbNamespacedHostname | null;
  address?: PbNetworkAddress | null;
  hbone_mtls_port?: number;
  gateway?: string;
  vips?: Uint8Array[];
}

export interface PbPort {
  service_port?: number;
  target_port?: number;
  name?: string;
  target_port_name?: string;
  protocol?: string;
  app_protocol?: string;
}

export interface PbPortList {
  ports?: PbPort[];
}

/** istio.workload.TunnelProtocol */
export const PB_TUNNEL = { NONE: 0, HBONE: 1 } as const;
/** istio.workload.WorkloadStatus */
export const PB_STATUS = { HEALTHY: 0, UNHEALTHY: 1 } as const;
/** istio.workload.WorkloadType */
export const PB_WORKLOAD_TYPE = { DEPLOYMENT: 0, CRONJOB: 1, POD: 2, JOB: 3 } as const;

export interface PbWorkload {
  uid?: string;
  name?: string;
  namespace?: string;
  addresses?: Uint8Array[];
  network?: string;
  tunnel_protocol?: number;
  trust_domain?: string;
  service_account?: string;
  waypoint?: PbGatewayAddress | null;
  node?: string;
  canonical_name?: string;
  canonical_revision?: string;
  workload_type?: number;
  workload_name?: string;
  authorization_policies?: string[];
  status?: number;
  cluster_id?: string;
  services?: Record<string, PbPortList>;
  labels?: Record<string, string>;
  kind?: string;
  enrolled?: boolean;
  enrollment_reason?: string;
}

export interface PbService {
  name?: string;
  namespace?: string;
  hostname?: string;
  addresses?: PbNetworkAddress[];
  ports?: PbPort[];
  waypoint?: PbGatewayAddress | null;
  source?: string;
  location?: string;
}

/** istio.workload.Address: exactly one of workload / service. */
export interface PbAddress {
  workload?: PbWorkload | null;
  service?: PbService | null;
}

export interface PbStringMatch {
  exact?: string;
  prefix?: string;
  suffix?: string;
  presence?: Record<string, never> | null;
  /** protobufjs' virtual oneof field: the name of the member that is set. */
  match_type?: string;
}

export interface PbCidr {
  address?: Uint8Array;
  length?: number;
}

export interface PbMatch {
  namespaces?: PbStringMatch[];
  not_namespaces?: PbStringMatch[];
  principals?: PbStringMatch[];
  not_principals?: PbStringMatch[];
  source_ips?: PbCidr[];
  not_source_ips?: PbCidr[];
  destination_ips?: PbCidr[];
  not_destination_ips?: PbCidr[];
  destination_ports?: number[];
  not_destination_ports?: number[];
}

export interface PbClause {
  matches?: PbMatch[];
}

export interface PbRule {
  clauses?: PbClause[];
}

/** istio.security.Scope */
export const PB_SCOPE = { GLOBAL: 0, NAMESPACE: 1, WORKLOAD_SELECTOR: 2 } as const;
/** istio.security.Action (AUDIT and CUSTOM are Ambit-only values). */
export const PB_ACTION = { ALLOW: 0, DENY: 1, AUDIT: 1000, CUSTOM: 1001 } as const;

export interface PbAuthorization {
  name?: string;
  namespace?: string;
  scope?: number;
  action?: number;
  rules?: PbRule[];
  dry_run?: boolean;
  l7_warning?: string;
}

export interface PbConfigResource {
  kind?: string;
  api_version?: string;
  namespace?: string;
  name?: string;
  resource_version?: string;
  json?: Uint8Array;
}

/** Encodes a plain object of the type's shape (protobufjs encodes plain objects directly). */
export function encodePb<T extends object>(type: protobuf.Type, value: T): Uint8Array {
  return type.encode(value).finish();
}

/** Decodes bytes into the type's shape; throws protobufjs' error on malformed input. */
export function decodePb<T extends object>(type: protobuf.Type, bytes: Uint8Array): T {
  // protobufjs reads strings faster from a Buffer (native UTF-8 decoding); the client hands
  // decoders plain views (response-reader.ts), so wrap them, without copying.
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return type.decode(buf) as unknown as T;
}
