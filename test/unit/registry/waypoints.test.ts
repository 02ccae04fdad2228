import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Resource } from "../../../src/api/resource.js";
import { buildRegistry } from "../../../src/controlplane/registry/index.js";
import type { Registry } from "../../../src/controlplane/registry/types.js";
import { namespace, pod, service, serviceEntry, waypoint, workloadEntry } from "./fixtures.js";

const USE = "istio.io/use-waypoint";
const USE_NS = "istio.io/use-waypoint-namespace";
const FOR = "istio.io/waypoint-for";

const build = (docs: Resource[]): Registry => buildRegistry({ resources: docs });
/** "service:<gateway>|-" and "workload:<gateway>|-" for the app Service and the app pod. */
function attachment(docs: Resource[]): { service: string; workload: string; warnings: string[] } {
  const r = build(docs);
  const s = r.services.find((x) => x.name === "app");
  const w = r.workloads.find((x) => x.name === "app-1");
  return {
    service: s?.waypoint?.gateway ?? "-",
    workload: w?.waypoint?.gateway ?? "-",
    warnings: r.warnings,
  };
}
const app = (
  ns = "shop",
  svcLabels: Record<string, string> = {},
  podLabels: Record<string, string> = {},
): Resource[] => [
  service("app", { ns, selector: { app: "app" }, labels: svcLabels, clusterIP: "10.96.1.1" }),
  pod("app-1", { ns, ip: "10.0.0.1", labels: { app: "app", ...podLabels } }),
];

