import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Resource } from "../../../src/api/resource.js";
import { materializePods } from "../../../src/controlplane/registry/materialize.js";
import { podWorkloadName } from "../../../src/controlplane/registry/canonical.js";
import type { NodeSpec } from "../../../src/controlplane/registry/types.js";
import { podMeta, podSpec, podStatus, serviceSpec } from "../../../src/controlplane/registry/views.js";
import { deployment, pod, service } from "./fixtures.js";

const nodes: NodeSpec[] = [
  { name: "node-a", podCidr: "10.244.1.0/24", address: "192.168.0.11" },
  { name: "node-b", podCidr: "10.244.2.0/24", address: "192.168.0.12" },
  { name: "node-c", podCidr: "10.244.3.0/24", address: "192.168.0.13" },
];

const names = (pods: readonly Resource[]): string[] => pods.map((p) => p.metadata.name);
const placement = (pods: readonly Resource[]): Record<string, string> =>
  Object.fromEntries(
    pods.map((p) => [p.metadata.name, `${podSpec(p).nodeName ?? "-"} ${podStatus(p).podIP ?? "-"}`]),
  );
const perNode = (pods: readonly Resource[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const p of pods) out[podSpec(p).nodeName ?? "-"] = (out[podSpec(p).nodeName ?? "-"] ?? 0) + 1;
  return out;
};

