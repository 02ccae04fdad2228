/**
 * The service registry: from validated documents to the workloads, services and authorization
 * policies the control plane pushes to node proxies. Deterministic — documents are read in
 * namespace/name order and every output list is sorted — so two computations over the same
 * documents compare equal and xDS can push only what changed.
 *
 * Order of work: waypoints first (services and workloads point at them), then authorization
 * policies (workloads list the ones selecting them), then services, then workloads (each lists
 * the services selecting it), and last each service's endpoints from those workloads.
 *
 * `buildRegistry` computes from scratch. A `RegistryBuilder` kept across config changes gives
 * the same result while reusing what did not change (memo.ts): a workload is recomputed when its
 * document changed, when its namespace's labels, Services or selector policies changed, or when
 * waypoints or root-namespace policies changed; a service when its document, VIP, namespace
 * labels or the waypoints changed; a policy when its document changed.
 */
import type { Resource } from "../../api/resource.js";
import type { Authorization } from "../../model/authorization.js";
import { serviceKey, type Service, type Workload } from "../../model/workload.js";
import { convertAuthorizationPolicy } from "./authorization.js";
import { Caches, docOf, type Doc, type IndexMemo, type LastBuild, type PolicyEntry } from "./caches.js";
import { SEPARATOR, sameItems, type Warn } from "./memo.js";
import { applyPodChanges } from "./pod-changes.js";
import { SelectorIndex } from "./selectors.js";
import { fromService, fromServiceEntry, serviceAddresses, type ServiceInfo } from "./services.js";
import { resolveMesh, type Registry, type RegistryInput } from "./types.js";
import { collectWaypoints, type WaypointContext } from "./waypoints.js";
import {
  fromPod,
  fromServiceEntryEndpoints,
  fromWorkloadEntry,
  type SelectorPolicy,
  type WorkloadContext,
} from "./workloads.js";

export function buildRegistry(input: RegistryInput): Registry {
  return new RegistryBuilder().build(input);
}

const EMPTY: readonly never[] = [];

export class RegistryBuilder {
  private meshKey: string | undefined;
  private c = new Caches();
  private last: LastBuild | undefined;

