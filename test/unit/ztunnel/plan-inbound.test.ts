/** planInboundHbone / planInboundPlaintext: what the destination node proxy does (no sockets). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Resource } from "../../../src/api/resource.js";
import { l4Match, type Authorization, type L4Match } from "../../../src/model/authorization.js";
import {
  parseAuthority,
  planInboundHbone,
  planInboundPlaintext,
  type InboundHboneRequest,
  type InboundPlan,
} from "../../../src/ztunnel/plan-inbound.js";
import { authorization } from "./fixtures.js";
import { dual, httpbin2, legacy, rogue, sleep, topology } from "./topology.js";

const m = l4Match;
const policy = (key: string, action: Authorization["action"], match: L4Match): Authorization =>
  authorization(key, { action, rules: [{ clauses: [{ matches: [match] }] }] });

const allowSleep = policy(
  "default/allow-sleep",
  "ALLOW",
  m({ principals: [{ kind: "exact", value: "cluster.local/ns/default/sa/sleep" }] }),
);
const allowSleepIp = policy("default/allow-ip", "ALLOW", m({ sourceIps: [{ cidr: "10.0.0.10/32" }] }));
const denyRogue = policy(
  "default/deny-rogue",
  "DENY",
  m({ namespaces: [{ kind: "exact", value: "rogue" }] }),
);
const requireMtls = policy(
  "default/require-mtls",
  "DENY",
  m({ notPrincipals: [{ kind: "presence", value: "" }] }),
);

const NODE_B_IP = "192.168.0.2";
const hbone = (o: Partial<InboundHboneRequest> = {}): InboundHboneRequest => ({
  node: "node-b",
  authority: "10.0.1.20:8080",
  peerIdentity: sleep.identity,
  peerAddress: "192.168.0.1",
  ...o,
});

function digest(p: InboundPlan): Record<string, unknown> {
  if (p.kind === "reject") return { kind: p.kind, status: p.status, code: p.code };
  return {
    kind: p.kind,
    target: `${p.target.ip}:${p.target.port}`,
    destination: p.destination.name,
    source: p.source?.name,
    sourceIp: p.sourceIp,
    from: p.sourceIpFrom,
    mtls: p.mtls,
    allowedBy: p.decision.decidedBy?.policy,
  };
}

describe("parseAuthority", () => {
  const rows: [string, string | undefined][] = [
    ["10.0.1.20:8080", "10.0.1.20:8080"],
    ["[fd00::2:5]:80", "fd00::2:5:80"],
    ["[FD00:0::2:5]:80", "fd00::2:5:80"],
    ["10.0.1.20", undefined],
    ["fd00::2:5:80", undefined],
    ["[10.0.1.20]:80", undefined],
    ["10.0.1.20:0", undefined],
    ["10.0.1.20:65536", undefined],
    ["httpbin.default.svc.cluster.local:80", undefined],
    ["010.0.1.20:80", undefined],
    ["", undefined],
  ];
  for (const [text, want] of rows) {
    it(`"${text}"`, () => {
      const got = parseAuthority(text);
      assert.equal(got ? `${got.ip}:${got.port}` : undefined, want);
    });
  }
});

/** A plan that delivers to httpbin-2 from the peer's own address over mTLS, with `over` changed. */
const delivered = (over: Record<string, unknown> = {}) => ({
  kind: "deliver",
  target: "10.0.1.20:8080",
  destination: "httpbin-2",
  source: undefined,
  sourceIp: "192.168.0.1",
  from: "peer",
  mtls: "mutual_tls",
  allowedBy: undefined,
  ...over,
});

