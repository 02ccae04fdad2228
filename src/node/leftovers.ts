/**
 * Finding and removing what a cluster left in the kernel, by name alone (names.ts), so it works
 * after a crash when no record of the cluster survives: `ambit down --force`.
 */
import { readdirSync } from "node:fs";
import { assertClusterPrefix, OWNED_NAME_RE, ownedKind } from "./names.js";
import { deleteNetns, killNetnsProcesses, listNetns, pidsInNetns } from "./netns.js";
import { ETC_NETNS, removePodFiles } from "./pod-files.js";
import { checkPrerequisites } from "./prereq.js";

export interface Leftovers {
  /** Cluster prefixes seen in any of the names below. */
  prefixes: string[];
  /** Network namespaces (/run/netns) with an owned name. */
  netns: string[];
  /** Directories /etc/netns/<name> with an owned name. */
  etcNetns: string[];
  /** Processes still running inside those namespaces. */
  pids: number[];
}

function owned(names: readonly string[], prefix: string | undefined): string[] {
  return names.filter((n) => OWNED_NAME_RE.test(n) && (prefix === undefined || n.startsWith(`${prefix}-`)));
}

function listEtcNetns(): string[] {
  try {
    return readdirSync(ETC_NETNS).sort();
  } catch {
    return [];
  }
}

/** What exists with the given prefix, or with any cluster prefix when none is given. */
export function listLeftovers(prefix?: string): Leftovers {
  if (prefix !== undefined) assertClusterPrefix(prefix);
  const netns = owned(listNetns(), prefix);
  const etcNetns = owned(listEtcNetns(), prefix);
  const prefixes = new Set<string>();
  for (const n of [...netns, ...etcNetns]) {
    const p = OWNED_NAME_RE.exec(n)?.[1];
    if (p) prefixes.add(p);
  }
  const pids = [...pidsInNetns(netns).values()].flat().sort((a, b) => a - b);
  return { prefixes: [...prefixes].sort(), netns, etcNetns, pids };
}

const ORDER = { pod: 0, other: 1, node: 2, fabric: 3 } as const;

/**
 * Removes everything with this prefix: ends the processes inside its namespaces (by PID), deletes
 * the namespaces (pods, then nodes, then the fabric; interfaces, routes and iptables rules live in
 * them and go too) and the /etc/netns files. Idempotent; returns what it found.
 */
export async function destroyAll(prefix: string): Promise<Leftovers> {
  assertClusterPrefix(prefix);
  checkPrerequisites();
  const found = listLeftovers(prefix);
  const netns = [...found.netns].sort((a, b) => ORDER[ownedKind(prefix, a)] - ORDER[ownedKind(prefix, b)]);
  await killNetnsProcesses(netns);
  await deleteNetns(netns);
  for (const dir of found.etcNetns) removePodFiles(dir);
  return found;
}
