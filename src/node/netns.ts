/**
 * Named network namespaces as iproute2 keeps them: a bind mount of the namespace at
 * /run/netns/<name> (ip-netns(8)). Listing and finding the processes inside one are plain reads of
 * /run/netns and /proc, so `ambit down --force` can inventory leftovers without running `ip`.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { AmbitError } from "../common/errors.js";
import { checkPrerequisites } from "./prereq.js";
import { run } from "./exec.js";

export const RUN_NETNS = "/run/netns";

export function listNetns(): string[] {
  try {
    return readdirSync(RUN_NETNS).sort();
  } catch {
    return []; // no namespace was ever named on this machine
  }
}

export function netnsExists(name: string): boolean {
  return listNetns().includes(name);
}

function nsKey(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * PIDs of the processes whose network namespace is one of `names` (as `ip netns pids` finds them:
 * same device and inode as the namespace's /run/netns file). Zombies have no namespace left and
 * are not listed. Returns netns name -> PIDs, only for namespaces that have any.
 */
export function pidsInNetns(names: readonly string[]): Map<string, number[]> {
  const byKey = new Map<string, string>(); // "dev:ino" of the namespace -> netns name
  for (const n of names) {
    const key = nsKey(join(RUN_NETNS, n));
    if (key) byKey.set(key, n);
  }
  const out = new Map<string, number[]>();
  if (byKey.size === 0) return out;
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    const name = byKey.get(nsKey(`/proc/${e}/ns/net`) ?? "");
    if (name) out.set(name, [...(out.get(name) ?? []), pid]);
  }
  return out;
}

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

async function waitGone(names: readonly string[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = [...pidsInNetns(names).values()].flat();
    if (left.length === 0 || Date.now() >= deadline) return left;
    await sleep(50);
  }
}

/**
 * Ends every process inside the given namespaces — they are local mode's own pods and proxies —
 * by PID: SIGTERM, up to `graceMs` to exit, then SIGKILL. Returns the PIDs it signalled.
 */
export async function killNetnsProcesses(names: readonly string[], graceMs = 2_000): Promise<number[]> {
  const pids = [...pidsInNetns(names).values()].flat();
  if (pids.length === 0) return [];
  signal(pids, "SIGTERM");
  const stubborn = await waitGone(names, graceMs);
  if (stubborn.length > 0) {
    signal(stubborn, "SIGKILL");
    await waitGone(names, 1_000);
  }
  return pids;
}

/** Creates a named namespace; a name that exists already is an error naming the way out. */
export async function addNetns(name: string): Promise<void> {
  const { ip } = checkPrerequisites();
  const r = await run(ip, ["netns", "add", name]);
  if (r.status !== 0) {
    const exists = /exists/i.test(r.stderr);
    throw new AmbitError(
      exists ? "NETNS_EXISTS" : "IP_COMMAND_FAILED",
      `cannot create network namespace ${name}: ${r.stderr.trim()}`,
      exists
        ? "a cluster with this prefix is running or crashed: `ambit down` (or `ambit down --force`) removes it"
        : "check that this process runs as root and that /run/netns is writable",
    );
  }
}

/** Deletes named namespaces (their interfaces go with them); missing names are fine. */
export async function deleteNetns(names: readonly string[]): Promise<void> {
  const present = new Set(listNetns());
  const lines = names.filter((n) => present.has(n)).map((n) => `netns del ${n}`);
  if (lines.length === 0) return;
  const { ip } = checkPrerequisites();
  // -force: keep going past a line that fails, so one stuck namespace does not strand the rest.
  await run(ip, ["-force", "-batch", "-"], `${lines.join("\n")}\n`);
  const still = listNetns().filter((n) => names.includes(n));
  if (still.length > 0) {
    throw new AmbitError(
      "NETNS_DELETE_FAILED",
      `cannot delete network namespace(s) ${still.join(", ")}`,
      "something still holds them mounted; `ip netns del NAME` shows the reason",
    );
  }
}