describe("planInboundHbone", () => {
  const state = topology({ authorizations: [] });
  const rows: { name: string; req: InboundHboneRequest; want: Record<string, unknown> }[] = [
    {
      name: "authority that is not ip:port",
      req: hbone({ authority: "httpbin:80" }),
      want: { kind: "reject", status: 400, code: "BAD_AUTHORITY" },
    },
    {
      name: "authority without a port",
      req: hbone({ authority: "10.0.1.20" }),
      want: { kind: "reject", status: 400, code: "BAD_AUTHORITY" },
    },
    {
      name: "no peer identity",
      req: hbone({ peerIdentity: "" }),
      want: { kind: "reject", status: 401, code: "NO_PEER_IDENTITY" },
    },
    {
      name: "unknown address: never an open proxy",
      req: hbone({ authority: "8.8.8.8:53" }),
      want: { kind: "reject", status: 400, code: "NOT_LOCAL_DESTINATION" },
    },
    {
      name: "a workload on another node: refused",
      req: hbone({ authority: "10.0.0.20:8080" }),
      want: { kind: "reject", status: 400, code: "NOT_LOCAL_DESTINATION" },
    },
    {
      name: "a local workload outside the mesh: refused",
      req: hbone({ authority: "10.0.1.30:5432" }),
      want: { kind: "reject", status: 400, code: "NOT_LOCAL_DESTINATION" },
    },
    {
      name: "a service VIP is not a workload: refused",
      req: hbone({ authority: "10.96.0.20:80" }),
      want: { kind: "reject", status: 400, code: "NOT_LOCAL_DESTINATION" },
    },
    {
      name: "tunnel dialled on another address than the authority",
      req: hbone({ outerDestinationIp: "10.0.2.5" }),
      want: { kind: "reject", status: 400, code: "DESTINATION_MISMATCH" },
    },
    {
      name: "no claim: the source is the peer address",
      req: hbone(),
      want: delivered(),
    },
    {
      name: "a claim matching the peer identity is the source",
      req: hbone({ claimedSourceIp: "10.0.0.10", outerDestinationIp: "10.0.1.20" }),
      want: delivered({ source: "sleep", sourceIp: "10.0.0.10", from: "forwarded" }),
    },
    {
      name: "a claim of another identity's IP is ignored",
      req: hbone({ claimedSourceIp: "10.0.0.10", peerIdentity: rogue.identity }),
      want: delivered(),
    },
    {
      name: "a claim of a workload outside the mesh is ignored, even with the peer's identity",
      req: hbone({ claimedSourceIp: "10.0.0.11", peerIdentity: legacy.identity }),
      want: delivered(),
    },
    {
      name: "a claim of an unknown IP is ignored",
      req: hbone({ claimedSourceIp: "10.9.9.9" }),
      want: delivered(),
    },
    {
      name: "the peer address itself identifies the source when its identity matches",
      req: hbone({ peerAddress: "::ffff:10.0.0.10" }),
      want: delivered({ source: "sleep", sourceIp: "10.0.0.10" }),
    },
    {
      name: "IPv6 authority",
      req: hbone({
        authority: "[fd00::2:5]:9000",
        peerIdentity: sleep.identity,
        outerDestinationIp: "fd00:0::2:5",
      }),
      want: delivered({ target: "fd00::2:5:9000", destination: "dual" }),
    },
  ];
  for (const r of rows) it(r.name, () => assert.deepEqual(digest(planInboundHbone(state, r.req)), r.want));

  it("refusals name the destination and explain", () => {
    const p = planInboundHbone(state, hbone({ authority: "10.0.0.20:8080" }));
    assert.ok(p.kind === "reject");
    assert.equal(p.destination?.name, "httpbin-1");
    assert.match(
      p.reason,
      /on node "node-a", not "node-b"; this node proxy only delivers to enrolled workloads on its own node/,
    );
  });

  describe("with L4 policies", () => {
    const policed = topology({ authorizations: [allowSleep, denyRogue] });
    const rows2: { name: string; req: InboundHboneRequest; want: Record<string, unknown> }[] = [
      {
        name: "the allowed identity is delivered; the plan says which policy allowed it",
        req: hbone({ claimedSourceIp: "10.0.0.10" }),
        want: {
          kind: "deliver",
          target: "10.0.1.20:8080",
          destination: "httpbin-2",
          source: "sleep",
          sourceIp: "10.0.0.10",
          from: "forwarded",
          mtls: "mutual_tls",
          allowedBy: "default/allow-sleep",
        },
      },
      {
        name: "a denied identity gets 403",
        req: hbone({ peerIdentity: rogue.identity, claimedSourceIp: "10.0.1.40" }),
        want: { kind: "reject", status: 403, code: "POLICY_DENIED" },
      },
      {
        name: "an identity no ALLOW matches gets 403",
        req: hbone({ peerIdentity: httpbin2.identity }),
        want: { kind: "reject", status: 403, code: "POLICY_DENIED" },
      },
    ];
    for (const r of rows2)
      it(r.name, () => assert.deepEqual(digest(planInboundHbone(policed, r.req)), r.want));

    it("a denial carries the decision, the policy name and the workloads", () => {
      const p = planInboundHbone(
        policed,
        hbone({ peerIdentity: rogue.identity, claimedSourceIp: "10.0.1.40" }),
      );
      assert.ok(p.kind === "reject");
      assert.equal(p.decision?.decidedBy?.policy, "default/deny-rogue");
      assert.match(p.reason, /denied by DENY policy default\/deny-rogue/);
      assert.equal(p.destination?.name, "httpbin-2");
      assert.equal(p.source?.name, "rogue");
    });

    it("ipBlocks see the verified claimed source, never a forged one", () => {
      const s = topology({ authorizations: [allowSleepIp] });
      assert.equal(planInboundHbone(s, hbone({ claimedSourceIp: "10.0.0.10" })).kind, "deliver");
      const forged = planInboundHbone(
        s,
        hbone({ claimedSourceIp: "10.0.0.10", peerIdentity: rogue.identity }),
      );
      assert.deepEqual(digest(forged), { kind: "reject", status: 403, code: "POLICY_DENIED" });
    });

    it("policies are those of the destination workload", () => {
      const other = policy("rogue/allow-none", "ALLOW", m({ destinationPorts: [1] }));
      const s = topology({ authorizations: [other] });
      assert.equal(
        planInboundHbone(s, hbone()).kind,
        "deliver",
        "a rogue-namespace policy does not apply to default/httpbin-2",
      );
      assert.equal(planInboundHbone(s, hbone({ authority: "10.0.1.40:80" })).kind, "reject");
    });
  });
});

