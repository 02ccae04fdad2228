/** Terminal output helpers shared by commands: findings, tables, exit codes. */
import { formatFinding, sortFindings, type Finding } from "../api/findings.js";
import { errorText } from "../common/errors.js";
import { loadFiles, type LoadResult } from "../api/load.js";

export type OutputFormat = "text" | "json" | "yaml" | "wide";

export function printFindings(
  findings: readonly Finding[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): void {
  for (const f of sortFindings(findings)) out(formatFinding(f));
}

/** Fixed-width columns, like kubectl and istioctl print them. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("   ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** Prints an error the way every command does and sets a failing exit code. */
export function fail(e: unknown, code = 1): never {
  process.stderr.write(`error: ${errorText(e)}\n`);
  process.exit(code);
}

/**
 * For commands that run until stopped: on the first SIGINT or SIGTERM, `onStop`, then `close`,
 * then exit 0 — or `onError` and exit 1 when closing fails. Later signals are ignored while it
 * closes.
 */
export function closeOnSignals(
  close: () => Promise<unknown>,
  hooks: { onStop?: () => void; onError?: (e: unknown) => void } = {},
): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    hooks.onStop?.();
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        hooks.onError?.(e);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

/**
 * The `-f` input of validate and analyze: checks the flags (exit 2 on bad usage) and loads the
 * files (exit 2 when one cannot be read).
 */
export function loadInputs(
  command: string,
  opts: { filename?: string[]; recursive: boolean; output: string },
): LoadResult {
  if (!opts.filename?.length)
    fail(`no input: give files or directories with -f (see ambit ${command} --help)`, 2);
  if (opts.output !== "text" && opts.output !== "json")
    fail(`unknown output format "${opts.output}": use text or json`, 2);
  try {
    return loadFiles(opts.filename, { recursive: opts.recursive });
  } catch (e) {
    fail(e, 2);
  }
}