  build(input: RegistryInput): Registry {
    const mesh = resolveMesh(input.mesh);
    const meshKey = JSON.stringify(mesh);
    // Every result depends on the mesh settings: a change starts over.
    if (meshKey !== this.meshKey) {
      this.c = new Caches();
      this.last = undefined;
      this.meshKey = meshKey;
    }
    const c = this.c;
    const quick = this.last && applyPodChanges(this.last, c, input);
    if (quick) return quick;

    const warnings: string[] = [];
    const seenWarnings = new Set<string>();
    const warn: Warn = (m) => {
      if (!seenWarnings.has(m)) warnings.push(m);
      seenWarnings.add(m);
    };

    // "group/Kind" -> documents of that kind, in namespace/name order
    const kinds = this.groupByKind(input.resources);
    const docs = (gvk: string): readonly Doc[] => kinds.get(gvk) ?? EMPTY;
    const of = (gvk: string): Resource[] => docs(gvk).map((d) => d.r);

    // Waypoints (few; recomputed every time, their content summed up in one string)
    const serviceByKey = new Map(docs("/Service").map((d) => [`${d.ns}/${d.r.metadata.name}`, d.r]));
    const vipsOf = (ns: string, name: string): string[] => {
      const svc = serviceByKey.get(`${ns}/${name}`);
      return svc ? serviceAddresses(svc, input.allocations) : [];
    };
    const namespaces = of("/Namespace");
    // namespace name -> its document (later ones win, as for the labels map)
    const namespaceDocs = new Map(namespaces.map((n) => [n.metadata.name, n]));
    const wp: WaypointContext = {
      waypoints: collectWaypoints(
        of("gateway.networking.k8s.io/Gateway"),
        of("gateway.networking.k8s.io/GatewayClass"),
        vipsOf,
        mesh.domainSuffix,
        warn,
      ),
      namespaceLabels: new Map(namespaces.map((n) => [n.metadata.name, n.metadata.labels ?? {}])),
      warn,
    };
    const waypointsKey = JSON.stringify([...wp.waypoints]);
    // What a service's result depends on besides its document: its namespace's labels, waypoints.
    const serviceDeps = (ns: string): number =>
      c.epochs.epoch(`service:${ns}`, [namespaceDocs.get(ns), waypointsKey]);

    // Authorization policies
    const authorizations: Authorization[] = [];
    const policies: SelectorPolicy[] = [];
    for (const p of of("security.istio.io/AuthorizationPolicy")) {
      const { converted, selectorPolicy } = this.policy(p, mesh.rootNamespace);
      if (!converted) continue;
      converted.warnings.forEach(warn);
      const a = converted.authorization;
      if (!a) continue;
      if (a.l7Warning) warn(`AuthorizationPolicy ${a.namespace}/${a.name}: ${a.l7Warning}`);
      authorizations.push(a);
      if (selectorPolicy) policies.push(selectorPolicy);
    }

    // Services; the first definition of a "<ns>/<hostname>" wins, Services before ServiceEntries.
    const candidates: (ServiceInfo | undefined)[] = [];
    for (const { r: s, ns } of docs("/Service")) {
      const allocated = input.allocations?.services[`${ns}/${s.metadata.name}`];
      candidates.push(
        c.services.get(s, allocated, serviceDeps(ns), warn, (w) =>
          fromService(s, mesh, input.allocations, { ...wp, warn: w }),
        ),
      );
    }
    for (const { r: se, ns } of docs("networking.istio.io/ServiceEntry"))
      candidates.push(
        ...c.entries.get(se, undefined, serviceDeps(ns), warn, (w) =>
          fromServiceEntry(se, { ...wp, warn: w }, w),
        ),
      );
    const infos: ServiceInfo[] = [];
    const taken = new Set<string>();
    for (const info of candidates) {
      if (!info) continue;
      const key = serviceKey(info.service);
      if (taken.has(key)) {
        warn(
          `${info.service.source} ${info.service.namespace}/${info.service.name}: host ${info.service.hostname} is already defined in namespace ${info.service.namespace}; this definition is ignored`,
        );
        continue;
      }
      taken.add(key);
      infos.push(info);
    }

    // Workloads
    const servicesByNamespace = groupBy(infos, (i) => i.service.namespace);
    const policiesByNamespace = groupBy(policies, (p) => p.namespace);
    const ctx: WorkloadContext = {
      mesh,
      servicesByNamespace,
      policies,
      serviceIndex: this.indexes(servicesByNamespace, c.serviceIndexes, false, (s) => s.selector),
      policyIndex: this.indexes(policiesByNamespace, c.policyIndexes, true, (p) => p.selector),
      namespaceLabels: wp.namespaceLabels,
      waypoints: wp,
      warn,
    };
    const global = c.epochs.epoch("workload-global", [
      waypointsKey,
      SEPARATOR,
      ...(policiesByNamespace.get(mesh.rootNamespace) ?? EMPTY),
    ]);
    // namespace -> epoch of what its workloads depend on, computed once per build
    const nsDeps = new Map<string, number>();
    const workloadDeps = (ns: string): number => {
      let e = nsDeps.get(ns);
      if (e === undefined) {
        e = c.epochs.epoch(`workload:${ns}`, [
          namespaceDocs.get(ns),
          SEPARATOR,
          ...(servicesByNamespace.get(ns) ?? EMPTY),
          SEPARATOR,
          ...(policiesByNamespace.get(ns) ?? EMPTY),
        ]);
        nsDeps.set(ns, e);
      }
      return e;
    };
    const recording = (w: Warn): WorkloadContext => ({ ...ctx, warn: w, waypoints: { ...wp, warn: w } });
    const generated: Workload[] = [];
    for (const { r: p, ns } of docs("/Pod")) {
      const w = c.pods.get(p, workloadDeps(ns), global, warn, (rw) => fromPod(p, recording(rw)));
      if (w) generated.push(w);
    }
    for (const { r: we, ns } of docs("networking.istio.io/WorkloadEntry")) {
      const w = c.workloadEntries.get(we, workloadDeps(ns), global, warn, (rw) =>
        fromWorkloadEntry(we, recording(rw)),
      );
      if (w) generated.push(w);
    }
    for (const { r: se, ns } of docs("networking.istio.io/ServiceEntry"))
      generated.push(
        ...c.entryEndpoints.get(se, workloadDeps(ns), global, warn, (rw) =>
          fromServiceEntryEndpoints(se, recording(rw)),
        ),
      );
    const workloads = c.sorts.sort(
      "workloads",
      generated,
      generated.map((w) => w.uid),
    );

    // Endpoints: every workload that lists the service, in uid order.
    // service key -> endpoint uids
    const endpoints = new Map<string, string[]>(infos.map((i) => [serviceKey(i.service), []]));
    for (const w of workloads) for (const key of Object.keys(w.services)) endpoints.get(key)?.push(w.uid);
    const unsorted = infos.map((i) => this.output(i, endpoints.get(serviceKey(i.service)) ?? []));
    const services = c.sorts.sort("services", unsorted, unsorted.map(serviceKey));

    const sortedAuthorizations = c.sorts.sort(
      "authorizations",
      authorizations,
      authorizations.map((a) => `${a.namespace}/${a.name}`),
    );
    c.epochs.sweep();
    const registry = { workloads, services, authorizations: sortedAuthorizations, warnings };
    this.last = {
      // a copy: the caller may reuse its array
      resources: input.resources.slice(),
      allocations: input.allocations,
      registry,
      ctx,
      global,
      nsDeps,
      positions: new Map(workloads.map((w, i) => [w, i])),
    };
    return registry;
  }

