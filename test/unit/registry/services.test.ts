import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Resource } from "../../../src/api/resource.js";
import { buildRegistry } from "../../../src/controlplane/registry/index.js";
import { build, pod, service, serviceEntry, svc, wl, workloadEntry } from "./fixtures.js";

describe("services from Kubernetes Services", () => {
  const docs = [
    service("web", {
      ns: "shop",
      selector: { app: "web" },
      clusterIP: "10.96.0.10",
      ports: [
        { name: "http", port: 80, targetPort: "http-alt" },
        { name: "admin", port: 9000, targetPort: 9901 },
        { name: "plain", port: 7000 },
      ],
    }),
    pod("web-a", {
      ns: "shop",
      ip: "10.0.0.1",
      labels: { app: "web" },
      ports: [{ name: "http-alt", containerPort: 8080 }],
    }),
    pod("web-b", {
      ns: "shop",
      ip: "10.0.0.2",
      labels: { app: "web" },
      ports: [{ name: "http-alt", containerPort: 8081, protocol: "UDP" }],
    }),
    pod("web-elsewhere", { ns: "other", ip: "10.0.0.3", labels: { app: "web" } }),
  ];

  it("has the DNS name, VIP and ports, and its endpoints in uid order", () => {
    const r = build(docs);
    assert.deepEqual(svc(r, "web.shop.svc.cluster.local"), {
      name: "web",
      namespace: "shop",
      hostname: "web.shop.svc.cluster.local",
      addresses: ["10.96.0.10"],
      ports: [
        { name: "http", port: 80, targetPort: 0, targetPortName: "http-alt", protocol: "TCP" },
        { name: "admin", port: 9000, targetPort: 9901, protocol: "TCP" },
        { name: "plain", port: 7000, targetPort: 7000, protocol: "TCP" },
      ],
      source: "Service",
      location: "MESH_INTERNAL",
      endpoints: ["Kubernetes//Pod/shop/web-a", "Kubernetes//Pod/shop/web-b"],
    });
  });

  it("resolves a named targetPort per workload; a workload without it lacks that port", () => {
    const r = build(docs);
    assert.deepEqual(wl(r, "web-a").services, {
      "shop/web.shop.svc.cluster.local": [
        { servicePort: 80, targetPort: 8080 },
        { servicePort: 9000, targetPort: 9901 },
        { servicePort: 7000, targetPort: 7000 },
      ],
    });
    assert.deepEqual(
      wl(r, "web-b").services["shop/web.shop.svc.cluster.local"],
      [
        { servicePort: 9000, targetPort: 9901 },
        { servicePort: 7000, targetPort: 7000 },
      ],
      "its http-alt port is UDP",
    );
    assert.deepEqual(wl(r, "web-elsewhere").services, {}, "selectors only reach their own namespace");
  });

  const vipCases: { name: string; doc: Resource; allocations?: Record<string, string>; want: string[] }[] = [
    {
      name: "allocated VIP from the table",
      doc: service("s"),
      allocations: { "default/s": "10.96.0.7" },
      want: ["10.96.0.7"],
    },
    {
      name: "written VIP wins over the table",
      doc: service("s", { clusterIP: "10.96.0.9" }),
      allocations: { "default/s": "10.96.0.7" },
      want: ["10.96.0.9"],
    },
    {
      name: "headless has none",
      doc: service("s", { clusterIP: "None" }),
      allocations: { "default/s": "10.96.0.7" },
      want: [],
    },
    { name: "no VIP yet", doc: service("s"), want: [] },
  ];
  for (const c of vipCases) {
    it(c.name, () => {
      const r = buildRegistry({
        resources: [c.doc],
        allocations: { pods: {}, services: c.allocations ?? {} },
      });
      assert.deepEqual(r.services[0]?.addresses, c.want);
    });
  }

  it("leaves out ExternalName Services; a Service without selector selects nothing", () => {
    const r = build([
      service("ext", { type: "ExternalName" }),
      service("manual"),
      pod("p", { ip: "10.0.0.1", labels: { a: "b" } }),
    ]);
    assert.deepEqual(
      r.services.map((s) => s.name),
      ["manual"],
    );
    assert.deepEqual(r.services[0]?.endpoints, []);
  });

  it("uses the mesh domain suffix", () => {
    assert.equal(
      build([service("s", { ns: "x" })], { domainSuffix: "corp.internal" }).services[0]?.hostname,
      "s.x.svc.corp.internal",
    );
  });
});

