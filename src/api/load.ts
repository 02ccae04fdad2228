/**
 * Reading configuration files: multi-document YAML and JSON (JSON is parsed as the YAML 1.2
 * subset it is), kubectl-style `List` documents expanded, syntax errors reported with file, line
 * and column. Nothing here knows about kinds.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Composer, LineCounter, Parser, isNode, parseDocument, type Document } from "yaml";
import { AmbitError } from "../common/errors.js";
import type { Finding, PathSegment } from "./findings.js";

export interface SourceDocument {
  file: string;
  /** 0-based index of the document in its file (empty documents count, so it matches `---` order). */
  docIndex: number;
  /** Plain JSON-compatible value of the document. */
  value: unknown;
  /** Prefix added to field paths (set for items of a `List`). */
  pathPrefix: PathSegment[];
  /** 1-based line of the node at `path`, when the source has one. */
  lineOf(path: readonly PathSegment[]): number | undefined;
}

export interface LoadResult {
  documents: SourceDocument[];
  findings: Finding[];
}

const CONFIG_EXTENSIONS = [".yaml", ".yml", ".json"];

/**
 * Parses one file's text. `file` is only used to label documents and findings. Documents are
 * parsed one at a time and only their values are kept, so a large file (thousands of documents)
 * never holds every syntax tree at once.
 */
export function parseText(text: string, file: string): LoadResult {
  const lineCounter = new LineCounter();
  const composer = new Composer({ uniqueKeys: true });
  const documents: SourceDocument[] = [];
  const findings: Finding[] = [];
  let docIndex = 0;
  for (const doc of composer.compose(new Parser(lineCounter.addNewLine).parse(text))) {
    addDocument(doc, docIndex++);
  }
  return { documents, findings };

  function addDocument(doc: Document.Parsed, docIndex: number): void {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const pos = lineCounter.linePos(err.pos[0]);
        findings.push({
          severity: "error",
          code: "YAML_SYNTAX",
          message: `YAML syntax error: ${err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`,
          file,
          docIndex,
          line: pos.line,
          column: pos.col,
        });
      }
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return; // empty document between separators
    const lineOf = sourceLines(text, doc.range, lineCounter);
    if (isList(value)) {
      value.items.forEach((item, i) => {
        documents.push({
          file,
          docIndex,
          value: item,
          pathPrefix: ["items", i],
          lineOf: (p) => lineOf(["items", i, ...p]),
        });
      });
      return;
    }
    documents.push({ file, docIndex, value, pathPrefix: [], lineOf });
  }
}

/**
 * Finds the line of a path in one document, without keeping the document's syntax tree: a large
 * apply (thousands of documents) would otherwise hold every tree until it is validated and
 * stored, though lines are wanted only for the few documents with findings. The document's text is parsed
 * again on first use; node offsets in it are relative to where the document starts.
 */
function sourceLines(
  text: string,
  range: readonly [number, number, number],
  lineCounter: LineCounter,
): (path: readonly PathSegment[]) => number | undefined {
  const start = range[0];
  let reparsed: Document | undefined;
  return (path) => {
    reparsed ??= parseDocument(text.slice(start, range[2]), { uniqueKeys: true });
    const node = reparsed.getIn(path, true);
    if (!isNode(node) || !node.range) return undefined;
    return lineCounter.linePos(start + node.range[0]).line;
  };
}

function isList(v: unknown): v is { items: unknown[] } {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.kind === "string" && o.kind.endsWith("List") && Array.isArray(o.items);
}

/**
 * Expands `-f` arguments: files as given, directories to their config files (sorted; recursive
 * with `recursive`), "-" to standard input text passed in `stdin`.
 */
export function expandPaths(paths: readonly string[], recursive: boolean): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (p === "-") {
      out.push(p);
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new AmbitError("FILE_NOT_FOUND", `${p}: no such file or directory`, "check the path given to -f");
    }
    if (st.isDirectory()) {
      for (const entry of readdirSync(p).sort()) {
        const full = join(p, entry);
        const est = statSync(full);
        if (est.isDirectory()) {
          if (recursive) out.push(...expandPaths([full], true));
        } else if (CONFIG_EXTENSIONS.some((e) => entry.endsWith(e))) out.push(full);
      }
    } else out.push(p);
  }
  return out;
}

/** Reads and parses every file named by `paths` (see expandPaths). */
export function loadFiles(
  paths: readonly string[],
  opts: { recursive?: boolean; stdin?: () => string } = {},
): LoadResult {
  const result: LoadResult = { documents: [], findings: [] };
  for (const file of expandPaths(paths, opts.recursive ?? false)) {
    let text: string;
    try {
      text = file === "-" ? (opts.stdin ?? (() => readFileSync(0, "utf8")))() : readFileSync(file, "utf8");
    } catch (e) {
      throw new AmbitError(
        "FILE_UNREADABLE",
        `${file}: ${(e as Error).message}`,
        "check the file's permissions",
      );
    }
    const r = parseText(text, file === "-" ? "<stdin>" : file);
    result.documents.push(...r.documents);
    result.findings.push(...r.findings);
  }
  return result;
}

/** Parses several named texts (uploads, `-f` inputs) into one list of documents and syntax findings. */
export function parseTexts(files: ReadonlyArray<{ name: string; text: string }>): LoadResult {
  const documents: SourceDocument[] = [];
  const findings: Finding[] = [];
  for (const f of files) {
    const r = parseText(f.text, f.name);
    documents.push(...r.documents);
    findings.push(...r.findings);
  }
  return { documents, findings };
}
