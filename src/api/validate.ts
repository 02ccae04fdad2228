/**
 * Validation of single documents: envelope (apiVersion, kind, metadata), then the kind's schema,
 * then its extra checks and deprecations. Produces findings with file, document, kind/name and
 * field path, and, when there is no error, the normalized resource (defaults applied).
 */
import { z } from "zod";
import type { Finding, PathSegment } from "./findings.js";
import { formatPath } from "./findings.js";
import { allKinds, apiVersionOf, findKind, type KindDefinition } from "./kinds/define.js";
import type { SourceDocument } from "./load.js";
import { groupOf, keyOf, type Resource } from "./resource.js";
import { annotations, dnsLabel, dnsSubdomain, labels, obj } from "./schema/primitives.js";
import { knownKeysAt } from "./schema/walk.js";
import { matchGlob } from "./glob.js";
import { closest, didYouMean } from "./suggest.js";
import "./kinds/all.js";

export interface ValidatedDocument {
  source: SourceDocument;
  kind: KindDefinition;
  resource: Resource;
}

export interface ValidationResult {
  valid: ValidatedDocument[];
  findings: Finding[];
}

const metadataFields = {
  name: dnsSubdomain.optional(),
  generateName: z.string().optional(),
  namespace: dnsLabel.optional(),
  labels: labels.optional(),
  annotations: annotations.optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.union([z.string(), z.null()]).optional(),
  deletionTimestamp: z.string().optional(),
  deletionGracePeriodSeconds: z.number().int().optional(),
  ownerReferences: z.array(z.record(z.string(), z.unknown())).optional(),
  finalizers: z.array(z.string()).optional(),
  managedFields: z.array(z.unknown()).optional(),
  selfLink: z.string().optional(),
};

// "group/Kind" -> schema of the whole document
const documentSchemas = new Map<string, z.ZodType>();

