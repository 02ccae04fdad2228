/**
 * Turning a schema check of a plain configuration value (the mesh config, which is not a
 * Kubernetes object) into findings, the way validate.ts does for documents: unknown fields with
 * the closest valid name, missing fields, and messages at a field path.
 */
import type { z } from "zod";
import type { Finding, PathSegment } from "../findings.js";
import { formatPath } from "../findings.js";
import { knownKeysAt } from "../schema/walk.js";
import { didYouMean } from "../suggest.js";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (Array.isArray(v) && typeof seg === "number") v = v[seg];
    else if (isRecord(v) && typeof seg === "string") v = v[seg];
    else return undefined;
  }
  return v;
}

function article(expected: string): string {
  if (expected === "object") return "a mapping";
  if (expected === "array") return "a list";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  if (typeof v === "object") return "a mapping";
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Findings for the issues of `schema.safeParse(raw)`. */
export function issuesToFindings(
  schema: z.ZodType,
  raw: unknown,
  issues: readonly z.core.$ZodIssue[],
): Finding[] {
  const out: Finding[] = [];
  for (const issue of issues) {
    const path = issue.path as PathSegment[];
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys)
        out.push({
          severity: "error",
          code: "UNKNOWN_FIELD",
          message: `unknown field "${key}"${didYouMean(key, known)}`,
          path: formatPath([...path, key]),
        });
    } else if (issue.code === "invalid_type" && valueAt(raw, path) === undefined) {
      out.push({
        severity: "error",
        code: "MISSING_FIELD",
        message: `${String(path.at(-1) ?? "value")} is required`,
        path: formatPath(path),
      });
    } else {
      // zod's own type messages ("Invalid input: expected string, received number") read poorly.
      const message =
        issue.code === "invalid_type" && issue.message.startsWith("Invalid input")
          ? `must be ${article(issue.expected)} (got ${describe(valueAt(raw, path))})`
          : issue.message;
      out.push({ severity: "error", code: "INVALID_VALUE", message, path: formatPath(path) });
    }
  }
  return out;
}

function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * A copy of `value` with proto-style snake_case field names (`trust_domain`) renamed to their JSON
 * names (`trustDomain`) wherever the schema knows the camelCase field: Istio reads the mesh config
 * with protobuf's JSON rules, which accept both spellings. Map keys (labels, headers) are left as
 * they are because the schema lists no fields there.
 */
export function camelizeKnownFields(schema: z.ZodType, value: unknown, path: PathSegment[] = []): unknown {
  if (Array.isArray(value)) return value.map((v, i) => camelizeKnownFields(schema, v, [...path, i]));
  if (!isRecord(value)) return value;
  const known = new Set(knownKeysAt(schema, path));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const camel = camelCase(key);
    const name = !known.has(key) && camel !== key && known.has(camel) && !(camel in value) ? camel : key;
    out[name] = camelizeKnownFields(schema, v, [...path, name]);
  }
  return out;
}
