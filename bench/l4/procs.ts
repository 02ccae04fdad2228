/**
 * The processes the L4 bench starts itself (anchors, iperf3 servers, load generators): each runs
 * inside a network namespace through `ip netns exec`, which execs the program (no fork), so the
 * PID we hold is the program's own and we end it by that PID. Every run is bounded in time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** argv that runs `argv` inside `netns`. */
export const inNetns = (netns: string, argv: readonly string[]): string[] => [
  "ip",
  "netns",
  "exec",
  netns,
  ...argv,
];

export interface RunOutput {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Long-running processes of this bench, by PID, so they can be ended (only these) at the end. */
export class ProcessSet {
  // pid -> process handle
  private readonly live = new Map<number, ChildProcess>();

  /** Starts `argv` in `netns`; stdout/stderr go to `logFile` (appended). */
  start(netns: string, argv: readonly string[], logFile: string): number {
    const [cmd, ...args] = inNetns(netns, argv);
    const out = openSync(logFile, "a", 0o600);
    const child = spawn(cmd!, args, { stdio: ["ignore", out, out] });
    closeSync(out);
    if (child.pid === undefined) throw new Error(`cannot start ${argv.join(" ")} in ${netns}`);
    const pid = child.pid;
    this.live.set(pid, child);
    child.once("exit", () => this.live.delete(pid));
    return pid;
  }

  alive(pid: number): boolean {
    const c = this.live.get(pid);
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(pid: number, graceMs = 2_000): Promise<void> {
    const c = this.live.get(pid);
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once("exit", () => resolve()));
    c.kill("SIGTERM");
    const killer = setTimeout(() => c.kill("SIGKILL"), graceMs);
    await gone;
    clearTimeout(killer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live.keys()].map((pid) => this.stop(pid)));
  }
}

/**
 * Runs `argv` in `netns` to completion, collecting its output. A run still going after
 * `timeoutMs` is killed (SIGINT first, which makes wrk/iperf3 print what they have, then SIGKILL).
 */
export function runIn(netns: string, argv: readonly string[], timeoutMs: number): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = inNetns(netns, argv);
    const child = spawn(cmd!, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const soft = setTimeout(() => {
      timedOut = true;
      child.kill("SIGINT");
    }, timeoutMs);
    const hard = setTimeout(() => child.kill("SIGKILL"), timeoutMs + 3_000);
    child.once("error", (e) => {
      clearTimeout(soft);
      clearTimeout(hard);
      reject(e);
    });
    child.once("close", (code) => {
      clearTimeout(soft);
      clearTimeout(hard);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** Resolves once something in `netns` listens on TCP `port`; rejects after `timeoutMs`. */
export async function waitListening(netns: string, port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await runIn(netns, ["ss", "-Hltn", `sport = :${port}`], 5_000);
    if (r.stdout.trim() !== "") return;
    if (Date.now() > until) throw new Error(`nothing listens on port ${port} in ${netns}`);
    await sleep(100);
  }
}

/** Clock ticks per second for /proc/<pid>/stat (sysconf(_SC_CLK_TCK); 100 on Linux). */
const CLK_TCK = 100;

/** User + system CPU seconds a process has used so far (all its threads), or 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after "(comm)": state is field 3, utime field 14 and stime field 15 (proc(5)).
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** Resident set size in MB (VmRSS), or 0 when the process is gone. */
export function rssMb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples the largest VmRSS among `pids()` every `everyMs` until stop() returns the peak. */
export function sampleRss(pids: () => number[], everyMs = 200): { stop(): number } {
  let peak = 0;
  const take = () => {
    for (const pid of pids()) peak = Math.max(peak, rssMb(pid));
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}
