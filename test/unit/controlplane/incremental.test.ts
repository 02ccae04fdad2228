/**
 * The incremental derivation (publish.ts Deriver, the registry's and scheduler's caches) must
 * give exactly what a computation from scratch gives. A seeded random walk of config changes —
 * pods added, removed, relabelled and moved, Services and policies changed, namespace labels
 * flipped, waypoints and Deployments coming and going, the mesh's root namespace switched — is
 * checked step by step against a fresh derive(), including the `changes` the xDS server is
 * handed instead of the full set.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { keyOf, type Resource } from "../../../src/api/resource.js";
import { createLogger } from "../../../src/common/log.js";
import { Deriver, derive, type DerivedState } from "../../../src/controlplane/publish.js";
import {
  emptyAllocations,
  type AllocationTable,
  type NodeSpec,
} from "../../../src/controlplane/registry/index.js";
import { ConfigStore } from "../../../src/controlplane/store/store.js";
import {
  authz,
  deployment,
  namespace,
  pod,
  service,
  serviceEntry,
  waypoint,
  workloadEntry,
} from "../registry/fixtures.js";

const log = createLogger("test");
const NAMESPACES = ["ns-0", "ns-1", "ns-2", "istio-system"];

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class World {
  constructor(
    readonly random: () => number,
    readonly withIps: boolean,
  ) {}
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  labels(): Record<string, string> {
    const l: Record<string, string> = { app: this.pick(["a", "b", "c", "d"]) };
    if (this.chance(0.5)) l["version"] = this.pick(["v1", "v2"]);
    if (this.chance(0.1)) l["istio.io/dataplane-mode"] = this.pick(["none", "ambient"]);
    if (this.chance(0.1)) l["istio.io/use-waypoint"] = this.pick(["wp", "none", "missing"]);
    return l;
  }
  pod(name = `p-${Math.floor(this.random() * 30)}`, ns = this.pick(NAMESPACES)): Resource {
    const ip =
      this.withIps && this.chance(0.9)
        ? `10.1.${NAMESPACES.indexOf(ns)}.${this.pick([...Array(40).keys()])}`
        : undefined;
    return pod(name, {
      ns,
      labels: this.labels(),
      ...(ip ? { ip } : {}),
      ...(this.chance(0.3) ? { node: this.pick(["n-0", "n-1", "n-2", "n-9"]) } : {}),
      ...(this.chance(0.1) ? { phase: "Failed" } : {}),
      ...(this.chance(0.5) ? { sa: this.pick(["sa-1", "sa-2"]) } : {}),
      ports: [{ name: "web", containerPort: 8080 }],
    });
  }
  change(store: ConfigStore): void {
    const existing = store.list();
    const ofKind = (kind: string) => existing.filter((o) => o.resource.kind === kind).map((o) => o.resource);
    const r = this.random();
    if (r < 0.3) {
      // relabel an existing pod (the quick path), or add one
      const pods = ofKind("Pod");
      const p = pods.length > 0 && this.chance(0.8) ? this.pick(pods) : undefined;
      if (p && this.chance(0.7)) {
        const labels = this.chance(0.5)
          ? { ...p.metadata.labels, version: this.pick(["v1", "v2", "v3"]) }
          : this.labels();
        store.put([{ ...p, metadata: { ...p.metadata, labels } }]);
      } else store.put([p ? this.pod(p.metadata.name, p.metadata.namespace) : this.pod()]);
    } else if (r < 0.4) {
      const pods = ofKind("Pod");
      if (pods.length > 0) store.delete([keyOf(this.pick(pods))]);
    } else if (r < 0.5) {
      const name = `s-${Math.floor(this.random() * 6)}`;
      const ns = this.pick(NAMESPACES);
      if (this.chance(0.2)) {
        const svcs = ofKind("Service");
        if (svcs.length > 0) store.delete([keyOf(this.pick(svcs))]);
      } else
        store.put([
          service(name, {
            ns,
            ...(this.chance(0.8) ? { selector: { app: this.pick(["a", "b", "c"]) } } : {}),
            ports: [{ name: "http", port: 80, targetPort: this.pick([8080, "web", "nope"]) }],
            ...(this.chance(0.2) ? { labels: { "istio.io/use-waypoint": "wp" } } : {}),
          }),
        ]);
    } else if (r < 0.6) {
      const ns = this.pick(NAMESPACES);
      const spec: Record<string, unknown> = {
        action: this.pick(["ALLOW", "DENY"]),
        rules: [{ from: [{ source: { principals: [`cluster.local/ns/${ns}/sa/x`] } }] }],
      };
      if (this.chance(0.7)) spec["selector"] = { matchLabels: { app: this.pick(["a", "b"]) } };
      if (this.chance(0.1)) spec["rules"] = [{ to: [{ operation: { paths: ["/x"] } }] }];
      if (this.chance(0.2)) {
        const pols = ofKind("AuthorizationPolicy");
        if (pols.length > 0) store.delete([keyOf(this.pick(pols))]);
      } else store.put([authz(`pol-${Math.floor(this.random() * 5)}`, spec, { ns })]);
    } else if (r < 0.7) {
      const labels: Record<string, string> = {};
      if (this.chance(0.7)) labels["istio.io/dataplane-mode"] = "ambient";
      if (this.chance(0.3)) labels["istio.io/use-waypoint"] = "wp";
      if (this.chance(0.2)) labels["istio.io/use-waypoint-namespace"] = "ns-1";
      store.put([namespace(this.pick(NAMESPACES), labels)]);
    } else if (r < 0.75) {
      const gw = waypoint("wp", { ns: "ns-1", from: this.pick(["All", "Same"]) });
      if (this.chance(0.3) && store.current().objects.has(keyOf(gw))) store.delete([keyOf(gw)]);
      else
        store.put([
          gw,
          service("wp", { ns: "ns-1", labels: { "gateway.istio.io/managed": "istio.io-mesh-controller" } }),
        ]);
    } else if (r < 0.82) {
      store.put([
        deployment(
          `d-${Math.floor(this.random() * 3)}`,
          Math.floor(this.random() * 4),
          { app: this.pick(["a", "b"]) },
          this.pick(NAMESPACES),
        ),
      ]);
    } else if (r < 0.87) {
      const ns = this.pick(NAMESPACES);
      store.put([
        this.chance(0.5)
          ? serviceEntry(
              "ext",
              {
                hosts: ["ext.example.com"],
                addresses: ["240.0.0.1"],
                ports: [{ number: 80, name: "http", protocol: "HTTP" }],
                endpoints: [{ address: "10.9.0.1" }],
                resolution: "STATIC",
              },
              { ns },
            )
          : workloadEntry(
              "vm",
              { address: this.pick(["10.9.0.2", "not-an-ip"]), labels: { app: "a" } },
              { ns },
            ),
      ]);
    } else {
      // several pods at once, some new
      store.put(Array.from({ length: 1 + Math.floor(this.random() * 5) }, () => this.pod()));
    }
  }
}

/** The fields of a DerivedState a full derive() produces (not `changes`, which only a Deriver has). */
function view(s: DerivedState) {
  return {
    pods: s.pods,
    workloads: s.workloads,
    services: s.services,
    authorizations: s.authorizations,
    warnings: s.warnings,
    allocations: s.allocations,
    resources: s.resources,
  };
}

