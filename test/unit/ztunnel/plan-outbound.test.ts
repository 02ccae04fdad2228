/** planOutbound: where a captured outbound connection goes (no sockets). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planOutbound, type OutboundPlan } from "../../../src/ztunnel/plan-outbound.js";
import { db, dual, httpbin1, httpbin2, services, sleep, topology } from "./topology.js";

const state = topology();
const req = (destinationIp: string, destinationPort: number, sourceIp = "10.0.0.10", node = "node-a") => ({
  node,
  sourceIp,
  destinationIp,
  destinationPort,
});

/** A readable digest of a plan: what a user would check. */
function digest(p: OutboundPlan): Record<string, unknown> {
  switch (p.kind) {
    case "reject":
      return { kind: p.kind, code: p.code };
    case "passthrough":
      return {
        kind: p.kind,
        target: `${p.target.ip}:${p.target.port}`,
        service: p.service?.name,
        source: p.source?.name,
      };
    case "hbone":
      return {
        kind: p.kind,
        destination: p.destination.name,
        target: `${p.target.ip}:${p.target.port}`,
        hbone: `${p.hbone.ip}:${p.hbone.port}`,
        authority: p.authority,
        service: p.service?.name,
        identity: p.destinationIdentity,
      };
  }
}

describe("planOutbound", () => {
  const rows: {
    name: string;
    req: ReturnType<typeof req>;
    pick?: number;
    hbonePort?: number;
    want: Record<string, unknown>;
  }[] = [
    {
      name: "unknown source is refused",
      req: req("10.96.0.20", 80, "10.9.9.9"),
      want: { kind: "reject", code: "UNKNOWN_SOURCE" },
    },
    {
      name: "a source on another node is refused",
      req: req("10.96.0.20", 80, "10.0.1.20"),
      want: { kind: "reject", code: "SOURCE_NOT_ON_NODE" },
    },
    {
      name: "a source that is not enrolled is refused",
      req: req("10.96.0.20", 80, "10.0.0.11"),
      want: { kind: "reject", code: "SOURCE_NOT_ENROLLED" },
    },
    {
      name: "service VIP: first endpoint, target port from the service",
      req: req("10.96.0.20", 80),
      pick: 0,
      want: {
        kind: "hbone",
        destination: "httpbin-1",
        target: "10.0.0.20:8080",
        hbone: "10.0.0.20:15008",
        authority: "10.0.0.20:8080",
        service: "httpbin",
        identity: "spiffe://cluster.local/ns/default/sa/httpbin",
      },
    },
    {
      name: "service VIP: the workload's own port mapping wins over targetPort",
      req: req("10.96.0.20", 80),
      pick: 1,
      want: {
        kind: "hbone",
        destination: "httpbin-2",
        target: "10.0.1.20:8081",
        hbone: "10.0.1.20:15008",
        authority: "10.0.1.20:8081",
        service: "httpbin",
        identity: httpbin2.identity,
      },
    },
    {
      name: "service VIP with a port it does not expose is refused",
      req: req("10.96.0.20", 81),
      want: { kind: "reject", code: "SERVICE_PORT_UNKNOWN" },
    },
    {
      name: "service without endpoints is refused",
      req: req("10.96.0.22", 80),
      want: { kind: "reject", code: "NO_HEALTHY_ENDPOINTS" },
    },
    {
      name: "named targetPort: only endpoints that have it",
      req: req("10.96.0.21", 80),
      pick: 0,
      want: {
        kind: "hbone",
        destination: "httpbin-1",
        target: "10.0.0.20:9080",
        hbone: "10.0.0.20:15008",
        authority: "10.0.0.20:9080",
        service: "named",
        identity: httpbin1.identity,
      },
    },
    {
      name: "targetPort 0 means the service port",
      req: req("10.96.0.23", 8000),
      want: {
        kind: "hbone",
        destination: "httpbin-2",
        target: "10.0.1.20:8000",
        hbone: "10.0.1.20:15008",
        authority: "10.0.1.20:8000",
        service: "same",
        identity: httpbin2.identity,
      },
    },
    {
      name: "pod IP: that workload on the port asked for",
      req: req("10.0.1.20", 8080),
      want: {
        kind: "hbone",
        destination: "httpbin-2",
        target: "10.0.1.20:8080",
        hbone: "10.0.1.20:15008",
        authority: "10.0.1.20:8080",
        service: undefined,
        identity: httpbin2.identity,
      },
    },
    {
      name: "same-node pod IP is tunnelled too",
      req: req("10.0.0.20", 8080),
      want: {
        kind: "hbone",
        destination: "httpbin-1",
        target: "10.0.0.20:8080",
        hbone: "10.0.0.20:15008",
        authority: "10.0.0.20:8080",
        service: undefined,
        identity: httpbin1.identity,
      },
    },
    {
      name: "pod IP of a workload outside the mesh: passthrough",
      req: req("10.0.1.30", 5432),
      want: { kind: "passthrough", target: "10.0.1.30:5432", service: undefined, source: "sleep" },
    },
    {
      name: "service whose endpoint is outside the mesh: passthrough to the endpoint",
      req: req("10.96.0.30", 5432),
      want: { kind: "passthrough", target: "10.0.1.30:5432", service: "db", source: "sleep" },
    },
    {
      name: "address unknown to the mesh: passthrough to it",
      req: req("1.1.1.1", 443),
      want: { kind: "passthrough", target: "1.1.1.1:443", service: undefined, source: "sleep" },
    },
    {
      name: "custom HBONE port",
      req: req("10.0.1.20", 8080),
      hbonePort: 15009,
      want: {
        kind: "hbone",
        destination: "httpbin-2",
        target: "10.0.1.20:8080",
        hbone: "10.0.1.20:15009",
        authority: "10.0.1.20:8080",
        service: undefined,
        identity: httpbin2.identity,
      },
    },
    {
      name: "IPv6 VIP picks the endpoint's IPv6 address; authority is bracketed",
      req: req("fd00:96::20", 80),
      want: {
        kind: "hbone",
        destination: "dual",
        target: "fd00::2:5:8080",
        hbone: "fd00::2:5:15008",
        authority: "[fd00::2:5]:8080",
        service: "dual",
        identity: dual.identity,
      },
    },
    {
      name: "IPv4 VIP of a dual-stack service picks the IPv4 address",
      req: req("10.96.0.40", 80),
      want: {
        kind: "hbone",
        destination: "dual",
        target: "10.0.2.5:8080",
        hbone: "10.0.2.5:15008",
        authority: "10.0.2.5:8080",
        service: "dual",
        identity: dual.identity,
      },
    },
    {
      name: "IPv6 pod IP written long-hand",
      req: req("fd00:0:0:0:0:0:2:5", 9000),
      want: {
        kind: "hbone",
        destination: "dual",
        target: "fd00::2:5:9000",
        hbone: "fd00::2:5:15008",
        authority: "[fd00::2:5]:9000",
        service: undefined,
        identity: dual.identity,
      },
    },
    {
      name: "an IPv4-mapped source address is the IPv4 source",
      req: req("10.0.1.20", 8080, "::ffff:10.0.0.10"),
      want: {
        kind: "hbone",
        destination: "httpbin-2",
        target: "10.0.1.20:8080",
        hbone: "10.0.1.20:15008",
        authority: "10.0.1.20:8080",
        service: undefined,
        identity: httpbin2.identity,
      },
    },
    {
      name: "a pick out of range falls back to the first candidate",
      req: req("10.96.0.20", 80),
      pick: 7,
      want: {
        kind: "hbone",
        destination: "httpbin-1",
        target: "10.0.0.20:8080",
        hbone: "10.0.0.20:15008",
        authority: "10.0.0.20:8080",
        service: "httpbin",
        identity: httpbin1.identity,
      },
    },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const plan = planOutbound(state, r.req, {
        ...(r.pick !== undefined ? { pick: () => r.pick! } : {}),
        ...(r.hbonePort !== undefined ? { hbonePort: r.hbonePort } : {}),
      });
      assert.deepEqual(digest(plan), r.want);
    });
  }

  it("only healthy endpoints with an address are offered to pick", () => {
    const offered: number[] = [];
    planOutbound(state, req("10.96.0.20", 80), { pick: (n) => (offered.push(n), 0) });
    assert.deepEqual(offered, [2], "httpbin-1 and httpbin-2; not the unhealthy httpbin-3 nor noip");
  });

  it("the default choice spreads over the endpoints", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200 && seen.size < 2; i++) {
      const p = planOutbound(state, req("10.96.0.20", 80));
      if (p.kind === "hbone") seen.add(p.destination.name);
    }
    assert.deepEqual([...seen].sort(), ["httpbin-1", "httpbin-2"]);
  });

  it("refusals explain themselves", () => {
    const p = planOutbound(state, req("10.96.0.22", 80));
    assert.equal(
      p.kind === "reject" && p.reason,
      "no healthy endpoints for empty.default.svc.cluster.local:80",
    );
    const q = planOutbound(state, req("10.96.0.20", 81));
    assert.match(
      q.kind === "reject" ? q.reason : "",
      /httpbin\.default\.svc\.cluster\.local \(10\.96\.0\.20\) has no port 81 \(ports: 80\)/,
    );
  });

  it("the hbone plan carries the source and service objects", () => {
    const p = planOutbound(state, req("10.96.0.20", 80), { pick: () => 0 });
    assert.ok(p.kind === "hbone");
    assert.equal(p.source, state.workloadByUid(sleep.uid));
    assert.equal(p.service, state.serviceByVip("10.96.0.20"));
  });

  it("waypoint seam: a declared waypoint is reported, not yet used", () => {
    const p = planOutbound(state, req("10.96.0.50", 80));
    assert.ok(p.kind === "hbone");
    assert.equal(p.waypoint?.gateway, services.waypointed.waypoint?.gateway);
    assert.equal(p.destination.name, "httpbin-2", "still straight to the destination");
    const direct = planOutbound(state, req("10.0.1.30", 5432));
    assert.ok(direct.kind === "passthrough" && direct.waypoint === undefined && db.waypoint === undefined);
  });
});
