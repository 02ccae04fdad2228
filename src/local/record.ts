/**
 * The record of a running local cluster (cluster.json) and the status snapshot (status.json):
 * written atomically by the supervisor, read by the CLI (`ambit exec`, `get`, `status`, `down`).
 * The record names everything the cluster created, so `ambit down --force` can clean up after a
 * crash without guessing.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { AmbitError } from "../common/errors.js";
import type { NodeSpec } from "../controlplane/registry/types.js";

export interface ClusterRecord {
  /** Name prefix of every network namespace, interface and rule chain of this cluster. */
  prefix: string;
  /** PID of the `ambit up` supervisor. */
  pid: number;
  startedAt: string;
  nodes: Array<NodeSpec & { netns: string }>;
  /** "<ns>/<pod>" -> network namespace of the pod */
  pods: Record<string, { netns: string; node: string; ip: string }>;
  /** Processes the supervisor started (node proxies, pod processes), for `down --force`. */
  pids: number[];
  debugAddress: string;
}

export interface PodStatusRecord {
  namespace: string;
  name: string;
  node: string;
  ip: string;
  phase: string;
  ready: boolean;
  restarts: number;
  reason?: string;
  message?: string;
}

export interface StatusRecord {
  updatedAt: string;
  ready: boolean;
  nodes: Array<{ name: string; ready: boolean; restarts: number }>;
  pods: PodStatusRecord[];
}

export function writeJson(file: string, value: unknown): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export function readRecord(file: string): ClusterRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as ClusterRecord;
  } catch {
    return undefined;
  }
}

/** The record of the cluster whose supervisor is running, if one is. */
export function runningRecord(file: string): ClusterRecord | undefined {
  const r = readRecord(file);
  return r && isAlive(r.pid) ? r : undefined;
}

export function requireRecord(file: string): ClusterRecord {
  const r = runningRecord(file);
  if (!r)
    throw new AmbitError(
      "LOCAL_NOT_RUNNING",
      "no local cluster is running",
      "start one with `ambit up` (or `ambit up -d` to run it in the background)",
    );
  return r;
}

export function readStatus(file: string): StatusRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as StatusRecord;
  } catch {
    return undefined;
  }
}

/** True for a running process; a zombie (exited, not yet reaped) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..." — the state follows the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}