describe("waypoint attachment", () => {
  const cases: { name: string; docs: Resource[]; service: string; workload: string; warning?: RegExp }[] = [
    {
      name: "no labels: no waypoint",
      docs: [namespace("shop"), waypoint("wp", { ns: "shop" }), ...app()],
      service: "-",
      workload: "-",
    },
    {
      name: "namespace label, default waypoint-for=service: services only",
      docs: [namespace("shop", { [USE]: "wp" }), waypoint("wp", { ns: "shop" }), ...app()],
      service: "shop/wp",
      workload: "-",
    },
    {
      name: "waypoint-for=workload: workloads only",
      docs: [
        namespace("shop", { [USE]: "wp" }),
        waypoint("wp", { ns: "shop", labels: { [FOR]: "workload" } }),
        ...app(),
      ],
      service: "-",
      workload: "shop/wp",
    },
    {
      name: "waypoint-for=all: both",
      docs: [
        namespace("shop", { [USE]: "wp" }),
        waypoint("wp", { ns: "shop", labels: { [FOR]: "all" } }),
        ...app(),
      ],
      service: "shop/wp",
      workload: "shop/wp",
    },
    {
      name: "waypoint-for=none: neither",
      docs: [
        namespace("shop", { [USE]: "wp" }),
        waypoint("wp", { ns: "shop", labels: { [FOR]: "none" } }),
        ...app(),
      ],
      service: "-",
      workload: "-",
    },
    {
      name: "service label overrides the namespace's",
      docs: [
        namespace("shop", { [USE]: "wp" }),
        waypoint("wp", { ns: "shop" }),
        waypoint("special", { ns: "shop" }),
        ...app("shop", { [USE]: "special" }),
      ],
      service: "shop/special",
      workload: "-",
    },
    {
      name: "service label none opts out of the namespace's waypoint",
      docs: [
        namespace("shop", { [USE]: "wp" }),
        waypoint("wp", { ns: "shop" }),
        ...app("shop", { [USE]: "none" }),
      ],
      service: "-",
      workload: "-",
    },
    {
      name: "pod label overrides the namespace's (workload waypoint)",
      docs: [
        namespace("shop", { [USE]: "wp" }),
        waypoint("wp", { ns: "shop", labels: { [FOR]: "all" } }),
        waypoint("pw", { ns: "shop", labels: { [FOR]: "workload" } }),
        ...app("shop", {}, { [USE]: "pw" }),
      ],
      service: "shop/wp",
      workload: "shop/pw",
    },
    {
      name: "pod label none opts out",
      docs: [
        namespace("shop", { [USE]: "wp" }),
        waypoint("wp", { ns: "shop", labels: { [FOR]: "all" } }),
        ...app("shop", {}, { [USE]: "none" }),
      ],
      service: "shop/wp",
      workload: "-",
    },
    {
      name: "a missing waypoint gives none, without falling back to the namespace's",
      docs: [
        namespace("shop", { [USE]: "wp" }),
        waypoint("wp", { ns: "shop" }),
        ...app("shop", { [USE]: "gone" }),
      ],
      service: "-",
      workload: "-",
      warning:
        /Service shop\/app: label istio\.io\/use-waypoint names waypoint shop\/gone, but there is no Gateway/,
    },
    {
      name: "a missing namespace waypoint is reported once for the namespace",
      docs: [namespace("shop", { [USE]: "gone" }), ...app()],
      service: "-",
      workload: "-",
      warning: /^namespace shop: label istio\.io\/use-waypoint names waypoint shop\/gone/,
    },
    {
      name: "object label naming a service-only waypoint from a pod is reported",
      docs: [namespace("shop"), waypoint("wp", { ns: "shop" }), ...app("shop", {}, { [USE]: "wp" })],
      service: "-",
      workload: "-",
      warning: /Pod shop\/app-1: waypoint shop\/wp is for service traffic/,
    },
    {
      name: "another namespace's waypoint is refused by default (allowedRoutes Same)",
      docs: [
        namespace("shop", { [USE]: "shared", [USE_NS]: "infra" }),
        waypoint("shared", { ns: "infra" }),
        ...app(),
      ],
      service: "-",
      workload: "-",
      warning: /waypoint infra\/shared does not admit namespace shop/,
    },
    {
      name: "another namespace's waypoint with allowedRoutes All",
      docs: [
        namespace("shop", { [USE]: "shared", [USE_NS]: "infra" }),
        waypoint("shared", { ns: "infra", from: "All" }),
        ...app(),
      ],
      service: "infra/shared",
      workload: "-",
    },
    {
      name: "allowedRoutes Selector on namespace labels",
      docs: [
        namespace("shop", { [USE]: "shared", [USE_NS]: "infra", team: "a" }),
        waypoint("shared", { ns: "infra", from: "Selector", selector: { matchLabels: { team: "a" } } }),
        ...app(),
      ],
      service: "infra/shared",
      workload: "-",
    },
    {
      name: "allowedRoutes Selector on the namespace name label Kubernetes adds",
      docs: [
        namespace("shop"),
        waypoint("shared", {
          ns: "infra",
          from: "Selector",
          selector: {
            matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["shop"] }],
          },
        }),
        ...app("shop", { [USE]: "shared", [USE_NS]: "infra" }),
      ],
      service: "infra/shared",
      workload: "-",
    },
    {
      name: "allowedRoutes Selector that does not match",
      docs: [
        namespace("shop", { [USE]: "shared", [USE_NS]: "infra" }),
        waypoint("shared", { ns: "infra", from: "Selector", selector: { matchLabels: { team: "b" } } }),
        ...app(),
      ],
      service: "-",
      workload: "-",
      warning: /does not admit namespace shop/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = attachment(c.docs);
      assert.equal(got.service, c.service, "service waypoint");
      assert.equal(got.workload, c.workload, "workload waypoint");
      if (c.warning)
        assert.ok(
          got.warnings.some((w) => c.warning?.test(w)),
          got.warnings.join("\n"),
        );
      else assert.deepEqual(got.warnings, []);
    });
  }
});

