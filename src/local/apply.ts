/** Applies YAML/JSON texts to the in-process store, as `ambit apply` does through the admin API. */
import { parseTexts } from "../api/load.js";
import { formatFinding } from "../api/findings.js";
import type { ConfigStore } from "../controlplane/store/store.js";
import { validateAll } from "../api/validate.js";
import "../api/kinds/all.js";

/** Validation errors of the inputs, formatted; empty when they can be applied. Pure. */
export function inputErrors(files: ReadonlyArray<{ name: string; text: string }>): string[] {
  const { documents, findings } = parseTexts(files);
  return [...findings, ...validateAll(documents).findings]
    .filter((f) => f.severity === "error")
    .map(formatFinding);
}

export function applyTexts(
  store: ConfigStore,
  files: ReadonlyArray<{ name: string; text: string }>,
): { ok: boolean; messages: string[] } {
  const { documents, findings } = parseTexts(files);
  const result = store.apply(documents, { kind: "api" }, findings);
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