  private groupByKind(resources: readonly Resource[]): Map<string, Doc[]> {
    // gvk -> documents and their keys, in input order
    const groups = new Map<string, { items: Doc[]; keys: string[] }>();
    for (const r of resources) {
      const d = docOf(this.c, r);
      let g = groups.get(d.gvk);
      if (!g) {
        g = { items: [], keys: [] };
        groups.set(d.gvk, g);
      }
      g.items.push(d);
      g.keys.push(d.key);
    }
    const out = new Map<string, Doc[]>();
    for (const [gvk, g] of groups) out.set(gvk, this.c.sorts.sort(`kind:${gvk}`, g.items, g.keys));
    return out;
  }

  private policy(p: Resource, rootNamespace: string): PolicyEntry {
    let e = this.c.policies.get(p);
    if (!e) {
      const converted = convertAuthorizationPolicy(p, rootNamespace);
      const a = converted?.authorization;
      const selectorPolicy =
        a && a.scope === "WORKLOAD_SELECTOR" && converted.selector
          ? { key: `${a.namespace}/${a.name}`, namespace: a.namespace, selector: converted.selector }
          : undefined;
      e = { converted, selectorPolicy };
      this.c.policies.set(p, e);
    }
    return e;
  }

  /** Selector indexes per namespace (10,000 workloads x 2,000 selectors without them). */
  private indexes<T>(
    byNamespace: ReadonlyMap<string, readonly T[]>,
    memo: Map<string, IndexMemo<T>>,
    emptySelectsAll: boolean,
    selectorOf: (item: T) => Readonly<Record<string, string>> | undefined,
  ): Map<string, SelectorIndex<T>> {
    const out = new Map<string, SelectorIndex<T>>();
    for (const [ns, items] of byNamespace) {
      let m = memo.get(ns);
      if (!m || !sameItems(m.parts, items)) {
        const index = new SelectorIndex<T>(emptySelectsAll);
        for (const item of items) index.add(selectorOf(item), item);
        m = { parts: items, index };
        memo.set(ns, m);
      }
      out.set(ns, m.index);
    }
    for (const ns of memo.keys()) if (!byNamespace.has(ns)) memo.delete(ns);
    return out;
  }

  /** The service with its endpoints; the previous object when they did not change. */
  private output(info: ServiceInfo, endpoints: string[]): Service {
    const prev = this.c.outputs.get(info);
    if (prev && sameItems(prev.endpoints, endpoints)) return prev;
    const service = { ...info.service, endpoints };
    this.c.outputs.set(info, service);
    return service;
  }
}

function groupBy<T>(items: readonly T[], keyOfItem: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOfItem(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