function documentSchema(def: KindDefinition): z.ZodType {
  const key = `${def.group}/${def.kind}`;
  let s = documentSchemas.get(key);
  if (!s) {
    const spec = def.spec ?? z.unknown();
    s = obj({
      apiVersion: z.string(),
      kind: z.string(),
      metadata: obj(metadataFields),
      spec: def.specOptional || !def.spec ? spec.optional() : spec,
      status: z.unknown().optional(),
      ...(def.fields ?? {}),
    });
    documentSchemas.set(key, s);
  }
  return s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Validates one parsed document. */
export function validateDocument(src: SourceDocument): {
  resource?: Resource;
  kind?: KindDefinition;
  findings: Finding[];
} {
  const findings: Finding[] = [];
  const raw = src.value;
  const meta = isRecord(raw) && isRecord(raw.metadata) ? raw.metadata : {};
  const base = {
    file: src.file,
    docIndex: src.docIndex,
    kind: isRecord(raw) && typeof raw.kind === "string" ? raw.kind : undefined,
    name: typeof meta.name === "string" ? meta.name : undefined,
    namespace: typeof meta.namespace === "string" ? meta.namespace : undefined,
  };
  const add = (
    path: readonly PathSegment[],
    message: string,
    severity: "error" | "warning" = "error",
    code = "INVALID_VALUE",
  ) => {
    const f: Finding = { severity, code, message, ...base, path: formatPath([...src.pathPrefix, ...path]) };
    const line = src.lineOf(path);
    if (line !== undefined) f.line = line;
    findings.push(f);
  };

  if (!isRecord(raw)) {
    add([], "document must be a mapping with apiVersion, kind and metadata", "error", "NOT_AN_OBJECT");
    return { findings };
  }
  if (typeof raw.apiVersion !== "string" || raw.apiVersion === "")
    add(["apiVersion"], "apiVersion is required", "error", "MISSING_FIELD");
  if (typeof raw.kind !== "string" || raw.kind === "")
    add(["kind"], "kind is required", "error", "MISSING_FIELD");
  if (findings.length > 0) return { findings };
  const apiVersion = raw.apiVersion as string;
  const kindName = raw.kind as string;
  const group = groupOf(apiVersion);
  const def = findKind(group, kindName);
  if (!def) {
    const sameKind = allKinds().filter((k) => k.kind === kindName);
    if (sameKind.length > 0) {
      const served = sameKind.flatMap((k) => k.versions.map((v) => apiVersionOf(k, v)));
      add(
        ["apiVersion"],
        `${kindName} is not served as ${apiVersion}; use one of ${served.join(", ")}`,
        "error",
        "UNKNOWN_VERSION",
      );
    } else {
      const known = allKinds().map((k) => k.kind);
      add(
        ["kind"],
        `unknown kind "${kindName}" (${apiVersion})${didYouMean(kindName, known)}; run \`ambit validate --list-kinds\` to see what Ambit accepts`,
        "error",
        "UNKNOWN_KIND",
      );
    }
    return { findings };
  }
  const version = apiVersion.slice(group === "" ? 0 : group.length + 1);
  if (!def.versions.includes(version)) {
    const served = def.versions.map((v) => apiVersionOf(def, v));
    add(
      ["apiVersion"],
      `${kindName} is not served as ${apiVersion}; use one of ${served.join(", ")}`,
      "error",
      "UNKNOWN_VERSION",
    );
    return { findings };
  }

  const schema = documentSchema(def);
  // reportInput: without it zod leaves `input` out of issues and a wrong type looks like a missing field.
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path as PathSegment[];
      if (issue.code === "unrecognized_keys") {
        const known = knownKeysAt(schema, path);
        for (const key of issue.keys)
          add([...path, key], `unknown field "${key}"${didYouMean(key, known)}`, "error", "UNKNOWN_FIELD");
      } else if (issue.code === "invalid_type" && issue.input === undefined) {
        add(path, `${String(path.at(-1) ?? "value")} is required`, "error", "MISSING_FIELD");
      } else add(path, issue.message);
    }
  }
  const metadata = isRecord(raw.metadata) ? raw.metadata : undefined;
  if (!metadata || typeof metadata.name !== "string" || metadata.name === "")
    if (!findings.some((f) => f.path?.startsWith("metadata")))
      add(["metadata", "name"], "metadata.name is required", "error", "MISSING_FIELD");
  if (!def.namespaced && metadata?.namespace !== undefined)
    add(
      ["metadata", "namespace"],
      `${kindName} is cluster-scoped and takes no namespace`,
      "warning",
      "IGNORED_FIELD",
    );

  for (const d of def.deprecations ?? []) {
    for (const p of matchGlob(raw, d.path.split("."))) add(p, d.message, "warning", "DEPRECATED_FIELD");
  }
  if (!parsed.success || findings.some((f) => f.severity === "error")) return { kind: def, findings };

  const resource = parsed.data as Resource;
  if (def.namespaced) resource.metadata.namespace ??= "default";
  else delete resource.metadata.namespace;
  if (def.check) {
    def.check(resource, (path, message, opts) =>
      add(path, message, opts?.severity ?? "error", opts?.code ?? "INVALID_VALUE"),
    );
  }
  if (findings.some((f) => f.severity === "error")) return { kind: def, findings };
  return { resource, kind: def, findings };
}

/** Validates every loaded document; also reports objects defined twice in the input. */
export function validateAll(documents: readonly SourceDocument[]): ValidationResult {
  const valid: ValidatedDocument[] = [];
  const findings: Finding[] = [];
  // object key -> where it was first defined
  const seen = new Map<string, SourceDocument>();
  for (const src of documents) {
    const r = validateDocument(src);
    findings.push(...r.findings);
    if (!r.resource || !r.kind) continue;
    const key = keyOf(r.resource);
    const first = seen.get(key);
    if (first) {
      findings.push({
        severity: "error",
        code: "DUPLICATE_OBJECT",
        message: `defined twice: also at ${first.file}:${first.docIndex}`,
        file: src.file,
        docIndex: src.docIndex,
        kind: r.resource.kind,
        name: r.resource.metadata.name,
        ...(r.resource.metadata.namespace ? { namespace: r.resource.metadata.namespace } : {}),
      });
      continue;
    }
    seen.set(key, src);
    valid.push({ source: src, kind: r.kind, resource: r.resource });
  }
  return { valid, findings };
}

export { closest };