describe("planInboundPlaintext", () => {
  const plain = (
    o: Partial<{ sourceIp: string; destinationIp: string; destinationPort: number; node: string }> = {},
  ) => ({
    node: "node-b",
    sourceIp: "10.0.0.11",
    destinationIp: "10.0.1.20",
    destinationPort: 8080,
    ...o,
  });
  const pa = (ns: string, name: string, spec: Record<string, unknown>): Resource => ({
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name, namespace: ns },
    spec,
  });
  const meshStrict = pa("istio-system", "default", { mtls: { mode: "STRICT" } });
  const portException = pa("default", "httpbin", {
    selector: { matchLabels: { app: "httpbin-2" } },
    mtls: { mode: "STRICT" },
    portLevelMtls: { "8080": { mode: "PERMISSIVE" } },
  });

  const rows: {
    name: string;
    config?: Resource[];
    authz?: Authorization[];
    root?: string;
    req: ReturnType<typeof plain>;
    want: Record<string, unknown>;
  }[] = [
    {
      name: "unknown destination",
      req: plain({ destinationIp: "10.9.9.9" }),
      want: { kind: "reject", status: 400, code: "NOT_LOCAL_DESTINATION" },
    },
    {
      name: "destination on another node",
      req: plain({ destinationIp: "10.0.0.20" }),
      want: { kind: "reject", status: 400, code: "NOT_LOCAL_DESTINATION" },
    },
    {
      name: "destination outside the mesh",
      req: plain({ destinationIp: "10.0.1.30" }),
      want: { kind: "reject", status: 400, code: "NOT_LOCAL_DESTINATION" },
    },
    {
      name: "no PeerAuthentication: PERMISSIVE serves it",
      req: plain(),
      want: delivered({ source: "legacy", sourceIp: "10.0.0.11", mtls: "none" }),
    },
    {
      name: "mesh-wide STRICT refuses it",
      config: [meshStrict],
      req: plain(),
      want: { kind: "reject", status: 401, code: "MTLS_REQUIRED" },
    },
    {
      name: "a port-level PERMISSIVE exception serves that port",
      config: [meshStrict, portException],
      req: plain(),
      want: delivered({ source: "legacy", sourceIp: "10.0.0.11", mtls: "none" }),
    },
    {
      name: "...and not the other ports",
      config: [meshStrict, portException],
      req: plain({ destinationPort: 9090 }),
      want: { kind: "reject", status: 401, code: "MTLS_REQUIRED" },
    },
    {
      name: "PERMISSIVE, but an ALLOW on principals cannot match plaintext",
      authz: [allowSleep],
      req: plain(),
      want: { kind: "reject", status: 403, code: "POLICY_DENIED" },
    },
    {
      name: "PERMISSIVE and an ALLOW on ipBlocks",
      authz: [policy("default/allow-legacy", "ALLOW", m({ sourceIps: [{ cidr: "10.0.0.0/24" }] }))],
      req: plain(),
      want: delivered({
        source: "legacy",
        sourceIp: "10.0.0.11",
        mtls: "none",
        allowedBy: "default/allow-legacy",
      }),
    },
    {
      name: "a DENY on notPrincipals * refuses plaintext",
      authz: [requireMtls],
      req: plain(),
      want: { kind: "reject", status: 403, code: "POLICY_DENIED" },
    },
    {
      name: "the root namespace setting locates mesh-wide policy",
      config: [pa("mesh-root", "default", { mtls: { mode: "STRICT" } })],
      root: "mesh-root",
      req: plain(),
      want: { kind: "reject", status: 401, code: "MTLS_REQUIRED" },
    },
    {
      name: "a source outside any workload is still served, with no source workload",
      req: plain({ sourceIp: NODE_B_IP }),
      want: delivered({ sourceIp: NODE_B_IP, mtls: "none" }),
    },
    {
      name: "IPv6 destination",
      req: plain({ destinationIp: "fd00::2:5", sourceIp: "fd00::9", destinationPort: 80 }),
      want: delivered({ target: "fd00::2:5:80", destination: "dual", sourceIp: "fd00::9", mtls: "none" }),
    },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const s = topology({
        authorizations: r.authz ?? [],
        config: r.config ?? [],
        ...(r.root ? { rootNamespace: r.root } : {}),
      });
      assert.deepEqual(digest(planInboundPlaintext(s, r.req)), r.want);
    });
  }

  it("STRICT refusal names the PeerAuthentication", () => {
    const s = topology({ config: [meshStrict] });
    const p = planInboundPlaintext(s, plain());
    assert.ok(p.kind === "reject");
    assert.match(p.reason, /PeerAuthentication istio-system\/default requires mutual TLS \(STRICT\)/);
    assert.equal(p.destination?.name, "httpbin-2");
    assert.equal(p.source?.name, legacy.name);
  });

  it("a delivered plan reports the mode that admitted it", () => {
    const s = topology({ config: [meshStrict, portException] });
    const p = planInboundPlaintext(s, plain());
    assert.ok(p.kind === "deliver");
    assert.deepEqual(p.peerAuthentication, { mode: "PERMISSIVE", policy: "default/httpbin", level: "port" });
    assert.equal(p.sourceIdentity, undefined);
    assert.equal(dual.tunnelProtocol, "HBONE");
  });
});

