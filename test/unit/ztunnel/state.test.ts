/** The node proxy's indexed store: lookups, index consistency on updates, caches, xDS sync. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Resource } from "../../../src/api/resource.js";
import {
  ADDRESS_TYPE_URL,
  AUTHORIZATION_TYPE_URL,
  CONFIG_TYPE_URL,
  XdsSubscription,
  decodeAddress,
  decodeAuthorization,
  decodeConfig,
  encodeAuthorization,
  encodeConfig,
  encodeService,
  encodeWorkload,
  type AddressResource,
  type XdsConfigDocument,
} from "../../../src/xds/index.js";
import type { Authorization } from "../../../src/model/authorization.js";
import { ProxyState, type ProxyStateChange } from "../../../src/ztunnel/state.js";
import { authorization, service, stateWith, workload } from "./fixtures.js";

const names = (ws: { name: string }[] | undefined) => (ws ?? []).map((w) => w.name).sort();

function peerAuthn(ns: string, name: string, mode: string): Resource {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name, namespace: ns },
    spec: { mtls: { mode } },
  };
}

describe("ProxyState lookups and index consistency", () => {
  it("finds workloads by IP, uid and node", () => {
    const a = workload("a", { ip: "10.0.0.1", node: "n1" });
    const b = workload("b", { ip: ["10.0.0.2", "fd00::2"], node: "n2" });
    const s = stateWith({ workloads: [a, b] });
    assert.equal(s.workloadByIp("10.0.0.1"), a);
    assert.equal(s.workloadByIp("fd00::2"), b);
    assert.equal(s.workloadByUid(b.uid), b);
    assert.deepEqual(names(s.workloadsOnNode("n1")), ["a"]);
    assert.deepEqual(names(s.workloadsOnNode("n3")), []);
    assert.deepEqual(names(s.workloads()), ["a", "b"]);
  });

  it("compares addresses in canonical form (IPv6 spelling, IPv4-mapped)", () => {
    const a = workload("a", { ip: ["10.0.0.1", "FD00:0:0::0001"] });
    const s = stateWith({ workloads: [a] });
    assert.equal(s.workloadByIp("fd00::1"), a);
    assert.equal(s.workloadByIp("::ffff:10.0.0.1"), a);
  });

  it("an update drops the IPs and node the workload no longer has", () => {
    const s = stateWith({ workloads: [workload("a", { ip: "10.0.0.1", node: "n1" })] });
    const moved = workload("a", { ip: "10.0.0.9", node: "n2" });
    s.upsertWorkload(moved);
    assert.equal(s.workloadByIp("10.0.0.1"), undefined);
    assert.equal(s.workloadByIp("10.0.0.9"), moved);
    assert.deepEqual(names(s.workloadsOnNode("n1")), []);
    assert.deepEqual(names(s.workloadsOnNode("n2")), ["a"]);
  });

  it("an IP moving between workloads resolves to the newest owner, then back", () => {
    const old = workload("old", { ip: "10.0.0.5" });
    const fresh = workload("fresh", { ip: "10.0.0.5" });
    const s = stateWith({ workloads: [old, fresh] });
    assert.equal(s.workloadByIp("10.0.0.5"), fresh);
    s.removeWorkload(old.uid);
    assert.equal(s.workloadByIp("10.0.0.5"), fresh, "removing the old owner keeps the new one");
    s.upsertWorkload(old);
    s.removeWorkload(old.uid);
    assert.equal(s.workloadByIp("10.0.0.5"), fresh);
    s.removeWorkload(fresh.uid);
    assert.equal(s.workloadByIp("10.0.0.5"), undefined);
    assert.equal(s.workloadByUid(fresh.uid), undefined);
  });

  it("services by VIP and key; a VIP change drops the old VIP", () => {
    const svc = service("web", { vip: "10.96.0.10" });
    const s = stateWith({ services: [svc] });
    assert.equal(s.serviceByVip("10.96.0.10"), svc);
    assert.equal(s.serviceByKey("default/web.default.svc.cluster.local"), svc);
    const changed = service("web", { vip: ["10.96.0.11", "fd00:96::11"] });
    s.upsertService(changed);
    assert.equal(s.serviceByVip("10.96.0.10"), undefined);
    assert.equal(s.serviceByVip("10.96.0.11"), changed);
    assert.equal(s.serviceByVip("fd00:96:0::11"), changed);
    s.removeService("default/web.default.svc.cluster.local");
    assert.equal(s.serviceByVip("10.96.0.11"), undefined);
    assert.deepEqual(s.services(), []);
  });

  it("a service's endpoints are the workloads that name it, whichever arrives first", () => {
    const key = "default/web.default.svc.cluster.local";
    const member = (name: string, ip: string) =>
      workload(name, { ip, services: { [key]: [{ servicePort: 80, targetPort: 8080 }] } });
    const a = member("a", "10.0.0.1");
    const s = stateWith({ workloads: [a] });
    // The workload came first: the service finds it when it arrives.
    assert.deepEqual([...s.endpointsOf(key)], [a.uid]);
    s.upsertService(service("web", { vip: "10.96.0.10" }));
    const b = member("b", "10.0.0.2");
    s.upsertWorkload(b);
    assert.deepEqual(s.servicesWithEndpoints()[0]?.endpoints, [a.uid, b.uid]);
    // An update that leaves the service, and a removal, take the workload out.
    s.upsertWorkload(workload("a", { ip: "10.0.0.1" }));
    assert.deepEqual([...s.endpointsOf(key)], [b.uid]);
    s.removeWorkload(b.uid);
    assert.deepEqual([...s.endpointsOf(key)], []);
    assert.deepEqual(s.servicesWithEndpoints()[0]?.endpoints, []);
  });

  it("removing what is not there changes nothing", () => {
    const s = new ProxyState();
    const seen: ProxyStateChange[] = [];
    s.on("change", (c) => seen.push(c));
    s.removeWorkload("nope");
    s.removeService("nope");
    s.removeAuthorization("nope");
    s.removeConfig("nope");
    assert.deepEqual(seen, []);
    assert.equal(s.version, 0);
  });

  it("reports each write as a change and bumps the version", () => {
    const s = new ProxyState();
    const seen: ProxyStateChange[] = [];
    s.on("change", (c) => seen.push(c));
    const a = workload("a", { ip: "10.0.0.1" });
    s.upsertWorkload(a);
    s.upsertAuthorization(authorization("default/p"));
    s.removeWorkload(a.uid);
    assert.deepEqual(seen, [
      { kind: "workload", key: a.uid, removed: false },
      { kind: "authorization", key: "default/p", removed: false },
      { kind: "workload", key: a.uid, removed: true },
    ]);
    assert.equal(s.version, 3);
  });

  it("root namespace defaults to istio-system and can be set", () => {
    assert.equal(new ProxyState().rootNamespace, "istio-system");
    assert.equal(new ProxyState({ rootNamespace: "mesh" }).rootNamespace, "mesh");
  });
});

describe("ProxyState policies and config", () => {
  it("policiesFor: compiled, cached, and rebuilt when policies or the workload change", () => {
    const w = workload("a", { ip: "10.0.0.1", policies: ["default/sel"] });
    const s = stateWith({
      workloads: [w],
      authorizations: [
        authorization("default/ns"),
        authorization("istio-system/mesh", { scope: "GLOBAL" }),
        authorization("default/sel", { scope: "WORKLOAD_SELECTOR" }),
        authorization("other/ns"),
      ],
    });
    const first = s.policiesFor(w);
    assert.deepEqual(
      first.map((p) => p.key),
      ["default/ns", "istio-system/mesh", "default/sel"],
    );
    assert.equal(s.policiesFor(w), first, "cached");
    s.upsertAuthorization(authorization("default/ns2"));
    const second = s.policiesFor(w);
    assert.notEqual(second, first);
    assert.deepEqual(
      second.map((p) => p.key),
      ["default/ns", "default/ns2", "istio-system/mesh", "default/sel"],
    );
    const relabelled = workload("a", { ip: "10.0.0.1", policies: [] });
    s.upsertWorkload(relabelled);
    assert.deepEqual(
      s.policiesFor(relabelled).map((p) => p.key),
      ["default/ns", "default/ns2", "istio-system/mesh"],
    );
    s.removeAuthorization("default/ns");
    assert.deepEqual(
      s.policiesFor(relabelled).map((p) => p.key),
      ["default/ns2", "istio-system/mesh"],
    );
    assert.equal(s.authorizations().length, 4);
  });

  it("an Authorization update is recompiled", () => {
    const w = workload("a", { ip: "10.0.0.1" });
    const s = stateWith({ workloads: [w], authorizations: [authorization("default/p")] });
    const conn = { sourceIp: "10.0.0.2", destinationIp: "10.0.0.1", destinationPort: 80 };
    assert.equal(s.policiesFor(w)[0]?.matches(conn), false);
    s.upsertAuthorization(authorization("default/p", { rules: [{ clauses: [] }] }));
    assert.equal(s.policiesFor(w)[0]?.matches(conn), true);
  });

  it("keeps config documents and lists the PeerAuthentications among them", () => {
    const s = new ProxyState();
    const pa = peerAuthn("shop", "default", "STRICT");
    const other: Resource = {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "dr", namespace: "shop" },
    };
    s.upsertConfig(pa);
    s.upsertConfig(other);
    assert.deepEqual(s.peerAuthentications(), [pa]);
    assert.equal(s.configDocuments().length, 2);
    s.removeConfig("security.istio.io/PeerAuthentication/shop/default");
    assert.deepEqual(s.peerAuthentications(), []);
  });
});

describe("ProxyState.attach follows xDS subscriptions", () => {
  const wire = (name: string, typeUrl: string, value: Uint8Array, version = "1") => ({
    name,
    version,
    typeUrl,
    value,
  });
  const respond = <T>(
    sub: XdsSubscription<T>,
    resources: ReturnType<typeof wire>[],
    removed: string[] = [],
  ) => sub.apply({ systemVersionInfo: "v", typeUrl: sub.typeUrl, nonce: "n", resources, removed });

  function subscriptions() {
    return {
      addresses: new XdsSubscription<AddressResource>(ADDRESS_TYPE_URL, decodeAddress, undefined),
      authorizations: new XdsSubscription<Authorization>(
        AUTHORIZATION_TYPE_URL,
        decodeAuthorization,
        undefined,
      ),
      config: new XdsSubscription<XdsConfigDocument>(CONFIG_TYPE_URL, decodeConfig, undefined),
    };
  }

  it("loads what the subscriptions already hold, then applies changes and removals", () => {
    const subs = subscriptions();
    const a = workload("a", { ip: "10.0.0.1" });
    const svc = service("web", { vip: "10.96.0.10", endpoints: [a] });
    assert.equal(respond(subs.addresses, [wire(a.uid, ADDRESS_TYPE_URL, encodeWorkload(a))]), undefined);

    const s = new ProxyState();
    const detach = s.attach(subs);
    assert.equal(s.workloadByIp("10.0.0.1")?.uid, a.uid);

    respond(subs.addresses, [
      wire("default/web.default.svc.cluster.local", ADDRESS_TYPE_URL, encodeService(svc)),
    ]);
    assert.equal(s.serviceByVip("10.96.0.10")?.name, "web");

    const moved = workload("a", { ip: "10.0.0.7" });
    respond(subs.addresses, [wire(a.uid, ADDRESS_TYPE_URL, encodeWorkload(moved), "2")]);
    assert.equal(s.workloadByIp("10.0.0.1"), undefined);
    assert.equal(s.workloadByIp("10.0.0.7")?.uid, a.uid);

    const pol = authorization("default/p", { rules: [{ clauses: [] }] });
    respond(subs.authorizations, [wire("default/p", AUTHORIZATION_TYPE_URL, encodeAuthorization(pol))]);
    assert.deepEqual(
      s.authorizations().map((x) => x.name),
      ["p"],
    );

    const pa = peerAuthn("default", "strict", "STRICT");
    const paName = "security.istio.io/PeerAuthentication/default/strict";
    respond(subs.config, [
      wire(paName, CONFIG_TYPE_URL, encodeConfig({ document: pa, resourceVersion: "3" })),
    ]);
    assert.equal(s.peerAuthentications().length, 1);

    respond(subs.addresses, [], [a.uid, "default/web.default.svc.cluster.local"]);
    respond(subs.authorizations, [], ["default/p"]);
    respond(subs.config, [], [paName]);
    assert.deepEqual(s.workloads(), []);
    assert.deepEqual(s.services(), []);
    assert.deepEqual(s.authorizations(), []);
    assert.deepEqual(s.peerAuthentications(), []);

    detach();
    respond(subs.addresses, [wire(a.uid, ADDRESS_TYPE_URL, encodeWorkload(a), "3")]);
    assert.deepEqual(s.workloads(), [], "detached: no longer follows");
  });

  it("a resource that fails to decode leaves the state as it was", () => {
    const subs = subscriptions();
    const s = new ProxyState();
    s.attach(subs);
    const nack = respond(subs.addresses, [wire("bad", ADDRESS_TYPE_URL, Uint8Array.from([0xff, 0xff]))]);
    assert.ok(nack, "NACKed");
    assert.deepEqual(s.workloads(), []);
  });
});
