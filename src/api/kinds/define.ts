/**
 * The table of kinds Ambit accepts. Each kind module calls `defineKind` once; validate.ts looks
 * kinds up here. A kind lists every API version Istio (or Kubernetes) serves for it, preferred
 * version first; all versions of a kind share one schema, as they do in Istio.
 */
import type { z } from "zod";
import type { Finding, PathSegment } from "../findings.js";
import type { Resource } from "../resource.js";

export interface Deprecation {
  /** Dotted glob over the document: `*` is one key or index, `**` any number; e.g. "spec.**.outlierDetection.consecutiveErrors". */
  path: string;
  message: string;
}

/** Adds a finding at `path` (relative to the document root). */
export type Report = (
  path: readonly PathSegment[],
  message: string,
  opts?: { severity?: "error" | "warning"; code?: string },
) => void;

export interface KindDefinition {
  group: string;
  kind: string;
  /** Served versions, preferred first. */
  versions: readonly string[];
  namespaced: boolean;
  /** Schema of `spec` (required unless `specOptional`). */
  spec?: z.ZodType;
  specOptional?: boolean;
  /** Other top-level fields the kind has (ConfigMap `data`), each with its schema. */
  fields?: Record<string, z.ZodType>;
  /** Checks beyond the schema, run on the normalized resource only when the schema passed. */
  check?: (resource: Resource, report: Report) => void;
  deprecations?: readonly Deprecation[];
  /** One line for `ambit validate --list-kinds` and docs. */
  description: string;
}

// "group/Kind" -> definition
const kinds = new Map<string, KindDefinition>();

export function defineKind(def: KindDefinition): KindDefinition {
  const key = `${def.group}/${def.kind}`;
  if (kinds.has(key)) throw new Error(`kind ${key} defined twice`);
  kinds.set(key, def);
  return def;
}

export function findKind(group: string, kind: string): KindDefinition | undefined {
  return kinds.get(`${group}/${kind}`);
}

export function allKinds(): KindDefinition[] {
  return [...kinds.values()];
}

export function apiVersionOf(def: KindDefinition, version: string): string {
  return def.group === "" ? version : `${def.group}/${version}`;
}

export type { Finding };