describe("ServiceEntries and WorkloadEntries", () => {
  it("makes one service per host, with addresses, ports and location", () => {
    const r = build([
      serviceEntry("ext", {
        hosts: ["api.example.com", "api2.example.com"],
        addresses: ["240.0.0.1/32"],
        ports: [
          { number: 443, name: "tls", protocol: "TLS" },
          { number: 80, name: "http", protocol: "HTTP", targetPort: 8080 },
        ],
        resolution: "STATIC",
        endpoints: [{ address: "1.1.1.1" }],
      }),
    ]);
    assert.deepEqual(
      r.services.map((s) => [s.hostname, s.addresses, s.location, s.source]),
      [
        ["api.example.com", ["240.0.0.1"], "MESH_EXTERNAL", "ServiceEntry"],
        ["api2.example.com", ["240.0.0.1"], "MESH_EXTERNAL", "ServiceEntry"],
      ],
    );
    assert.deepEqual(r.services[0]?.ports, [
      { name: "tls", port: 443, targetPort: 443, protocol: "TLS" },
      { name: "http", port: 80, targetPort: 8080, protocol: "HTTP" },
    ]);
  });

  it("turns inline endpoints into workloads of the entry, with per-endpoint port names", () => {
    const r = build([
      serviceEntry(
        "db",
        {
          hosts: ["db.internal"],
          location: "MESH_INTERNAL",
          ports: [{ number: 5432, name: "pg", protocol: "TCP" }],
          resolution: "STATIC",
          endpoints: [
            { address: "192.168.1.10", ports: { pg: 6432 }, serviceAccount: "db" },
            { address: "192.168.1.11" },
          ],
        },
        { ns: "data", labels: { app: "postgres" } },
      ),
    ]);
    assert.deepEqual(
      r.workloads.map((w) => [w.uid, w.kind, w.name, w.identity, w.canonicalName, w.services]),
      [
        [
          "Kubernetes/networking.istio.io/ServiceEntry/data/db/192.168.1.10",
          "WorkloadEntry",
          "db",
          "spiffe://cluster.local/ns/data/sa/db",
          "postgres",
          { "data/db.internal": [{ servicePort: 5432, targetPort: 6432 }] },
        ],
        [
          "Kubernetes/networking.istio.io/ServiceEntry/data/db/192.168.1.11",
          "WorkloadEntry",
          "db",
          "spiffe://cluster.local/ns/data/sa/default",
          "postgres",
          { "data/db.internal": [{ servicePort: 5432, targetPort: 5432 }] },
        ],
      ],
    );
    assert.equal(svc(r, "db.internal").location, "MESH_INTERNAL");
    assert.equal(svc(r, "db.internal").endpoints.length, 2);
  });

  it("selects Pods and WorkloadEntries with workloadSelector", () => {
    const r = build([
      serviceEntry("vm-svc", {
        hosts: ["vm.example"],
        ports: [{ number: 80, name: "http" }],
        workloadSelector: { labels: { app: "vm" } },
      }),
      workloadEntry("vm-1", {
        address: "10.1.0.1",
        labels: { app: "vm" },
        ports: { http: 8080 },
        serviceAccount: "vm-sa",
        network: "edge",
      }),
      pod("vm-pod", { ip: "10.0.0.9", labels: { app: "vm" } }),
    ]);
    assert.deepEqual(svc(r, "vm.example").endpoints, [
      "Kubernetes//Pod/default/vm-pod",
      "Kubernetes/networking.istio.io/WorkloadEntry/default/vm-1",
    ]);
    const vm = wl(r, "vm-1");
    assert.deepEqual(vm.services, { "default/vm.example": [{ servicePort: 80, targetPort: 8080 }] });
    assert.deepEqual(
      [vm.kind, vm.network, vm.serviceAccount, vm.addresses, vm.node, vm.healthy],
      ["WorkloadEntry", "edge", "vm-sa", ["10.1.0.1"], "", true],
    );
    assert.deepEqual(wl(r, "vm-pod").services, {
      "default/vm.example": [{ servicePort: 80, targetPort: 80 }],
    });
  });

  it("lets a Kubernetes Service select WorkloadEntries (named targetPort from the entry's ports)", () => {
    const r = build([
      service("legacy", {
        selector: { app: "legacy" },
        ports: [
          { name: "http", port: 80, targetPort: "web" },
          { name: "x", port: 81, targetPort: "missing" },
        ],
      }),
      workloadEntry("vm", { address: "10.1.0.2", ports: { web: 8000 } }, { labels: { app: "legacy" } }),
    ]);
    assert.deepEqual(wl(r, "vm").services, {
      "default/legacy.default.svc.cluster.local": [{ servicePort: 80, targetPort: 8000 }],
    });
  });

  it("merges WorkloadEntry labels, metadata winning over spec", () => {
    const r = build([
      workloadEntry(
        "vm",
        { address: "10.1.0.3", labels: { app: "spec", tier: "a" } },
        { labels: { app: "meta" } },
      ),
    ]);
    assert.deepEqual(wl(r, "vm").labels, { app: "meta", tier: "a" });
    assert.equal(wl(r, "vm").canonicalName, "meta");
  });

  const warned: { name: string; doc: Resource; warning: RegExp; services: number; workloads: number }[] = [
    {
      name: "a multi-address CIDR drops the entry's services (as Istio)",
      doc: serviceEntry("wide", {
        hosts: ["a.b"],
        addresses: ["10.0.0.0/24"],
        ports: [{ number: 80, name: "h" }],
        endpoints: [{ address: "1.1.1.1" }],
      }),
      warning: /address "10\.0\.0\.0\/24" is not an IP or a single-address CIDR/,
      services: 0,
      workloads: 1,
    },
    {
      name: "a DNS-named endpoint is left out",
      doc: serviceEntry("dns", {
        hosts: ["a.b"],
        ports: [{ number: 80, name: "h" }],
        resolution: "DNS",
        endpoints: [{ address: "backend.example.com" }],
      }),
      warning: /endpoints\[0\]: address "backend\.example\.com" is not an IP/,
      services: 1,
      workloads: 0,
    },
    {
      name: "DNS resolution without endpoints is reported",
      doc: serviceEntry("dns", { hosts: ["a.b"], ports: [{ number: 80, name: "h" }], resolution: "DNS" }),
      warning: /resolution DNS without endpoints/,
      services: 1,
      workloads: 0,
    },
    {
      name: "a WorkloadEntry with a hostname is left out",
      doc: workloadEntry("vm", { address: "vm.example.com" }),
      warning: /WorkloadEntry default\/vm: address "vm\.example\.com" is not an IP/,
      services: 0,
      workloads: 0,
    },
  ];
  for (const c of warned) {
    it(c.name, () => {
      const r = build([c.doc]);
      assert.ok(
        r.warnings.some((w) => c.warning.test(w)),
        r.warnings.join("\n"),
      );
      assert.equal(r.services.length, c.services);
      assert.equal(r.workloads.length, c.workloads);
    });
  }

  it("uses auto-allocated addresses from status when the entry has none", () => {
    const se = serviceEntry("auto", {
      hosts: ["x.example", "*.wild"],
      ports: [{ number: 80, name: "h" }],
      resolution: "DNS",
      endpoints: [{ address: "1.2.3.4" }],
    });
    se["status"] = {
      addresses: [
        { host: "x.example", value: "240.240.0.3" },
        { host: "*.wild", value: "240.240.0.4" },
      ],
    };
    const r = build([se]);
    assert.deepEqual(svc(r, "x.example").addresses, ["240.240.0.3"]);
    assert.deepEqual(svc(r, "*.wild").addresses, [], "wildcard hosts are never auto-allocated");
  });

  it("keeps the first definition of a host and warns about the rest", () => {
    const r = build([
      serviceEntry("a", { hosts: ["dup.example"] }),
      serviceEntry("b", { hosts: ["dup.example"] }),
    ]);
    assert.deepEqual(
      r.services.map((s) => s.name),
      ["a"],
    );
    assert.match(r.warnings.join("\n"), /ServiceEntry default\/b: host dup\.example is already defined/);
  });
});
