import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Resource } from "../../../src/api/resource.js";
import { buildRegistry, materializePods } from "../../../src/controlplane/registry/index.js";
import type { Workload } from "../../../src/model/workload.js";
import { authz, build, deployment, namespace, pod, service, serviceEntry, svc, wl } from "./fixtures.js";

describe("workloads from pods", () => {
  it("fills identity, uid, names and enrollment", () => {
    const r = build(
      [
        namespace("shop", { "istio.io/dataplane-mode": "ambient" }),
        pod("web-1", {
          ns: "shop",
          ip: "10.244.1.5",
          node: "n1",
          sa: "web",
          labels: { app: "web", version: "v2" },
        }),
      ],
      { trustDomain: "example.org", clusterId: "c1", network: "net1" },
    );
    assert.deepEqual(wl(r, "web-1"), {
      uid: "c1//Pod/shop/web-1",
      name: "web-1",
      namespace: "shop",
      kind: "Pod",
      serviceAccount: "web",
      trustDomain: "example.org",
      identity: "spiffe://example.org/ns/shop/sa/web",
      addresses: ["10.244.1.5"],
      network: "net1",
      node: "n1",
      labels: { app: "web", version: "v2" },
      workloadName: "web-1",
      canonicalName: "web",
      canonicalRevision: "v2",
      enrolled: true,
      enrollmentReason: "namespace shop has label istio.io/dataplane-mode=ambient",
      tunnelProtocol: "HBONE",
      services: {},
      authorizationPolicies: [],
      healthy: true,
    });
  });

  const cases: { name: string; pod: Resource; present: boolean; check?: (w: Workload) => void }[] = [
    {
      name: "defaults: service account, cluster id, trust domain",
      pod: pod("p", { ip: "10.0.0.1" }),
      present: true,
      check: (w) => {
        assert.equal(w.serviceAccount, "default");
        assert.equal(w.uid, "Kubernetes//Pod/default/p");
        assert.equal(w.identity, "spiffe://cluster.local/ns/default/sa/default");
        assert.equal(w.tunnelProtocol, "NONE");
      },
    },
    { name: "no IP yet: not a workload", pod: pod("p"), present: false },
    {
      name: "Succeeded: not a workload",
      pod: pod("p", { ip: "10.0.0.1", phase: "Succeeded" }),
      present: false,
    },
    { name: "Failed: not a workload", pod: pod("p", { ip: "10.0.0.1", phase: "Failed" }), present: false },
    {
      name: "Pending with an IP is a workload",
      pod: pod("p", { ip: "10.0.0.1", phase: "Pending" }),
      present: true,
    },
    {
      name: "not Ready: unhealthy",
      pod: pod("p", { ip: "10.0.0.1", ready: false }),
      present: true,
      check: (w) => assert.equal(w.healthy, false),
    },
    {
      name: "Ready: healthy",
      pod: pod("p", { ip: "10.0.0.1", ready: true }),
      present: true,
      check: (w) => assert.equal(w.healthy, true),
    },
    { name: "garbage IP: not a workload", pod: pod("p", { ip: "10.0.0.999" }), present: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = build([c.pod]);
      assert.equal(r.workloads.length, c.present ? 1 : 0);
      if (c.present && c.check) c.check(r.workloads[0] as Workload);
    });
  }

  it("dual-stack pods list every podIP", () => {
    const p = pod("p");
    p["status"] = { podIP: "10.0.0.1", podIPs: [{ ip: "10.0.0.1" }, { ip: "fd00::1" }] };
    assert.deepEqual(build([p]).workloads[0]?.addresses, ["10.0.0.1", "fd00::1"]);
  });

  it("names the workload after its Deployment (materialized pods)", () => {
    const m = materializePods(
      [deployment("reviews", 2, { app: "reviews" })],
      [{ name: "n", podCidr: "10.244.0.0/24", address: "10.0.0.1" }],
    );
    const r = buildRegistry({ resources: m.resources, allocations: m.allocations });
    assert.deepEqual(
      r.workloads.map((w) => [w.workloadName, w.canonicalName, w.node]),
      [
        ["reviews", "reviews", "n"],
        ["reviews", "reviews", "n"],
      ],
    );
  });
});

