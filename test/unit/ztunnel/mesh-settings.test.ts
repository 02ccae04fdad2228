/**
 * The root namespace pushed to node proxies: the mesh document on the wire (publish.ts ->
 * convert/mesh.ts -> ConfigResource), the proxy state's fallback and pushed value, and what it
 * changes in an inbound plan (mesh-wide PeerAuthentication).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Resource } from "../../../src/api/resource.js";
import { createLogger } from "../../../src/common/log.js";
import { Deriver } from "../../../src/controlplane/publish.js";
import { emptyAllocations } from "../../../src/controlplane/registry/types.js";
import { ConfigStore } from "../../../src/controlplane/store/store.js";
import { CONFIG_TYPE_URL, decodeConfig, encodeConfig } from "../../../src/xds/index.js";
import { XDS_INVALID_RESOURCE } from "../../../src/xds/convert/invalid.js";
import {
  MESH_CONFIG_RESOURCE_NAME,
  meshConfigDocument,
  meshSettingsOf,
} from "../../../src/xds/convert/mesh.js";
import { planInboundPlaintext } from "../../../src/ztunnel/plan-inbound.js";
import { ProxyState, type ProxyStateChange } from "../../../src/ztunnel/state.js";
import { topology } from "./topology.js";

const strict = (ns: string): Resource => ({
  apiVersion: "security.istio.io/v1",
  kind: "PeerAuthentication",
  metadata: { name: "default", namespace: ns },
  spec: { mtls: { mode: "STRICT" } },
});
const meshDoc = (rootNamespace: string, trustDomain = "cluster.local") =>
  meshConfigDocument({ rootNamespace, trustDomain });

describe("mesh settings on the wire", () => {
  it("round-trips through ConfigResource under a fixed, cluster-scoped name", () => {
    const bytes = encodeConfig({ document: meshDoc("my-root", "example.org"), resourceVersion: "" });
    const back = decodeConfig(bytes);
    assert.equal(MESH_CONFIG_RESOURCE_NAME, "ambit.io/MeshConfig//mesh");
    assert.deepEqual(meshSettingsOf(back.document), { rootNamespace: "my-root", trustDomain: "example.org" });
  });

  for (const [field, value] of [
    ["rootNamespace", "Not_A_Namespace"],
    ["rootNamespace", 7],
    ["trustDomain", "bad domain"],
    ["trustDomain", undefined],
  ] as const) {
    it(`a mesh document with ${field}=${JSON.stringify(value)} is refused (NACK)`, () => {
      const doc = meshDoc("my-root");
      (doc.spec as unknown as Record<string, unknown>)[field] = value;
      assert.throws(
        () => decodeConfig(encodeConfig({ document: doc, resourceVersion: "" })),
        (e: Error & { code?: string }) => e.code === XDS_INVALID_RESOURCE && e.message.includes(field),
      );
    });
  }
});

describe("control plane publishes the mesh settings", () => {
  const log = createLogger("test");
  const meshBytes = (d: ReturnType<Deriver["update"]>) =>
    d.resources.get(CONFIG_TYPE_URL)?.get(MESH_CONFIG_RESOURCE_NAME);

  it("sends the mesh document, and a change only when the root namespace or trust domain changes", () => {
    const store = new ConfigStore({ log });
    const deriver = new Deriver();
    const first = deriver.update(store.current(), { rootNamespace: "my-root" }, [], emptyAllocations());
    const bytes = meshBytes(first);
    assert.ok(bytes, "published");
    assert.deepEqual(meshSettingsOf(decodeConfig(bytes).document), {
      rootNamespace: "my-root",
      trustDomain: "cluster.local",
    });

    const same = deriver.update(store.current(), { rootNamespace: "my-root" }, [], first.allocations);
    assert.equal(same.changes?.get(CONFIG_TYPE_URL)?.upserts.size, 0);

    const moved = deriver.update(store.current(), { rootNamespace: "other" }, [], first.allocations);
    const upserts = moved.changes?.get(CONFIG_TYPE_URL)?.upserts;
    assert.deepEqual([...(upserts?.keys() ?? [])], [MESH_CONFIG_RESOURCE_NAME]);
    assert.equal(
      meshSettingsOf(decodeConfig(upserts!.get(MESH_CONFIG_RESOURCE_NAME)!).document).rootNamespace,
      "other",
    );
  });

  it("defaults to Istio's root namespace when the mesh config names none", () => {
    const d = new Deriver().update(new ConfigStore({ log }).current(), {}, [], emptyAllocations());
    assert.equal(meshSettingsOf(decodeConfig(meshBytes(d)!).document).rootNamespace, "istio-system");
  });
});

describe("ProxyState root namespace", () => {
  it("uses the flag until the control plane pushes one, and again if it is withdrawn", () => {
    const s = new ProxyState({ rootNamespace: "from-flag" });
    const changes: ProxyStateChange[] = [];
    s.on("change", (c) => changes.push(c));
    assert.equal(s.rootNamespace, "from-flag");
    assert.deepEqual(s.meshSettings(), { rootNamespace: "from-flag", source: "flag" });

    s.upsertConfig(meshDoc("my-root"));
    assert.equal(s.rootNamespace, "my-root");
    assert.deepEqual(s.meshSettings(), {
      rootNamespace: "my-root",
      trustDomain: "cluster.local",
      source: "control plane",
    });
    assert.deepEqual(s.configDocuments(), [], "not a user document");

    s.removeConfig(MESH_CONFIG_RESOURCE_NAME);
    assert.equal(s.rootNamespace, "from-flag");
    s.removeConfig(MESH_CONFIG_RESOURCE_NAME);
    assert.deepEqual(
      changes.map((c) => [c.kind, c.removed]),
      [
        ["mesh", false],
        ["mesh", true],
      ],
    );
  });
});

describe("mesh-wide PeerAuthentication follows the pushed root namespace", () => {
  const plain = { node: "node-b", sourceIp: "10.0.0.11", destinationIp: "10.0.1.20", destinationPort: 8080 };

  const rows: { name: string; flag?: string; pushed?: string; pa: string; want: "deliver" | "reject" }[] = [
    { name: "flag default, STRICT in istio-system", pa: "istio-system", want: "reject" },
    { name: "pushed my-root, STRICT in my-root", pushed: "my-root", pa: "my-root", want: "reject" },
    {
      name: "pushed my-root, STRICT in istio-system",
      pushed: "my-root",
      pa: "istio-system",
      want: "deliver",
    },
    { name: "flag my-root, nothing pushed", flag: "my-root", pa: "my-root", want: "reject" },
    { name: "flag my-root, pushed other", flag: "my-root", pushed: "other", pa: "my-root", want: "deliver" },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const s = topology({
        config: [strict(r.pa), ...(r.pushed ? [meshDoc(r.pushed)] : [])],
        ...(r.flag ? { rootNamespace: r.flag } : {}),
      });
      const plan = planInboundPlaintext(s, plain);
      assert.equal(plan.kind, r.want, plan.kind === "reject" ? plan.reason : "delivered");
    });
  }

  it("a push after the first plan takes effect on the next connection", () => {
    const s = topology({ config: [strict("my-root")] });
    assert.equal(planInboundPlaintext(s, plain).kind, "deliver");
    s.upsertConfig(meshDoc("my-root"));
    const p = planInboundPlaintext(s, plain);
    assert.equal(p.kind, "reject");
    assert.match(p.kind === "reject" ? p.reason : "", /PeerAuthentication my-root\/default/);
  });
});
