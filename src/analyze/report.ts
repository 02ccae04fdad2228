/**
 * How checks report: one finding per problem, placed like validation findings (file, document,
 * kind and name, field path, line) so `ambit analyze` output reads like `ambit validate` output.
 */
import { formatFinding, formatPath, type Finding, type PathSegment } from "../api/findings.js";
import { CODES, type CodeKey } from "./codes.js";
import type { AnalyzedDoc } from "./context.js";

export type Emit = (doc: AnalyzedDoc, path: readonly PathSegment[], key: CodeKey, message: string) => void;

/** A check: reads the context, reports through `emit`. Pure apart from `emit`. */
export type Check<C> = (ctx: C, emit: Emit) => void;

export function findingFor(
  doc: AnalyzedDoc,
  path: readonly PathSegment[],
  key: CodeKey,
  message: string,
): Finding {
  const { source, resource } = doc;
  const code = CODES[key];
  const f: Finding = {
    severity: code.severity,
    code: code.code,
    message,
    file: source.file,
    docIndex: source.docIndex,
    kind: resource.kind,
    name: resource.metadata.name,
  };
  if (resource.metadata.namespace) f.namespace = resource.metadata.namespace;
  if (path.length > 0 || source.pathPrefix.length > 0) f.path = formatPath([...source.pathPrefix, ...path]);
  const line = source.lineOf(path);
  if (line !== undefined) f.line = line;
  return f;
}

const ANALYSIS_CODE = /^(IST|AMB)\d{4}$/;

/**
 * A finding as `ambit analyze` prints it: validate's format, with the analysis code in brackets
 * before the message (as istioctl prints `Error [IST0101] ...`), so it can be searched for.
 */
export function formatAnalysisFinding(f: Finding): string {
  return ANALYSIS_CODE.test(f.code)
    ? formatFinding({ ...f, message: `[${f.code}] ${f.message}` })
    : formatFinding(f);
}
