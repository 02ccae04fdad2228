/**
 * Namespaced test helpers: processes started inside network namespaces with `ip netns exec`
 * (which execs, so the child's PID is the process's own), ended by PID, every wait bounded.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { checkPrerequisites } from "../../src/node/prereq.js";

export const PROBE = fileURLToPath(new URL("./fixtures/probe.mjs", import.meta.url));
export const FAKE_PROXY = fileURLToPath(new URL("./fixtures/fake-proxy.ts", import.meta.url));

export interface Running {
  pid: number;
  child: ChildProcessWithoutNullStreams;
  /** The next stdout line (waits at most `ms`). */
  nextLine(ms?: number): Promise<string>;
  send(line: string): void;
  stop(): Promise<void>;
}

/** Starts a long-running process in `netns` and waits for `ready` on its stdout. */
export async function startIn(netns: string, argv: readonly string[], ready: string): Promise<Running> {
  const { ip } = checkPrerequisites();
  const child = spawn(ip, ["netns", "exec", netns, ...argv], { stdio: ["pipe", "pipe", "pipe"] });
  const queue: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  createInterface({ input: child.stdout }).on("line", (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else queue.push(l);
  });
  const nextLine = (ms = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const q = queue.shift();
      if (q !== undefined) return resolve(q);
      const t = setTimeout(
        () => reject(new Error(`no output from ${argv.join(" ")} within ${ms} ms: ${stderr}`)),
        ms,
      );
      waiters.push((l) => {
        clearTimeout(t);
        resolve(l);
      });
    });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const r: Running = {
    pid: child.pid ?? -1,
    child,
    nextLine,
    send: (line) => child.stdin.write(`${line}\n`),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
  const first = await nextLine(15_000).catch(async (e: unknown) => {
    await r.stop();
    throw e;
  });
  if (first !== ready) {
    await r.stop();
    throw new Error(`${argv.join(" ")} said "${first}" instead of "${ready}": ${stderr}`);
  }
  return r;
}

/** Runs a short command in `netns` (killed after 15 s) and returns its stdout and status. */
export function runIn(netns: string, argv: readonly string[]): Promise<{ stdout: string; status: number }> {
  const { ip } = checkPrerequisites();
  return new Promise((resolve, reject) => {
    const child = spawn(ip, ["netns", "exec", netns, ...argv], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    const t = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(t);
      resolve({ stdout: stdout.trim(), status: code ?? 1 });
    });
  });
}

/** probe.mjs connect: the first line the server sent, parsed (or {error} when it failed). */
export async function dial(netns: string, host: string, port: number): Promise<Record<string, unknown>> {
  const r = await runIn(netns, [process.execPath, PROBE, "connect", host, String(port)]);
  if (r.stdout.startsWith("ERROR ")) return { error: r.stdout.slice(6) };
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Starts the fake node proxy (fixtures/fake-proxy.ts) in a node namespace. */
export function startFakeProxy(netns: string, listeners: readonly string[]): Promise<Running> {
  // tsx resolved from here, so the child does not depend on the working directory.
  return startIn(
    netns,
    [process.execPath, "--import", import.meta.resolve("tsx"), FAKE_PROXY, ...listeners],
    "ready",
  );
}

export function startEchoServer(netns: string, port: number, name: string): Promise<Running> {
  return startIn(netns, [process.execPath, PROBE, "serve", String(port), name], "listening");
}
