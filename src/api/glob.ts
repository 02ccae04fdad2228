/** Dotted globs over documents, used for deprecated-field warnings. */
import type { PathSegment } from "./findings.js";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Paths in `value` matching a dotted glob (`*` one segment, `**` any number). */
export function matchGlob(
  value: unknown,
  pattern: readonly string[],
  at: PathSegment[] = [],
): PathSegment[][] {
  if (pattern.length === 0) return [at];
  const [head, ...rest] = pattern;
  const children: [PathSegment, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : isRecord(value)
      ? Object.entries(value)
      : [];
  if (head === "**") {
    const here = matchGlob(value, rest, at);
    const deeper = children.flatMap(([k, v]) => matchGlob(v, pattern, [...at, k]));
    return [...here, ...deeper];
  }
  return children
    .filter(([k]) => head === "*" || String(k) === head)
    .flatMap(([k, v]) => matchGlob(v, rest, [...at, k]));
}
