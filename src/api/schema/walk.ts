/**
 * Walks a zod schema along a document path to find the field names valid there, so an unknown
 * field can be answered with the closest valid one. Reads zod's public-but-internal `_zod.def`
 * (stable across zod 4.x); unknown wrapper types simply yield no suggestions.
 */
import type { z } from "zod";
import type { PathSegment } from "../findings.js";

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  getter?: () => z.ZodType;
}

function defOf(s: z.ZodType): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strips wrappers (optional, default, pipe...) down to the schemas that hold structure. */
function unwrap(s: z.ZodType, depth = 0): z.ZodType[] {
  if (depth > 20) return [];
  const d = defOf(s);
  switch (d.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
    case "nonoptional":
      return d.innerType ? unwrap(d.innerType, depth + 1) : [];
    case "pipe":
      return d.in ? unwrap(d.in, depth + 1) : [];
    case "lazy":
      return d.getter ? unwrap(d.getter(), depth + 1) : [];
    case "union":
      return (d.options ?? []).flatMap((o) => unwrap(o, depth + 1));
    default:
      return [s];
  }
}

function step(s: z.ZodType, seg: PathSegment): z.ZodType[] {
  const d = defOf(s);
  if (d.type === "object" && typeof seg === "string" && d.shape && seg in d.shape)
    return unwrap(d.shape[seg]!);
  if (d.type === "array" && typeof seg === "number" && d.element) return unwrap(d.element);
  if (d.type === "record" && d.valueType) return unwrap(d.valueType);
  return [];
}

export function knownKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let current = unwrap(schema);
  for (const seg of path) current = current.flatMap((s) => step(s, seg));
  const keys = new Set<string>();
  for (const s of current) {
    const d = defOf(s);
    if (d.type === "object" && d.shape) for (const k of Object.keys(d.shape)) keys.add(k);
  }
  return [...keys];
}