describe("planInboundPlaintext through a Service VIP (the node agent redirects it here)", () => {
  it("picks the enrolled endpoint on this node and maps the service port to its target port", () => {
    // httpbin 10.96.0.20:80: on node-b, httpbin-2 (80 -> 8081) is the healthy enrolled endpoint.
    const plan = planInboundPlaintext(topology(), {
      node: "node-b",
      sourceIp: "10.0.0.11",
      destinationIp: "10.96.0.20",
      destinationPort: 80,
    });
    assert.equal(plan.kind, "deliver");
    if (plan.kind !== "deliver") return;
    assert.equal(plan.destination.name, "httpbin-2");
    assert.deepEqual(plan.target, { ip: "10.0.1.20", port: 8081 });
  });

  it("STRICT still refuses it: the VIP is no way around mTLS", () => {
    const strict: Resource = {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: "istio-system" },
      spec: { mtls: { mode: "STRICT" } },
    };
    const plan = planInboundPlaintext(topology({ config: [strict] }), {
      node: "node-b",
      sourceIp: "10.0.0.11",
      destinationIp: "10.96.0.20",
      destinationPort: 80,
    });
    assert.equal(plan.kind, "reject");
    if (plan.kind === "reject") assert.equal(plan.code, "MTLS_REQUIRED");
  });

  it("a VIP with no enrolled endpoint on this node, or a port the service lacks, is refused", () => {
    for (const [ip, port] of [
      ["10.96.0.30", 5432], // db: its endpoint is not enrolled
      ["10.96.0.20", 9999], // no such service port
    ] as const) {
      const plan = planInboundPlaintext(topology(), {
        node: "node-b",
        sourceIp: "10.0.0.11",
        destinationIp: ip,
        destinationPort: port,
      });
      assert.equal(plan.kind, "reject", `${ip}:${port}`);
    }
  });
});
