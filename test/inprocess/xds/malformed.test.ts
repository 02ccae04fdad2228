/**
 * Bad clients get a clear error on their own stream and disturb nobody: garbage bytes, a
 * missing node, an unknown type URL, bad credentials, a node the credentials do not cover.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { AmbitError } from "../../../src/common/errors.js";
import type { XdsClient } from "../../../src/xds/client/client.js";
import { decodeAddress, encodeWorkload } from "../../../src/xds/convert/address.js";
import { syntheticWorkload } from "../../../src/xds/testing/synthetic.js";
import { ADDRESS_TYPE_URL } from "../../../src/xds/typeurls.js";
import { serializeRequest } from "../../../src/xds/wire/discovery.js";
import { DELTA_ADS_PATH } from "../../../src/xds/wire/service.js";
import { eventually, newClient, startXds } from "./harness.js";

/** Sends raw bytes on the ADS method and resolves with the status the server ends it with. */
function rawStream(port: number, messages: Buffer[]): Promise<grpc.StatusObject> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    DELTA_ADS_PATH,
    (b: Buffer) => b,
    (b: Buffer) => b,
    new grpc.Metadata(),
  );
  return new Promise((resolve) => {
    call.on("data", () => undefined);
    call.on("error", () => undefined);
    call.on("status", (s: grpc.StatusObject) => {
      client.close();
      resolve(s);
    });
    for (const m of messages) call.write(m);
  });
}

test("malformed requests end only their own stream, with a clear status", { timeout: 30_000 }, async () => {
  const { xds, port, close } = await startXds();
  const clients: XdsClient[] = [];
  try {
    const addresses = new Map([[syntheticWorkload(1).uid, encodeWorkload(syntheticWorkload(1))]]);
    const v0 = xds.setResources(ADDRESS_TYPE_URL, addresses);
    const good = newClient(port, "good");
    const goodSub = good.subscribe(ADDRESS_TYPE_URL, { decode: decodeAddress });
    clients.push(good);
    good.start();
    await xds.whenAcked(ADDRESS_TYPE_URL, v0, { minSubscribers: 1, timeoutMs: 10_000 });

    const garbage = await rawStream(port, [Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x01])]);
    assert.equal(garbage.code, grpc.status.INVALID_ARGUMENT);
    assert.match(garbage.details, /XDS_MALFORMED_REQUEST/);

    const base = {
      typeUrl: ADDRESS_TYPE_URL,
      subscribe: ["*"],
      unsubscribe: [],
      initialVersions: {},
      responseNonce: "",
    };
    const noNode = await rawStream(port, [serializeRequest(base)]);
    assert.equal(noNode.code, grpc.status.INVALID_ARGUMENT);
    assert.match(noNode.details, /XDS_MISSING_NODE/);

    const noType = await rawStream(port, [
      serializeRequest({ ...base, typeUrl: "", node: { id: "x", cluster: "", metadata: {} } }),
    ]);
    assert.equal(noType.code, grpc.status.INVALID_ARGUMENT);
    assert.match(noType.details, /XDS_MISSING_TYPE_URL/);

    // An unknown type is ignored (and listed in status); the known one on the same stream works.
    const mixed = newClient(port, "mixed");
    mixed.subscribe("type.googleapis.com/unknown.Thing", { decode: (b) => b });
    const mixedSub = mixed.subscribe(ADDRESS_TYPE_URL, { decode: decodeAddress });
    clients.push(mixed);
    mixed.start();
    await mixedSub.synced();
    const mixedStatus = xds.status().find((p) => p.nodeId === "mixed");
    assert.deepEqual(mixedStatus?.ignoredTypes, ["type.googleapis.com/unknown.Thing"]);

    // Everyone well-behaved still gets changes.
    const w = syntheticWorkload(2);
    addresses.set(w.uid, encodeWorkload(w));
    const v1 = xds.setResources(ADDRESS_TYPE_URL, addresses);
    await xds.whenAcked(ADDRESS_TYPE_URL, v1, { minSubscribers: 2, timeoutMs: 10_000 });
    assert.ok(goodSub.get(w.uid));
    assert.ok(mixedSub.get(w.uid));
    assert.equal(xds.status().length, 2);
  } finally {
    for (const c of clients) c.close();
    close();
  }
});

test(
  "authentication: bad token -> UNAUTHENTICATED, another node's id -> PERMISSION_DENIED",
  { timeout: 30_000 },
  async () => {
    const { xds, port, close } = await startXds({
      authenticate: (md) => {
        const auth = md.get("authorization")[0];
        if (auth !== "Bearer good-token")
          return new AmbitError("XDS_UNAUTHENTICATED", "token rejected", "use a valid token");
        return { principal: "spiffe://cluster.local/ns/istio-system/sa/ztunnel", node: "node-a" };
      },
    });
    const clients: XdsClient[] = [];
    const lastReason = new Map<string, string>();
    const make = (id: string, token: string) => {
      const c = newClient(port, id, { token: () => token });
      c.on("disconnected", (reason) => lastReason.set(id, reason));
      clients.push(c);
      return c;
    };
    try {
      const v0 = xds.setResources(
        ADDRESS_TYPE_URL,
        new Map([[syntheticWorkload(1).uid, encodeWorkload(syntheticWorkload(1))]]),
      );
      make("node-a", "wrong").subscribe(ADDRESS_TYPE_URL, { decode: decodeAddress });
      make("node-b", "good-token").subscribe(ADDRESS_TYPE_URL, { decode: decodeAddress });
      const ok = make("node-a", "good-token");
      const okSub = ok.subscribe(ADDRESS_TYPE_URL, { decode: decodeAddress });
      for (const c of clients) c.start();
      await okSub.synced();
      await xds.whenAcked(ADDRESS_TYPE_URL, v0, { minSubscribers: 1, timeoutMs: 10_000 });
      await eventually(() => lastReason.size === 2, "both bad clients to be refused");
      assert.match(lastReason.get("node-a") ?? "", /UNAUTHENTICATED.*token rejected/);
      assert.match(lastReason.get("node-b") ?? "", /PERMISSION_DENIED.*XDS_FORBIDDEN_NODE/);
      const st = xds.status();
      assert.equal(st.length, 1);
      assert.equal(st[0]?.principal, "spiffe://cluster.local/ns/istio-system/sa/ztunnel");
    } finally {
      for (const c of clients) c.close();
      close();
    }
  },
);
