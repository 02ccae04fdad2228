/**
 * The control plane goes away: the proxy keeps serving its last config, reconnects with
 * backoff, and on the new stream announces what it holds (initial_resource_versions, names
 * without versions as ztunnel sends them), so it is sent what the control plane has now and told
 * what vanished meanwhile.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { XdsChange } from "../../../src/xds/client/subscription.js";
import { decodeAddress, encodeWorkload } from "../../../src/xds/convert/address.js";
import { syntheticWorkload } from "../../../src/xds/testing/synthetic.js";
import { ADDRESS_TYPE_URL } from "../../../src/xds/typeurls.js";
import { TcpRelay, eventually, newClient, startXds, type RunningXds } from "./harness.js";

test(
  "last good state survives the control plane restarting; resync replaces it and removes what vanished",
  { timeout: 30_000 },
  async () => {
    const relay = new TcpRelay();
    const relayPort = await relay.listen();
    const [a, b, c, d] = [0, 1, 2, 3].map((i) => syntheticWorkload(i));
    if (!a || !b || !c || !d) throw new Error("fixtures");
    let cp: RunningXds | undefined = await startXds();
    relay.target = cp.port;
    const client = newClient(relayPort, "ztunnel-1");
    try {
      const sub = client.subscribe(ADDRESS_TYPE_URL, { decode: decodeAddress });
      const changes: XdsChange[] = [];
      sub.on("change", (ch) => changes.push(ch));
      let disconnects = 0;
      client.on("disconnected", () => disconnects++);
      const v0 = cp.xds.setResources(
        ADDRESS_TYPE_URL,
        new Map([a, b, c].map((w) => [w.uid, encodeWorkload(w)])),
      );
      client.start();
      await cp.xds.whenAcked(ADDRESS_TYPE_URL, v0, { minSubscribers: 1, timeoutMs: 10_000 });

      // The control plane stops.
      cp.close();
      cp = undefined;
      relay.cut();
      await eventually(() => disconnects > 0 && !client.connected, "the client to notice");
      assert.deepEqual(
        [...sub.resources().keys()].sort(),
        [a.uid, b.uid, c.uid].sort(),
        "last good state kept",
      );
      // Let a few reconnect attempts fail against nothing.
      await new Promise((r) => setTimeout(r, 150));
      assert.ok(disconnects >= 2, `retried (${disconnects} attempts)`);

      // A new control plane with a changed b, a new d, no c; a unchanged.
      const bChanged = syntheticWorkload(1, { healthy: false });
      cp = await startXds();
      const v1 = cp.xds.setResources(
        ADDRESS_TYPE_URL,
        new Map([a, bChanged, d].map((w) => [w.uid, encodeWorkload(w)])),
      );
      const before = changes.length;
      relay.target = cp.port;
      await cp.xds.whenAcked(ADDRESS_TYPE_URL, v1, { minSubscribers: 1, timeoutMs: 10_000 });

      const resync = changes.slice(before);
      assert.equal(resync.length, 1);
      assert.deepEqual(resync[0]?.added, [d.uid]);
      assert.deepEqual(
        resync[0]?.updated.sort(),
        [a.uid, b.uid].sort(),
        "no versions: held names are resent",
      );
      assert.deepEqual(resync[0]?.removed, [c.uid]);
      assert.deepEqual([...sub.resources().keys()].sort(), [a.uid, b.uid, d.uid].sort());
      const bNow = sub.get(b.uid);
      assert.equal(bNow?.kind, "workload");
      assert.equal(bNow.kind === "workload" && bNow.workload.healthy, false, "b is the new control plane's");
      const st = cp.xds.status()[0]?.types[0];
      assert.equal(st?.resources, 3);
      assert.equal(st?.ackedVersion, cp.xds.version());
    } finally {
      client.close();
      cp?.close();
      await relay.close();
    }
  },
);