describe("authorization policies on workloads", () => {
  it("lists selector policies of the workload's namespace and the root namespace, sorted", () => {
    const r = build([
      pod("p", { ns: "shop", ip: "10.0.0.1", labels: { app: "web", tier: "front" } }),
      authz("z-web", { selector: { matchLabels: { app: "web" } } }, { ns: "shop" }),
      authz("a-front", { selector: { matchLabels: { tier: "front" } } }, { ns: "shop" }),
      authz("mesh-web", { selector: { matchLabels: { app: "web" } } }, { ns: "istio-system" }),
      authz("other-ns", { selector: { matchLabels: { app: "web" } } }, { ns: "other" }),
      authz("mismatch", { selector: { matchLabels: { app: "api" } } }, { ns: "shop" }),
      authz("ns-wide", {}, { ns: "shop" }),
      authz("waypoint-only", { targetRefs: [{ kind: "Gateway", name: "w" }] }, { ns: "shop" }),
    ]);
    assert.deepEqual(wl(r, "p").authorizationPolicies, [
      "istio-system/mesh-web",
      "shop/a-front",
      "shop/z-web",
    ]);
    assert.deepEqual(
      r.authorizations.map((a) => `${a.namespace}/${a.name} ${a.scope}`),
      [
        "istio-system/mesh-web WORKLOAD_SELECTOR",
        "other/other-ns WORKLOAD_SELECTOR",
        "shop/a-front WORKLOAD_SELECTOR",
        "shop/mismatch WORKLOAD_SELECTOR",
        "shop/ns-wide NAMESPACE",
        "shop/z-web WORKLOAD_SELECTOR",
      ],
    );
  });

  it("respects a custom root namespace", () => {
    const r = build([authz("mesh", {}, { ns: "ambit-system" })], { rootNamespace: "ambit-system" });
    assert.equal(r.authorizations[0]?.scope, "GLOBAL");
  });
});

describe("determinism", () => {
  it("gives the same registry whatever the document order", () => {
    const docs = [
      namespace("shop", { "istio.io/dataplane-mode": "ambient" }),
      service("web", { ns: "shop", selector: { app: "web" }, clusterIP: "10.96.0.1" }),
      pod("b", { ns: "shop", ip: "10.0.0.2", labels: { app: "web" } }),
      pod("a", { ns: "shop", ip: "10.0.0.1", labels: { app: "web" } }),
      serviceEntry("ext", { hosts: ["z.example", "a.example"], endpoints: [{ address: "1.1.1.1" }] }),
      authz("p2", { action: "DENY" }),
      authz("p1", {}),
    ];
    const forward = build(docs);
    const backward = build([...docs].reverse());
    assert.deepEqual(backward, forward);
    assert.deepEqual(
      forward.workloads.map((w) => w.uid),
      [...forward.workloads.map((w) => w.uid)].sort(),
    );
    assert.deepEqual(
      forward.services.map((s) => s.hostname),
      ["a.example", "z.example", "web.shop.svc.cluster.local"],
    );
  });
});

describe("local mode, end to end", () => {
  const nodes = [
    { name: "node-1", podCidr: "10.244.1.0/24", address: "192.168.0.1" },
    { name: "node-2", podCidr: "10.244.2.0/24", address: "192.168.0.2" },
  ];
  const docs = [
    namespace("demo", { "istio.io/dataplane-mode": "ambient" }),
    deployment("httpbin", 2, { app: "httpbin" }, "demo"),
    service("httpbin", {
      ns: "demo",
      selector: { app: "httpbin" },
      ports: [{ name: "http", port: 8000, targetPort: 80 }],
    }),
    pod("curl", { ns: "demo", labels: { app: "curl" }, sa: "curl" }),
  ];

  it("schedules, addresses and registers everything, and recomputes to the same registry", () => {
    const m = materializePods(docs, nodes);
    assert.deepEqual(m.errors, []);
    const r = buildRegistry({ resources: m.resources, allocations: m.allocations });
    const httpbin = svc(r, "httpbin.demo.svc.cluster.local");
    assert.deepEqual(httpbin.addresses, ["10.96.0.1"]);
    assert.equal(httpbin.endpoints.length, 2);
    assert.ok(r.workloads.every((w) => w.enrolled && w.tunnelProtocol === "HBONE"));
    // curl sorts first and takes node-1; the two httpbin pods spread over both nodes.
    assert.deepEqual(r.workloads.map((w) => `${w.workloadName} ${w.node} ${w.addresses[0]}`).sort(), [
      "curl node-1 10.244.1.2",
      "httpbin node-1 10.244.1.3",
      "httpbin node-2 10.244.2.2",
    ]);
    const again = materializePods(docs, nodes, m.allocations);
    assert.deepEqual(buildRegistry({ resources: again.resources, allocations: again.allocations }), r);
  });
});
