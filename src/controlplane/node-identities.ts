/**
 * What the CA lets a node's token obtain certificates for: the SPIFFE identities of the
 * workloads scheduled on that node. The index (node -> identities) is built once per published
 * workload list and then answers each CSR with one lookup, instead of a pass over every workload
 * of the mesh per request. Published lists are never mutated (registry patches copy them,
 * registry/pod-changes.ts), so an index keyed by the list itself stays right.
 */
import type { Workload } from "../model/workload.js";

const indexes = new WeakMap<readonly Workload[], Map<string, Set<string>>>();

function indexOf(workloads: readonly Workload[]): Map<string, Set<string>> {
  let byNode = indexes.get(workloads);
  if (!byNode) {
    byNode = new Map();
    for (const w of workloads) {
      if (!w.node) continue;
      let ids = byNode.get(w.node);
      if (!ids) byNode.set(w.node, (ids = new Set()));
      ids.add(w.identity);
    }
    indexes.set(workloads, byNode);
  }
  return byNode;
}

/** Whether a workload of `identity` is scheduled on `node`. */
export function nodeRunsIdentity(workloads: readonly Workload[], node: string, identity: string): boolean {
  return indexOf(workloads).get(node)?.has(identity) ?? false;
}
