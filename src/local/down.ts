/**
 * Stopping local mode. Normally the supervisor cleans up after itself on SIGTERM; after a crash
 * `forceDown` removes the leftovers: the processes still living in the cluster's network
 * namespaces (found with `ip netns pids`, so only processes inside our own namespaces are ever
 * signalled, never a recycled PID), the namespaces and interfaces with our prefix, and the files.
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { promisify } from "node:util";
import { destroyAll, listLeftovers } from "../node/index.js";
import { localLayout } from "./layout.js";
import { isAlive, readRecord } from "./record.js";

const run = promisify(execFile);

/** SIGTERM to a live supervisor, then wait for it to finish its own cleanup. */
export async function stopRunning(
  stateDir: string,
  say: (l: string) => void,
  waitMs = 30_000,
): Promise<boolean> {
  const rec = readRecord(localLayout(stateDir).record);
  if (!rec || !isAlive(rec.pid)) return false;
  say(`stopping the local cluster (supervisor PID ${rec.pid})`);
  process.kill(rec.pid, "SIGTERM");
  const until = Date.now() + waitMs;
  while (isAlive(rec.pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  return !isAlive(rec.pid);
}

async function killNamespaceProcesses(netns: string): Promise<number> {
  let pids: number[] = [];
  try {
    const { stdout } = await run("ip", ["netns", "pids", netns]);
    pids = stdout
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((n) => n > 1 && n !== process.pid);
  } catch {
    return 0; // namespace already gone
  }
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
  return pids.length;
}

/**
 * @param all also every other cluster prefix found on the machine (`ambit down --force`); without
 *   it only the cluster recorded in this state directory.
 */
export async function forceDown(stateDir: string, say: (l: string) => void, all = false): Promise<void> {
  const layout = localLayout(stateDir);
  const rec = readRecord(layout.record);
  const leftovers = await listLeftovers();
  const prefixes = new Set<string>(all ? leftovers.prefixes : []);
  if (rec) prefixes.add(rec.prefix);
  for (const prefix of prefixes) {
    const spaces = leftovers.netns.filter((n) => n.startsWith(`${prefix}-`));
    let killed = 0;
    for (const ns of spaces) killed += await killNamespaceProcesses(ns);
    await destroyAll(prefix);
    say(
      `removed ${spaces.length} network namespace(s) with prefix ${prefix}${killed ? `, ended ${killed} process(es) in them` : ""}`,
    );
  }
  rmSync(layout.dir, { recursive: true, force: true });
}
