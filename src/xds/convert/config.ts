/**
 * Configuration documents <-> ambit.config.v1.ConfigResource. The control plane has validated
 * the document already; the proxy re-checks only the envelope (JSON object whose apiVersion,
 * kind, metadata.name and namespace match the carrier) and leaves the spec to its compiler.
 * Resource name: "<group>/<Kind>/<namespace>/<name>" (api/resource.ts keyOf).
 *
 * One document is not user config: the mesh settings proxies follow (convert/mesh.ts); its spec
 * is checked here too, so a bad one is NACKed and the proxy keeps the settings it had.
 */
import { keyOf, type Resource } from "../../api/resource.js";
import { xdsProtos } from "../wire/protos.js";
import { decodePb, encodePb, type PbConfigResource } from "../wire/resources.js";
import { invalidResource, requireText } from "./invalid.js";
import { isMeshConfigDocument, meshSettingsOf } from "./mesh.js";

export interface XdsConfigDocument {
  /** The validated document: apiVersion, kind, metadata, spec. */
  document: Resource;
  /** The config store's version of it ("" when the store has none). */
  resourceVersion: string;
}

export function configResourceName(doc: XdsConfigDocument): string {
  return keyOf(doc.document);
}

export function encodeConfig(doc: XdsConfigDocument): Uint8Array {
  const d = doc.document;
  const pb: PbConfigResource = {
    kind: d.kind,
    api_version: d.apiVersion,
    namespace: d.metadata.namespace ?? "",
    name: d.metadata.name,
    resource_version: doc.resourceVersion,
    json: Buffer.from(JSON.stringify(d), "utf8"),
  };
  return encodePb(xdsProtos().ConfigResource, pb);
}

/** Decodes and checks the envelope; throws an XDS_INVALID_RESOURCE AmbitError (-> NACK). */
export function decodeConfig(bytes: Uint8Array): XdsConfigDocument {
  let pb: PbConfigResource;
  try {
    pb = decodePb<PbConfigResource>(xdsProtos().ConfigResource, bytes);
  } catch (e) {
    throw invalidResource(
      "ConfigResource",
      "(message)",
      `not a valid ambit.config.v1.ConfigResource: ${(e as Error).message}`,
    );
  }
  const kind = requireText("ConfigResource", "kind", pb.kind);
  const name = requireText(`${kind}`, "name", pb.name);
  const namespace = pb.namespace ?? "";
  const what = `${kind} ${namespace ? `${namespace}/` : ""}${name}`;
  const apiVersion = requireText(what, "api_version", pb.api_version);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(pb.json ?? new Uint8Array()).toString("utf8"));
  } catch (e) {
    throw invalidResource(what, "json", `not valid JSON: ${(e as Error).message}`);
  }
  const document = checkEnvelope(parsed, { apiVersion, kind, name, namespace }, what);
  if (isMeshConfigDocument(document)) meshSettingsOf(document);
  return { document, resourceVersion: pb.resource_version ?? "" };
}

interface Envelope {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
}

function checkEnvelope(value: unknown, want: Envelope, what: string): Resource {
  if (!isRecord(value)) throw invalidResource(what, "json", "is not a JSON object");
  const meta = value.metadata;
  if (!isRecord(meta)) throw invalidResource(what, "json.metadata", "is not an object");
  const got: Envelope = {
    apiVersion: typeof value.apiVersion === "string" ? value.apiVersion : "",
    kind: typeof value.kind === "string" ? value.kind : "",
    name: typeof meta.name === "string" ? meta.name : "",
    namespace: typeof meta.namespace === "string" ? meta.namespace : "",
  };
  for (const field of ["apiVersion", "kind", "name", "namespace"] as const) {
    if (got[field] !== want[field]) {
      throw invalidResource(
        what,
        `json ${field}`,
        `"${got[field]}" does not match the carrier's "${want[field]}"`,
      );
    }
  }
  return value as Resource;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
