/**
 * Running iproute2 and iptables: argument vectors only (never a shell), input on stdin, output
 * collected, every command bounded in time. Many `ip` commands go through `ip -batch -` so a pod
 * costs a couple of processes, not a dozen.
 */
import { spawn } from "node:child_process";
import { AmbitError } from "../common/errors.js";
import { checkPrerequisites } from "./prereq.js";

export interface RunResult {
  stdout: string;
  stderr: string;
  status: number;
}

const TIMEOUT_MS = 30_000;

/** Runs `file args`, feeding `input` on stdin; resolves with the exit status (never rejects on it). */
export function run(file: string, args: readonly string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    // This child is ours: end it by its handle if it hangs.
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new AmbitError("COMMAND_FAILED", `cannot run ${file}: ${e.message}`, undefined, { cause: e }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status: code ?? (signal ? 128 : 1) });
    });
    child.stdin.on("error", () => {
      // The command exited before reading its input; its status and stderr tell why.
    });
    child.stdin.end(input ?? "");
  });
}

/** Like run(), but a non-zero exit becomes AmbitError(code, "<what>: <stderr>", hint). */
export async function runChecked(
  file: string,
  args: readonly string[],
  opts: { input?: string; code: string; what: string; hint?: string },
): Promise<string> {
  const r = await run(file, args, opts.input);
  if (r.status !== 0) {
    const detail = r.stderr.trim() || r.stdout.trim() || `exit status ${r.status}`;
    throw new AmbitError(opts.code, `${opts.what}: ${detail}`, opts.hint);
  }
  return r.stdout;
}

/**
 * Runs `ip [-n netns] -batch -` with one command per line. ip stops at the first failing line and
 * names it ("Command failed -:3"), which the error message carries along with the line itself.
 */
export async function ipBatch(
  netns: string | undefined,
  lines: readonly string[],
  what: string,
): Promise<void> {
  if (lines.length === 0) return;
  const { ip } = checkPrerequisites();
  const args = [...(netns ? ["-n", netns] : []), "-batch", "-"];
  const r = await run(ip, args, `${lines.join("\n")}\n`);
  if (r.status !== 0) {
    const m = /Command failed -:(\d+)/.exec(r.stderr);
    const line = m?.[1] ? lines[Number(m[1]) - 1] : undefined;
    throw new AmbitError(
      "IP_COMMAND_FAILED",
      `${what}: ${r.stderr.trim() || `exit status ${r.status}`}${line ? ` (in \`ip${netns ? ` -n ${netns}` : ""} ${line}\`)` : ""}`,
      "a leftover from an earlier run may be in the way: `ambit down --force` removes them",
    );
  }
}

/** Runs argv inside a network namespace (`ip netns exec`). */
export async function netnsExec(
  netns: string,
  argv: readonly string[],
  opts: { input?: string; code: string; what: string; hint?: string },
): Promise<string> {
  const { ip } = checkPrerequisites();
  return runChecked(ip, ["netns", "exec", netns, ...argv], opts);
}