function walk(seed: number, nodes: readonly NodeSpec[], steps: number): void {
  const world = new World(rng(seed), nodes.length === 0);
  const store = new ConfigStore({ log });
  const deriver = new Deriver();
  let allocations: AllocationTable = emptyAllocations();
  // typeUrl -> (name -> bytes) as an xDS server fed only `changes` would hold it
  let held: Map<string, Map<string, Uint8Array>> | undefined;
  for (let step = 0; step < steps; step++) {
    world.change(store);
    const mesh = world.chance(0.05) ? { rootNamespace: "ns-0" } : {};
    const inc = deriver.update(store.current(), mesh, nodes, allocations);
    const full = derive(store.current(), mesh, nodes, allocations);
    assert.deepStrictEqual(view(inc), view(full), `seed ${seed}, step ${step}`);
    if (!held || !inc.changes) {
      held = new Map([...full.resources].map(([t, m]) => [t, new Map(m)]));
    } else {
      for (const [t, c] of inc.changes) {
        const m = held.get(t) ?? new Map<string, Uint8Array>();
        for (const [name, bytes] of c.upserts) m.set(name, bytes);
        for (const name of c.removed) m.delete(name);
        held.set(t, m);
      }
      assert.deepStrictEqual(held, full.resources, `changes, seed ${seed}, step ${step}`);
    }
    allocations = inc.allocations;
  }
}

const NODES: NodeSpec[] = [
  { name: "n-0", podCidr: "10.244.0.0/29", address: "192.168.0.10" },
  { name: "n-1", podCidr: "10.244.1.0/29", address: "192.168.0.11" },
  { name: "n-2", podCidr: "10.244.2.0/28", address: "192.168.0.12" },
];

test("incremental derivation equals a full one after every change (local mode: scheduled pods)", () => {
  for (const seed of [1, 2, 3]) walk(seed, NODES, 250);
});

test("incremental derivation equals a full one after every change (pods with their own IPs)", () => {
  for (const seed of [4, 5, 6]) walk(seed, [], 250);
});

test("an unchanged snapshot derives to the same objects and no changes", () => {
  const store = new ConfigStore({ log });
  store.put([
    namespace("ns-0", { "istio.io/dataplane-mode": "ambient" }),
    pod("p", { ns: "ns-0", ip: "10.1.0.1" }),
  ]);
  const deriver = new Deriver();
  const a = deriver.update(store.current(), {}, [], emptyAllocations());
  const b = deriver.update(store.current(), {}, [], a.allocations);
  assert.equal(b.workloads[0], a.workloads[0]);
  assert.deepEqual(
    [...(b.changes ?? [])].map(([, c]) => c.upserts.size + c.removed.length),
    [0, 0, 0],
  );
});
