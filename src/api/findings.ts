/**
 * A finding is one thing validation or analysis has to say about one document. Every finding
 * names where it is (file, document index, kind and name, field path) so an operator can go
 * straight to it; `code` is stable for scripts and docs.
 */
export type Severity = "error" | "warning";

export interface Finding {
  severity: Severity;
  /** Stable code, e.g. "UNKNOWN_FIELD", "INVALID_VALUE", "YAML_SYNTAX". */
  code: string;
  message: string;
  file?: string;
  /** 0-based index of the document within its file. */
  docIndex?: number;
  kind?: string;
  namespace?: string;
  name?: string;
  /** Field path, e.g. "spec.rules[0].from[1].source.principals[2]". */
  path?: string;
  /** 1-based position, for syntax errors. */
  line?: number;
  column?: number;
}

/** Where a document came from, carried into its findings. */
export interface DocumentOrigin {
  file?: string;
  docIndex?: number;
}

export type PathSegment = string | number;

/** ["spec","rules",0,"from"] -> "spec.rules[0].from" */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/**
 * One line per finding:
 * `FILE:DOC_INDEX: Kind ns/name: spec.path.to[2].field: message`, with "warning: " before the
 * message of warnings, and `line L, column C` in place of the kind for syntax errors.
 */
export function formatFinding(f: Finding): string {
  const parts: string[] = [];
  const where = f.file ?? "<input>";
  parts.push(f.docIndex === undefined ? where : `${where}:${f.docIndex}`);
  if (f.line !== undefined && f.column !== undefined) parts.push(`line ${f.line}, column ${f.column}`);
  if (f.kind !== undefined) {
    const name = f.name ?? "<unnamed>";
    parts.push(`${f.kind} ${f.namespace ? `${f.namespace}/${name}` : name}`);
  }
  if (f.path) parts.push(f.path);
  parts.push(f.severity === "warning" ? `warning: ${f.message}` : f.message);
  return parts.join(": ");
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === "error");
}

/** Errors first, then by file, document and path, so output is stable. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      (a.file ?? "").localeCompare(b.file ?? "") ||
      (a.docIndex ?? -1) - (b.docIndex ?? -1) ||
      (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1) ||
      (a.path ?? "").localeCompare(b.path ?? ""),
  );
}
