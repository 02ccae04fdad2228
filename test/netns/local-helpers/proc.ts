/**
 * Short-lived commands for the local-mode tests: inside a pod's network namespace (as `ambit exec`
 * does it), or the `ambit` CLI itself from source. Every command is killed after its time limit,
 * by PID, so a hung test never outlives its bound.
 */
import { spawn } from "node:child_process";
import type { LocalLayout } from "../../../src/local/layout.js";
import { unixGet } from "../../../src/local/unix-http.js";
import { selfCommand } from "../../../src/common/self.js";

export interface Done {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs argv to completion (SIGKILL after `timeoutMs`), with `input` on its stdin. */
export function runCommand(
  argv: readonly string[],
  opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Done> {
  const [cmd, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, {
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      env: { ...process.env, ...opts.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const t = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 15_000);
    child.once("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    child.once("close", (status, signal) => {
      clearTimeout(t);
      resolve({ status, signal, stdout, stderr });
    });
    if (child.stdin) {
      // A command that exits without reading its input must not fail the test with EPIPE.
      child.stdin.on("error", () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** A command inside a network namespace: `ip netns exec` bind-mounts the pod's resolv.conf and hosts. */
export function inNetns(netns: string, argv: readonly string[], timeoutMs = 15_000): Promise<Done> {
  return runCommand(["ip", "netns", "exec", netns, ...argv], { timeoutMs });
}

/** The `ambit` CLI from this checkout (source under tsx), against the cluster in `stateDir`. */
export function ambit(
  stateDir: string,
  args: readonly string[],
  opts: { timeoutMs?: number; input?: string } = {},
): Promise<Done> {
  return runCommand([...selfCommand(), "--state-dir", stateDir, ...args], {
    timeoutMs: opts.timeoutMs ?? 30_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    env: { AMBIT_LOG_LEVEL: "silent" },
  });
}

export interface CurlResult {
  /** curl's exit code: 0 ok, 7 refused, 28 timeout, 52 empty reply, 55 send failed, 56 reset/closed... */
  exit: number | null;
  /** HTTP status, 0 when there was no response. */
  http: number;
  body: string;
  stderr: string;
}

/**
 * Whether curl's exit code says the connection was accepted and then dropped without an answer,
 * as a proxy does when policy refuses it: 52 (empty reply), 56 (reset or closed while
 * receiving), or 55 (the reset came while curl was still sending its request: the proxy decides
 * as soon as the connection arrives, so which of the two curl sees is a race).
 */
export function droppedWithoutAnswer(exit: number | null): boolean {
  return exit === 52 || exit === 55 || exit === 56;
}

/** This machine's curl, run in a pod's network namespace, bounded to `maxTimeS` seconds. */
export async function curlIn(netns: string, url: string, maxTimeS = 5): Promise<CurlResult> {
  const r = await inNetns(
    netns,
    ["curl", "-sS", "--max-time", String(maxTimeS), "-w", "\n%{http_code}", url],
    (maxTimeS + 5) * 1000,
  );
  const lines = r.stdout.split("\n");
  const code = Number(lines.pop() ?? "0");
  return { exit: r.status, http: Number.isFinite(code) ? code : 0, body: lines.join("\n"), stderr: r.stderr };
}

/** Polls `probe` until it returns a value (not undefined), at most `timeoutMs`; the last value otherwise. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  intervalMs = 250,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until)
      throw new Error(
        `${what}: not observed within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ""}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** PIDs of the processes inside a network namespace (`ip netns pids`), sorted. */
export async function netnsPids(netns: string): Promise<number[]> {
  const r = await runCommand(["ip", "netns", "pids", netns], { timeoutMs: 5_000 });
  return r.stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
}

// The same liveness check `ambit up`/`down` use (a zombie counts as ended).
export { isAlive } from "../../../src/local/record.js";

/** A request from `netns` that keeps its connection open (e.g. httpbin's /delay) until stopped. */
export function holdConnection(netns: string, url: string): { stop(): Promise<void> } {
  const child = spawn("ip", ["netns", "exec", netns, "curl", "-s", "--max-time", "10", url], {
    stdio: "ignore",
  });
  const done = new Promise<void>((r) => child.once("close", () => r()));
  return {
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await done;
    },
  };
}

export interface LiveConnection {
  direction: string;
  sourceWorkload?: string;
  bytesSent: number;
  bytesReceived: number;
}

/** The live connections in a node proxy's config dump (what `ambit zc connections` shows). */
export async function liveConnections(layout: LocalLayout, node: string): Promise<LiveConnection[]> {
  const res = await unixGet(layout.node(node).adminSocket, "/config_dump");
  return (JSON.parse(res.body) as { connections: LiveConnection[] }).connections;
}
