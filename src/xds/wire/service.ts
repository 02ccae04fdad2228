/**
 * The one gRPC method Ambit serves for xDS: Envoy's DeltaAggregatedResources, a bidirectional
 * stream of DeltaDiscoveryRequest (proxy -> control plane) and DeltaDiscoveryResponse
 * (control plane -> proxy) carrying every resource type (ADS). The state-of-the-world method
 * is not served; grpc-js answers it with UNIMPLEMENTED.
 *
 * The definition is written by hand rather than loaded with proto-loader so that the codecs
 * are ours: the server sends pre-encoded resources and never fails to deserialize (garbage
 * becomes an XdsMalformedRequest it can answer clearly).
 */
import type * as grpc from "@grpc/grpc-js";
import {
  deserializeRequest,
  deserializeResponse,
  serializeRequest,
  serializeResponse,
  type XdsDeltaRequest,
  type XdsDeltaResponse,
  type XdsMalformedRequest,
  type XdsOutgoingResponse,
} from "./discovery.js";

/**
 * The name proxies expect in the control plane's serving certificate by default (TLS SNI and
 * :authority too), Istio's: its ztunnel connects to istiod.istio-system.svc:15012.
 */
export const CONTROL_PLANE_SERVER_NAME = "istiod.istio-system.svc";

/**
 * Channel options that make a gRPC channel to the control plane verify `name` in its certificate
 * and send it as TLS SNI and :authority, whatever address it dials (an IP, a Unix socket).
 */
export function controlPlaneChannelOptions(name = CONTROL_PLANE_SERVER_NAME): grpc.ChannelOptions {
  return { "grpc.ssl_target_name_override": name, "grpc.default_authority": name };
}

export const DELTA_ADS_PATH =
  "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources";

type ServerMethod = grpc.MethodDefinition<XdsDeltaRequest | XdsMalformedRequest, XdsOutgoingResponse>;

function serverOnly(): never {
  throw new Error("the server-side xDS method definition is not used to make calls");
}

/** Service definition for `grpc.Server#addService`, with the server-side codecs. */
export const deltaAdsService: grpc.ServiceDefinition<{ DeltaAggregatedResources: ServerMethod }> = {
  DeltaAggregatedResources: {
    path: DELTA_ADS_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: serverOnly,
    requestDeserialize: deserializeRequest,
    responseSerialize: serializeResponse,
    responseDeserialize: serverOnly,
  },
};

/** Client-side codecs, for `grpc.Client#makeBidiStreamRequest`. */
export const clientCodecs = {
  serialize: (r: XdsDeltaRequest): Buffer => serializeRequest(r),
  deserialize: (b: Buffer): XdsDeltaResponse => deserializeResponse(b),
};
