/**
 * What a RegistryBuilder remembers between builds (registry.ts): per-document results and the
 * epochs they were computed against (memo.ts), and the last full build, from which a change to
 * a few pods alone is applied without a full pass (pod-changes.ts).
 */
import { gvkOf, keyOf, type Resource } from "../../api/resource.js";
import type { Service, Workload } from "../../model/workload.js";
import type { ConvertedPolicy } from "./authorization.js";
import { Epochs, MemoTable, SortMemo } from "./memo.js";
import type { SelectorIndex } from "./selectors.js";
import type { ServiceInfo } from "./services.js";
import type { AllocationTable, Registry } from "./types.js";
import { namespaceOf } from "./views.js";
import type { SelectorPolicy, WorkloadContext } from "./workloads.js";

export interface PolicyEntry {
  converted: ConvertedPolicy | undefined;
  selectorPolicy: SelectorPolicy | undefined;
}

/** Everything a builder remembers between builds; all of it depends on the mesh settings. */
export class Caches {
  epochs = new Epochs();
  sorts = new SortMemo();
  // document -> what the build reads of it on every pass
  docs = new WeakMap<Resource, Doc>();
  policies = new WeakMap<Resource, PolicyEntry>();
  services = new MemoTable<Resource, ServiceInfo | undefined>();
  entries = new MemoTable<Resource, ServiceInfo[]>();
  pods = new MemoTable<Resource, Workload | undefined>();
  workloadEntries = new MemoTable<Resource, Workload | undefined>();
  entryEndpoints = new MemoTable<Resource, Workload[]>();
  // service as computed (no endpoints) -> the last output with endpoints
  outputs = new WeakMap<ServiceInfo, Service>();
  // namespace -> selector index over its services / policies, and what it was built from
  serviceIndexes = new Map<string, IndexMemo<ServiceInfo>>();
  policyIndexes = new Map<string, IndexMemo<SelectorPolicy>>();
}

/** A document with its kind, key and namespace, read once (property reads are not free at 10,000). */
export interface Doc {
  r: Resource;
  gvk: string;
  key: string;
  ns: string;
}

export interface IndexMemo<T> {
  parts: readonly T[];
  index: SelectorIndex<T>;
}

/** The Doc of a document, made on first sight. */
export function docOf(c: Caches, r: Resource): Doc {
  let d = c.docs.get(r);
  if (!d) {
    d = { r, gvk: gvkOf(r), key: keyOf(r), ns: namespaceOf(r) };
    c.docs.set(r, d);
  }
  return d;
}

/** The last full build: its input, output, and the context its workloads were computed in. */
export interface LastBuild {
  resources: readonly Resource[];
  allocations: AllocationTable | undefined;
  registry: Registry;
  ctx: WorkloadContext;
  /** Epoch of waypoints and root-namespace policies. */
  global: number;
  // namespace -> epoch of what its workloads depend on
  nsDeps: ReadonlyMap<string, number>;
  // workload -> its position in registry.workloads
  positions: Map<Workload, number>;
}