describe("waypoint address and its own objects", () => {
  const docs = [
    namespace("shop", { [USE]: "wp" }),
    waypoint("wp", { ns: "shop", labels: { [FOR]: "all" } }),
    service("wp", {
      ns: "shop",
      selector: { "gateway.networking.k8s.io/gateway-name": "wp" },
      clusterIP: "10.96.5.5",
      ports: [{ name: "mesh", port: 15008 }],
    }),
    pod("wp-1", { ns: "shop", ip: "10.0.0.50", labels: { "gateway.networking.k8s.io/gateway-name": "wp" } }),
    ...app(),
  ];

  it("points at the waypoint Service's VIP, HBONE port 15008", () => {
    const r = build(docs);
    assert.deepEqual(r.services.find((s) => s.name === "app")?.waypoint, {
      gateway: "shop/wp",
      hostname: "wp.shop.svc.cluster.local",
      addresses: ["10.96.5.5"],
      port: 15008,
    });
  });

  it("never sends the waypoint's own Service and pods through a waypoint", () => {
    const r = build(docs);
    assert.equal(r.services.find((s) => s.name === "wp")?.waypoint, undefined);
    assert.equal(r.workloads.find((w) => w.name === "wp-1")?.waypoint, undefined);
    assert.equal(r.workloads.find((w) => w.name === "app-1")?.waypoint?.gateway, "shop/wp");
  });

  it("has no address until its Service has a VIP (or the Gateway status has one)", () => {
    const noSvc = build([namespace("shop", { [USE]: "wp" }), waypoint("wp", { ns: "shop" }), ...app()]);
    assert.deepEqual(noSvc.services.find((s) => s.name === "app")?.waypoint?.addresses, []);
    const gw = waypoint("wp", { ns: "shop" });
    gw["status"] = { addresses: [{ type: "IPAddress", value: "10.96.9.9" }] };
    const withStatus = build([namespace("shop", { [USE]: "wp" }), gw, ...app()]);
    assert.deepEqual(withStatus.services.find((s) => s.name === "app")?.waypoint?.addresses, ["10.96.9.9"]);
  });

  it("ignores Gateways of other classes", () => {
    const other = waypoint("wp", { ns: "shop" });
    other.spec = { gatewayClassName: "istio", listeners: [] };
    const r = build([namespace("shop", { [USE]: "wp" }), other, ...app()]);
    assert.equal(r.services.find((s) => s.name === "app")?.waypoint, undefined);
    assert.match(r.warnings.join("\n"), /no Gateway shop\/wp with gatewayClassName istio-waypoint/);
  });

  it("takes waypoint-for from the GatewayClass when the Gateway has none", () => {
    const cls: Resource = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GatewayClass",
      metadata: { name: "istio-waypoint", labels: { [FOR]: "workload" } },
      spec: { controllerName: "istio.io/mesh-controller" },
    };
    const got = attachment([
      cls,
      namespace("shop", { [USE]: "wp" }),
      waypoint("wp", { ns: "shop" }),
      ...app(),
    ]);
    assert.deepEqual([got.service, got.workload], ["-", "shop/wp"]);
  });

  it("warns about an unknown waypoint-for value", () => {
    const got = attachment([
      namespace("shop", { [USE]: "wp" }),
      waypoint("wp", { ns: "shop", labels: { [FOR]: "everything" } }),
      ...app(),
    ]);
    assert.deepEqual([got.service, got.workload], ["-", "-"]);
    assert.match(got.warnings.join("\n"), /istio\.io\/waypoint-for="everything" is not one of/);
  });

  it("applies to ServiceEntries, WorkloadEntries and inline endpoints", () => {
    const r = build([
      namespace("ext", { [USE]: "egress" }),
      waypoint("egress", { ns: "ext", labels: { [FOR]: "all" } }),
      serviceEntry(
        "api",
        {
          hosts: ["api.example.com"],
          ports: [{ number: 443, name: "tls" }],
          endpoints: [{ address: "1.1.1.1", labels: { [USE]: "none" } }, { address: "2.2.2.2" }],
        },
        { ns: "ext" },
      ),
      workloadEntry("vm", { address: "10.5.0.1" }, { ns: "ext" }),
    ]);
    assert.equal(r.services[0]?.waypoint?.gateway, "ext/egress");
    assert.deepEqual(
      r.workloads.map((w) => [w.uid.split("/").slice(-1)[0], w.waypoint?.gateway ?? "-"]),
      [
        ["1.1.1.1", "-"],
        ["2.2.2.2", "ext/egress"],
        ["vm", "ext/egress"],
      ],
    );
  });
});