describe("Deployment expansion", () => {
  it("names pods <deploy>-<hash>-<5 chars> and marks them as the ReplicaSet's", () => {
    const m = materializePods([deployment("web", 3, { app: "web" })], nodes);
    assert.equal(m.pods.length, 3);
    for (const p of m.pods) {
      assert.match(
        p.metadata.name,
        /^web-[bcdfghjklmnpqrstvwxz2456789]{1,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/,
      );
      const hash = p.metadata.labels?.["pod-template-hash"] ?? "";
      assert.ok(p.metadata.name.startsWith(`web-${hash}-`));
      assert.equal(p.metadata.labels?.["app"], "web");
      assert.equal(podWorkloadName(podMeta(p)), "web", "istiod's heuristic finds the Deployment");
    }
    assert.equal(new Set(names(m.pods)).size, 3);
  });

  const cases: { name: string; replicas: number; want: number }[] = [
    { name: "zero replicas", replicas: 0, want: 0 },
    { name: "one replica", replicas: 1, want: 1 },
    { name: "many replicas", replicas: 25, want: 25 },
  ];
  for (const c of cases)
    it(c.name, () =>
      assert.equal(materializePods([deployment("d", c.replicas, { app: "d" })], nodes).pods.length, c.want),
    );

  it("is deterministic: the same inputs give the same pods", () => {
    const docs = [deployment("web", 4, { app: "web" }), deployment("api", 2, { app: "api" }, "prod")];
    assert.deepEqual(materializePods(docs, nodes).pods, materializePods(docs, nodes).pods);
  });

  it("keeps the pod names when scaling, and renames on a template change (rollout)", () => {
    const three = names(materializePods([deployment("web", 3, { app: "web" })], nodes).pods);
    const four = names(materializePods([deployment("web", 4, { app: "web" })], nodes).pods);
    assert.ok(three.every((n) => four.includes(n)));
    const changed = names(
      materializePods([deployment("web", 3, { app: "web" }, "default", { v: "2" })], nodes).pods,
    );
    assert.ok(changed.every((n) => !three.includes(n)));
  });

  it("does not modify its inputs", () => {
    const docs = [
      deployment("web", 2, { app: "web" }),
      pod("solo"),
      service("web", { selector: { app: "web" } }),
    ];
    const before = structuredClone(docs);
    materializePods(docs, nodes);
    assert.deepEqual(docs, before);
  });
});

describe("pod placement", () => {
  it("spreads pods over nodes, fewest pods first, ties in node order", () => {
    const m = materializePods([deployment("web", 5, { app: "web" })], nodes);
    assert.deepEqual(perNode(m.pods), { "node-a": 2, "node-b": 2, "node-c": 1 });
    for (const p of m.pods) {
      const node = nodes.find((n) => n.name === podSpec(p).nodeName);
      assert.ok(node);
      assert.equal(podStatus(p).hostIP, node.address);
      assert.equal(podStatus(p).phase, "Running");
    }
  });

  it("gives addresses from the node's pod CIDR, starting after the gateway", () => {
    const m = materializePods([pod("p1"), pod("p2"), pod("p3"), pod("p4")], nodes);
    assert.deepEqual(placement(m.pods), {
      p1: "node-a 10.244.1.2",
      p2: "node-b 10.244.2.2",
      p3: "node-c 10.244.3.2",
      p4: "node-a 10.244.1.3",
    });
    assert.deepEqual(m.pods[0]?.["status"], {
      phase: "Running",
      podIP: "10.244.1.2",
      podIPs: [{ ip: "10.244.1.2" }],
      hostIP: "192.168.0.11",
    });
  });

  it("keeps node and address across recomputation (allocation table in, table out)", () => {
    const first = materializePods([deployment("web", 3, { app: "web" })], nodes);
    const again = materializePods([deployment("web", 3, { app: "web" })], nodes, first.allocations);
    assert.deepEqual(placement(again.pods), placement(first.pods));
    assert.deepEqual(again.allocations, first.allocations);
  });

  it("keeps addresses when other pods come and go", () => {
    const first = materializePods([pod("a"), pod("b"), pod("c")], nodes);
    // "0" sorts first and would take node-a's first address without the table.
    const second = materializePods([pod("0"), pod("a"), pod("c")], nodes, first.allocations);
    const before = placement(first.pods);
    const after = placement(second.pods);
    assert.equal(after["a"], before["a"]);
    assert.equal(after["c"], before["c"]);
    assert.equal(after["0"], before["b"], "b's node had the fewest pods and its freed address is reused");
  });

  it("reuses a freed address", () => {
    const one = [{ name: "n", podCidr: "10.0.0.0/29", address: "192.168.0.1" }];
    const first = materializePods([pod("a"), pod("b")], one);
    assert.deepEqual(placement(first.pods), { a: "n 10.0.0.2", b: "n 10.0.0.3" });
    const second = materializePods([pod("b"), pod("c")], one, first.allocations);
    assert.deepEqual(placement(second.pods), { b: "n 10.0.0.3", c: "n 10.0.0.2" });
  });

  it("honours spec.nodeName and an existing status.podIP", () => {
    const m = materializePods(
      [pod("pinned", { node: "node-c" }), pod("placed", { node: "node-a", ip: "10.244.1.2" }), pod("x")],
      nodes,
    );
    const p = placement(m.pods);
    assert.equal(p["pinned"], "node-c 10.244.3.2");
    assert.equal(p["placed"], "node-a 10.244.1.2");
    assert.equal(p["x"], "node-b 10.244.2.2", "node-a already has one pod and 10.244.1.2 is taken");
  });

  it("moves pods off a node that is gone", () => {
    const first = materializePods([pod("a")], nodes);
    assert.equal(placement(first.pods)["a"], "node-a 10.244.1.2");
    const second = materializePods([pod("a")], nodes.slice(1), first.allocations);
    assert.equal(placement(second.pods)["a"], "node-b 10.244.2.2");
  });

  const errorCases: {
    name: string;
    docs: Resource[];
    nodes: NodeSpec[];
    code: string;
    pending: string[];
    text: RegExp;
  }[] = [
    {
      name: "a full pod CIDR fails only the pods that do not fit",
      docs: [pod("a"), pod("b")],
      nodes: [{ name: "tiny", podCidr: "10.0.0.0/30", address: "192.168.0.1" }],
      code: "REGISTRY_POD_CIDR_FULL",
      pending: ["b"],
      text: /default\/b.*10\.0\.0\.0\/30 is full|every node's pod CIDR is full \(tiny 10\.0\.0\.0\/30\)/,
    },
    {
      name: "a pod pinned to a full node",
      docs: [pod("a", { node: "tiny" }), pod("b", { node: "tiny" })],
      nodes: [{ name: "tiny", podCidr: "10.0.0.0/30", address: "192.168.0.1" }],
      code: "REGISTRY_POD_CIDR_FULL",
      pending: ["b"],
      text: /pod CIDR 10\.0\.0\.0\/30 of node tiny is full/,
    },
    {
      name: "a pod pinned to an unknown node",
      docs: [pod("a", { node: "nowhere" })],
      nodes,
      code: "REGISTRY_NODE_NOT_FOUND",
      pending: ["a"],
      text: /node "nowhere", which does not exist/,
    },
    {
      name: "no nodes at all",
      docs: [pod("a")],
      nodes: [],
      code: "REGISTRY_NO_NODES",
      pending: ["a"],
      text: /no nodes/,
    },
  ];
  for (const c of errorCases) {
    it(c.name, () => {
      const m = materializePods(c.docs, c.nodes);
      assert.equal(m.errors.length, c.pending.length);
      assert.equal(m.errors[0]?.error.code, c.code);
      assert.match(m.errors[0]?.error.message ?? "", c.text);
      assert.ok(m.errors[0]?.error.hint);
      const pending = m.pods.filter((p) => podStatus(p).phase === "Pending").map((p) => p.metadata.name);
      assert.deepEqual(pending, c.pending);
      for (const name of c.pending)
        assert.equal(podStatus(m.pods.find((p) => p.metadata.name === name) ?? pod("?")).podIP, undefined);
    });
  }
});

describe("Service VIPs", () => {
  const vip = (docs: readonly Resource[], name: string): string | undefined =>
    serviceSpec(docs.find((d) => d.kind === "Service" && d.metadata.name === name) ?? service("?")).clusterIP;

  it("allocates from the service CIDR, keeps written and previous VIPs", () => {
    const docs = [service("b"), service("a"), service("fixed", { clusterIP: "10.96.0.1" })];
    const m = materializePods(docs, nodes);
    assert.equal(vip(m.resources, "fixed"), "10.96.0.1");
    assert.equal(vip(m.resources, "a"), "10.96.0.2");
    assert.equal(vip(m.resources, "b"), "10.96.0.3");
    assert.deepEqual(m.allocations.services, { "default/a": "10.96.0.2", "default/b": "10.96.0.3" });
    const again = materializePods([service("0"), ...docs], nodes, m.allocations);
    assert.equal(vip(again.resources, "a"), "10.96.0.2");
    assert.equal(vip(again.resources, "0"), "10.96.0.4");
  });

  const kinds: { name: string; svc: Resource; want: string | undefined }[] = [
    { name: "ClusterIP", svc: service("s"), want: "10.0.0.1" },
    { name: "NodePort gets a cluster IP too", svc: service("s", { type: "NodePort" }), want: "10.0.0.1" },
    {
      name: "LoadBalancer gets a cluster IP too",
      svc: service("s", { type: "LoadBalancer" }),
      want: "10.0.0.1",
    },
    { name: "headless", svc: service("s", { clusterIP: "None" }), want: "None" },
    { name: "ExternalName", svc: service("s", { type: "ExternalName" }), want: undefined },
  ];
  for (const c of kinds)
    it(c.name, () =>
      assert.equal(
        vip(materializePods([c.svc], nodes, undefined, { serviceCidr: "10.0.0.0/24" }).resources, "s"),
        c.want,
      ),
    );

  it("reports a full service CIDR and a clusterIP conflict", () => {
    const m = materializePods(
      [
        service("a"),
        service("b"),
        service("c", { clusterIP: "10.0.0.1" }),
        service("d", { clusterIP: "10.0.0.1" }),
      ],
      nodes,
      undefined,
      { serviceCidr: "10.0.0.0/30" }, // .1 and .2 usable
    );
    assert.deepEqual(
      m.errors.map((e) => [e.kind, e.name, e.error.code]),
      [
        ["Service", "d", "REGISTRY_ADDRESS_CONFLICT"],
        ["Service", "b", "REGISTRY_SERVICE_CIDR_FULL"],
      ],
    );
  });

  it("keeps the order of the documents and puts pods last", () => {
    const m = materializePods([service("s"), pod("p"), deployment("d", 1, { app: "d" })], nodes);
    assert.deepEqual(
      m.resources.map((r) => r.kind),
      ["Service", "Deployment", "Pod", "Pod"],
    );
  });
});

describe("address blocks", () => {
  const cases: { name: string; nodes: NodeSpec[]; serviceCidr?: string; code: string }[] = [
    {
      name: "unparsable pod CIDR",
      nodes: [{ name: "a", podCidr: "10.0.0.0", address: "1.1.1.1" }],
      code: "REGISTRY_BAD_CIDR",
    },
    {
      name: "overlapping pod CIDRs",
      nodes: [
        { name: "a", podCidr: "10.244.0.0/16", address: "1.1.1.1" },
        { name: "b", podCidr: "10.244.2.0/24", address: "1.1.1.2" },
      ],
      code: "REGISTRY_CIDR_OVERLAP",
    },
    {
      name: "pod CIDR inside the service CIDR",
      nodes: [{ name: "a", podCidr: "10.96.1.0/24", address: "1.1.1.1" }],
      code: "REGISTRY_CIDR_OVERLAP",
    },
    {
      name: "duplicate node names",
      nodes: [
        { name: "a", podCidr: "10.244.1.0/24", address: "1.1.1.1" },
        { name: "a", podCidr: "10.244.2.0/24", address: "1.1.1.2" },
      ],
      code: "REGISTRY_DUPLICATE_NODE",
    },
    { name: "bad service CIDR", nodes, serviceCidr: "nope", code: "REGISTRY_BAD_CIDR" },
  ];
  for (const c of cases)
    it(c.name, () =>
      assert.throws(() => materializePods([pod("p")], c.nodes, undefined, { serviceCidr: c.serviceCidr }), {
        code: c.code,
      }),
    );
});
