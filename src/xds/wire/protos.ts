/**
 * Loads the protobuf schemas the xDS layer speaks, once per process:
 *  - Envoy's discovery protos (envoy.service.discovery.v3, google.rpc.Status) from the copy
 *    that @grpc/grpc-js-xds publishes in its deps/ folder — never vendored here;
 *  - Ambit's resource protos under proto/ (istio.workload, istio.security, ambit.config.v1).
 *
 * Field names keep the .proto spelling (keepCase), so wire objects read like the schema:
 * `type_url`, `resource_names_subscribe`.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { AmbitError } from "../../common/errors.js";

const require = createRequire(import.meta.url);

/** proto/ at the repository root; this file sits three levels below it in src/ and in dist/. */
const AMBIT_PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "proto");

const AMBIT_FILES = [
  "istio/workload/workload.proto",
  "istio/security/authorization.proto",
  "ambit/config/v1/config.proto",
];
const ENVOY_FILES = ["envoy/service/discovery/v3/discovery.proto"];

function includeDirs(): string[] {
  const xdsPkg = dirname(require.resolve("@grpc/grpc-js-xds/package.json"));
  const deps = ["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => join(xdsPkg, "deps", d));
  return [AMBIT_PROTO_DIR, ...deps];
}

/** The message types the xDS layer encodes and decodes. */
export interface XdsProtoTypes {
  DeltaDiscoveryRequest: protobuf.Type;
  DeltaDiscoveryResponse: protobuf.Type;
  Resource: protobuf.Type;
  Address: protobuf.Type;
  Authorization: protobuf.Type;
  ConfigResource: protobuf.Type;
}

let loaded: XdsProtoTypes | undefined;

export function xdsProtos(): XdsProtoTypes {
  loaded ??= load();
  return loaded;
}

function load(): XdsProtoTypes {
  // Envoy's annotations import google/protobuf/descriptor.proto, which protobufjs ships as JSON
  // but does not register as a bundled file by default.
  const descriptor = require("protobufjs/google/protobuf/descriptor.json") as {
    nested: { google: { nested: { protobuf: { nested: protobuf.INamespace["nested"] } } } };
  };
  const bundled = descriptor.nested.google.nested.protobuf.nested;
  if (bundled) protobuf.common("descriptor", bundled);

  const dirs = includeDirs();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of dirs) {
      const full = join(dir, target);
      if (existsSync(full)) return full;
    }
    return target;
  };
  try {
    root.loadSync([...ENVOY_FILES, ...AMBIT_FILES], { keepCase: true });
    root.resolveAll();
  } catch (e) {
    throw new AmbitError(
      "XDS_PROTO_LOAD_FAILED",
      `cannot load the xDS protobuf schemas: ${(e as Error).message}`,
      `check that proto/ is shipped next to the code and @grpc/grpc-js-xds is installed (searched ${dirs.join(", ")})`,
      { cause: e },
    );
  }
  return {
    DeltaDiscoveryRequest: root.lookupType("envoy.service.discovery.v3.DeltaDiscoveryRequest"),
    DeltaDiscoveryResponse: root.lookupType("envoy.service.discovery.v3.DeltaDiscoveryResponse"),
    Resource: root.lookupType("envoy.service.discovery.v3.Resource"),
    Address: root.lookupType("istio.workload.Address"),
    Authorization: root.lookupType("istio.security.Authorization"),
    ConfigResource: root.lookupType("ambit.config.v1.ConfigResource"),
  };
}
