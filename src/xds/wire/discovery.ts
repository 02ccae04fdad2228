/**
 * Codecs for envoy.service.discovery.v3.DeltaDiscoveryRequest / DeltaDiscoveryResponse, the two
 * messages of the delta ADS stream, as plain typed objects (Xds… types).
 *
 * The server never re-encodes a resource per subscriber: each resource's envelope
 * (envoy Resource{name, Any}) is encoded once per version (`encodeResourceEnvelope`)
 * and a response is assembled from those bytes (`serializeResponse`). A repeated message field
 * on the wire is just its tag, length and bytes, so this is the same encoding protobufjs would
 * produce, at a fraction of the cost when 100 proxies receive the same 10,000 resources.
 * The client's side is written by hand too: it reads responses (response-reader.ts) and writes
 * requests (request-writer.ts) without protobufjs' reflection, once per response per proxy.
 */
import protobuf from "protobufjs";
import { xdsProtos } from "./protos.js";
import { readDeltaResponse } from "./response-reader.js";
import { writeDeltaRequest } from "./request-writer.js";
import { fromStruct, type JsonValue, type PbStruct } from "./struct.js";

/** The proxy as it describes itself (envoy.config.core.v3.Node, the fields Ambit uses). */
export interface XdsNode {
  id: string;
  cluster: string;
  metadata: Record<string, JsonValue>;
}

/** google.rpc.Status carried by a NACK. */
export interface XdsErrorDetail {
  code: number;
  message: string;
}

export interface XdsDeltaRequest {
  /** Required on the first request of a stream, optional afterwards (xDS protocol). */
  node?: XdsNode;
  typeUrl: string;
  subscribe: string[];
  unsubscribe: string[];
  /** name -> version the client already holds (first request of a type on a new stream). */
  initialVersions: Record<string, string>;
  /** Nonce of the response this request ACKs or NACKs; "" when it is not an ACK/NACK. */
  responseNonce: string;
  /** Set on a NACK. */
  errorDetail?: XdsErrorDetail;
}

/** A request the server could not decode; the stream is ended with INVALID_ARGUMENT. */
export interface XdsMalformedRequest {
  malformed: string;
}

export interface XdsWireResource {
  name: string;
  version: string;
  /** type_url inside the Any; checked by the client against the subscription's type. */
  typeUrl: string;
  /** A view into the response, not a copy. */
  value: Uint8Array;
}

/** A response as the client decodes it. */
export interface XdsDeltaResponse {
  systemVersionInfo: string;
  typeUrl: string;
  nonce: string;
  resources: XdsWireResource[];
  removed: string[];
}

/**
 * A response as the server sends it: `body` holds the resources and type_url already encoded
 * (encodeResponseBody), often shared by every proxy receiving the same resources; the fields
 * that differ per proxy are appended when the response is serialized.
 */
export interface XdsOutgoingResponse {
  body: Buffer;
  systemVersionInfo: string;
  nonce: string;
  removed: string[];
}

interface PbNode {
  id?: string;
  cluster?: string;
  metadata?: PbStruct | null;
}

interface PbDeltaRequest {
  node?: PbNode | null;
  type_url?: string;
  resource_names_subscribe?: string[];
  resource_names_unsubscribe?: string[];
  initial_resource_versions?: Record<string, string>;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string } | null;
}

/**
 * envoy Resource{name=3, version=1, resource=2 Any{type_url=1, value=2}}, encoded once per
 * version. An empty `version` is left off the wire (Ambit's server sends none, as istiod does
 * for the workload API types).
 */
export function encodeResourceEnvelope(
  name: string,
  version: string,
  typeUrl: string,
  value: Uint8Array,
): Uint8Array {
  const resource = { type_url: typeUrl, value };
  return xdsProtos()
    .Resource.encode(version ? { name, version, resource } : { name, resource })
    .finish();
}

// DeltaDiscoveryResponse field numbers: system_version_info=1, resources=2, type_url=4,
// nonce=5, removed_resources=6; (n << 3) | 2 is a length-delimited field's tag. Protobuf lets
// fields appear in any order, so a shared body and a per-proxy tail simply concatenate.

/** resources (pre-encoded envoy Resource messages) + type_url, the part proxies can share. */
export function encodeResponseBody(typeUrl: string, envelopes: readonly Uint8Array[]): Buffer {
  const w = protobuf.Writer.create();
  for (const env of envelopes) w.uint32((2 << 3) | 2).bytes(env);
  w.uint32((4 << 3) | 2).string(typeUrl);
  return asBuffer(w.finish());
}

export function serializeResponse(r: XdsOutgoingResponse): Buffer {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).string(r.systemVersionInfo);
  w.uint32((5 << 3) | 2).string(r.nonce);
  for (const name of r.removed) w.uint32((6 << 3) | 2).string(name);
  const tail = w.finish();
  return Buffer.concat([r.body, tail], r.body.length + tail.length);
}

/** protobufjs already returns a Buffer under Node; wrap (no copy) if it ever does not. */
function asBuffer(a: Uint8Array): Buffer {
  return Buffer.isBuffer(a) ? a : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export function deserializeResponse(buf: Buffer): XdsDeltaResponse {
  return readDeltaResponse(buf);
}

export function serializeRequest(r: XdsDeltaRequest): Buffer {
  return asBuffer(writeDeltaRequest(r));
}

/** Never throws: garbage becomes an XdsMalformedRequest the server answers with an error status. */
export function deserializeRequest(buf: Buffer): XdsDeltaRequest | XdsMalformedRequest {
  let pb: PbDeltaRequest;
  try {
    pb = xdsProtos().DeltaDiscoveryRequest.decode(buf) as unknown as PbDeltaRequest;
  } catch (e) {
    return { malformed: `not a DeltaDiscoveryRequest: ${(e as Error).message}` };
  }
  const req: XdsDeltaRequest = {
    typeUrl: pb.type_url ?? "",
    subscribe: pb.resource_names_subscribe ?? [],
    unsubscribe: pb.resource_names_unsubscribe ?? [],
    initialVersions: pb.initial_resource_versions ?? {},
    responseNonce: pb.response_nonce ?? "",
  };
  if (pb.node) {
    req.node = {
      id: pb.node.id ?? "",
      cluster: pb.node.cluster ?? "",
      metadata: fromStruct(pb.node.metadata),
    };
  }
  if (pb.error_detail)
    req.errorDetail = { code: pb.error_detail.code ?? 0, message: pb.error_detail.message ?? "" };
  return req;
}
