import type { Command } from "commander";
import { hasErrors } from "../../api/findings.js";
import { allKinds, apiVersionOf } from "../../api/kinds/define.js";
import { validateAll } from "../../api/validate.js";
import { loadInputs, printFindings, table } from "../output.js";

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("Validate Istio, Gateway API and Kubernetes YAML/JSON without applying it")
    .option("-f, --filename <path...>", "files or directories to validate (- for standard input)")
    .option("-R, --recursive", "descend into subdirectories of directories given with -f", false)
    .option("-o, --output <format>", "text or json", "text")
    .option("--list-kinds", "list the kinds and API versions Ambit accepts")
    .addHelpText(
      "after",
      "\nExamples:\n  ambit validate -f policy.yaml\n  ambit validate -f manifests/ -R -o json\n\nExit status: 0 when there is no error (warnings allowed), 1 otherwise.",
    )
    .action((opts: { filename?: string[]; recursive: boolean; output: string; listKinds?: boolean }) => {
      if (opts.listKinds) {
        const rows = allKinds()
          .sort((a, b) => a.group.localeCompare(b.group) || a.kind.localeCompare(b.kind))
          .map((k) => [k.kind, k.versions.map((v) => apiVersionOf(k, v)).join(", "), k.description]);
        process.stdout.write(`${table(["KIND", "API VERSIONS", "DESCRIPTION"], rows)}\n`);
        return;
      }
      const loaded = loadInputs("validate", opts);
      const { valid, findings } = validateAll(loaded.documents);
      const all = [...loaded.findings, ...findings];
      const failed = hasErrors(all);
      if (opts.output === "json") {
        process.stdout.write(
          `${JSON.stringify({ valid: !failed, documents: loaded.documents.length, findings: all }, null, 2)}\n`,
        );
      } else {
        printFindings(all);
        const errors = all.filter((f) => f.severity === "error").length;
        const warnings = all.length - errors;
        process.stderr.write(
          failed
            ? `${errors} error(s), ${warnings} warning(s) in ${loaded.documents.length} document(s)\n`
            : `${valid.length} document(s) valid${warnings ? `, ${warnings} warning(s)` : ""}\n`,
        );
      }
      process.exitCode = failed ? 1 : 0;
    });
}
