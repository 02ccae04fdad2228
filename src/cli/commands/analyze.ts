import type { Command } from "commander";
import { hasErrors, sortFindings } from "../../api/findings.js";
import { allCodes, analyzeDocuments, formatAnalysisFinding } from "../../analyze/index.js";
import { loadInputs, table } from "../output.js";

interface AnalyzeOptions {
  filename?: string[];
  recursive: boolean;
  output: string;
  rootNamespace?: string;
  listCodes?: boolean;
}

export function registerAnalyze(program: Command): void {
  program
    .command("analyze")
    .description(
      "Validate configuration, then check it across documents for ambient mistakes (L7 policies on the node proxy, references to nothing, subsets without pods, conflicting policies)",
    )
    .option("-f, --filename <path...>", "files or directories to analyze (- for standard input)")
    .option("-R, --recursive", "descend into subdirectories of directories given with -f", false)
    .option("-o, --output <format>", "text or json", "text")
    .option(
      "--root-namespace <namespace>",
      "the mesh root namespace (default: rootNamespace of an istio ConfigMap in the input, else istio-system)",
    )
    .option("--list-codes", "list the analysis codes and what each means")
    .addHelpText(
      "after",
      "\nExamples:\n  ambit analyze -f bookinfo/ -R\n  ambit analyze -f policy.yaml -f services.yaml -o json\n\nSchema errors are reported as by `ambit validate`; the checks run on the documents without errors.\nCodes IST0xxx are Istio's analyzer codes (istio.io/latest/docs/reference/config/analysis), AMB0xxx Ambit's.\nExit status: 0 when there is no error (warnings allowed), 1 otherwise, 2 for bad usage.",
    )
    .action((opts: AnalyzeOptions) => {
      if (opts.listCodes) {
        const rows = allCodes().map((c) => [c.code, c.severity, c.name, c.summary]);
        process.stdout.write(`${table(["CODE", "LEVEL", "NAME", "MEANING"], rows)}\n`);
        return;
      }
      const loaded = loadInputs("analyze", opts);
      const mesh = opts.rootNamespace ? { mesh: { rootNamespace: opts.rootNamespace } } : {};
      const result = analyzeDocuments(loaded.documents, mesh);
      const all = sortFindings([...loaded.findings, ...result.findings]);
      const failed = hasErrors(all);
      if (opts.output === "json") {
        process.stdout.write(
          `${JSON.stringify({ valid: !failed, documents: loaded.documents.length, analyzed: result.valid, findings: all }, null, 2)}\n`,
        );
      } else {
        for (const f of all) process.stdout.write(`${formatAnalysisFinding(f)}\n`);
        const errors = all.filter((f) => f.severity === "error").length;
        const warnings = all.length - errors;
        process.stderr.write(
          all.length > 0
            ? `${errors} error(s), ${warnings} warning(s) in ${loaded.documents.length} document(s)\n`
            : `no problems found in ${loaded.documents.length} document(s)\n`,
        );
      }
      process.exitCode = failed ? 1 : 0;
    });
}
