/** Applies YAML/JSON texts to the in-process store, as `ambit apply` does through the admin API. */
import { parseText } from "../api/load.js";
import { formatFinding, type Finding } from "../api/findings.js";
import type { SourceDocument } from "../api/load.js";
import type { ConfigStore } from "../controlplane/store/store.js";
import { validateAll } from "../api/validate.js";
import "../api/kinds/all.js";

/** Validation errors of the inputs, formatted; empty when they can be applied. Pure. */
export function inputErrors(files: ReadonlyArray<{ name: string; text: string }>): string[] {
  const { docs, syntax } = parseAll(files);
  return [...syntax, ...validateAll(docs).findings].filter((f) => f.severity === "error").map(formatFinding);
}

function parseAll(files: ReadonlyArray<{ name: string; text: string }>): {
  docs: SourceDocument[];
  syntax: Finding[];
} {
  const docs: SourceDocument[] = [];
  const syntax: Finding[] = [];
  for (const f of files) {
    const r = parseText(f.text, f.name);
    docs.push(...r.documents);
    syntax.push(...r.findings);
  }
  return { docs, syntax };
}

export function applyTexts(
  store: ConfigStore,
  files: ReadonlyArray<{ name: string; text: string }>,
): { ok: boolean; messages: string[] } {
  const { docs, syntax } = parseAll(files);
  const result = store.apply(docs, { kind: "api" }, syntax);
  return {
    ok: result.ok,
    messages: result.findings.filter((f) => f.severity === "error").map(formatFinding),
  };
}

/** The namespaces that exist from the start, as on a new cluster with Istio installed. */
export const BOOTSTRAP_NAMESPACES = [
  {
    name: "<bootstrap>",
    text: [
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n",
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n",
    ].join("---\n"),
  },
];
