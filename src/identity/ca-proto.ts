/**
 * Loads proto/istio/ca.proto (Istio's certificate API, package istio.v1.auth) for @grpc/grpc-js,
 * and names its wire types (`Pb…`) as proto-loader decodes them: camelCase fields, int64 as
 * decimal strings, oneof names present. Shared by the control plane's CA service and by the
 * proxies' CA client.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CA_SERVICE_NAME = "istio.v1.auth.IstioCertificateService";
/** Metadata key for node-proxy impersonation (Istio pkg/security `ImpersonatedIdentity`). */
export const IMPERSONATED_IDENTITY_KEY = "ImpersonatedIdentity";

/** google.protobuf.Value as decoded with `oneofs: true`. */
export interface PbValue {
  kind?: string;
  stringValue?: string;
  [other: string]: unknown;
}

export interface PbStruct {
  fields?: Record<string, PbValue>;
}

export interface PbIstioCertificateRequest {
  csr: string;
  /** int64, decoded as a decimal string. */
  validityDuration: string;
  metadata?: PbStruct | null;
}

export interface PbIstioCertificateResponse {
  certChain: string[];
}

const LOADER_OPTIONS: protoLoader.Options = { longs: String, enums: String, defaults: true, oneofs: true };

/** proto/ sits at the repository root: two levels up from src/identity, three from dist/src/identity. */
function protoPath(): string {
  for (const rel of ["../../proto/istio/ca.proto", "../../../proto/istio/ca.proto"]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error("proto/istio/ca.proto not found next to the Ambit sources");
}

let cached: grpc.GrpcObject | undefined;

function loadPackage(): grpc.GrpcObject {
  cached ??= grpc.loadPackageDefinition(protoLoader.loadSync(protoPath(), LOADER_OPTIONS));
  return cached;
}

function serviceClient(): grpc.ServiceClientConstructor {
  const ctor = CA_SERVICE_NAME.split(".").reduce<unknown>(
    (obj, part) => (obj as Record<string, unknown> | undefined)?.[part],
    loadPackage(),
  );
  if (typeof ctor !== "function") throw new Error(`${CA_SERVICE_NAME} missing from ca.proto`);
  return ctor as grpc.ServiceClientConstructor;
}

export function caServiceDefinition(): grpc.ServiceDefinition {
  return serviceClient().service;
}

/** A typed client for tests and proxies. */
export interface CaClient extends grpc.Client {
  CreateCertificate(
    req: Partial<PbIstioCertificateRequest>,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    cb: (err: grpc.ServiceError | null, res?: PbIstioCertificateResponse) => void,
  ): grpc.ClientUnaryCall;
}

export function createCaClient(
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
): CaClient {
  const Ctor = serviceClient();
  // Nothing serves channelz (grpc.channelz.v1); as for the xDS client, its bookkeeping is waste.
  return new Ctor(address, credentials, { "grpc.enable_channelz": 0, ...options }) as unknown as CaClient;
}
