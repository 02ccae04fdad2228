/**
 * Explicit subscriptions (as a waypoint asks for the config of its own services): only the
 * named resources arrive; changing the names subscribes and unsubscribes on the live stream; a
 * name the server lacks is simply absent.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { XdsChange } from "../../../src/xds/client/subscription.js";
import { configResourceName, decodeConfig, encodeConfig } from "../../../src/xds/convert/config.js";
import { CONFIG_TYPE_URL } from "../../../src/xds/typeurls.js";
import { eventually, newClient, startXds } from "./harness.js";

function route(name: string, host: string) {
  return {
    document: {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name, namespace: "shop" },
      spec: { parentRefs: [{ name: "waypoint" }], hostnames: [host] },
    },
    resourceVersion: "1",
  };
}

test(
  "explicit names: subscribe, change names on the live stream, unsubscribe",
  { timeout: 30_000 },
  async () => {
    const { xds, port, close } = await startXds();
    const client = newClient(port, "waypoint-1");
    try {
      const docs = [route("a", "a.shop"), route("b", "b.shop"), route("c", "c.shop")];
      const [a, b, c] = docs.map(configResourceName);
      const all = new Map(docs.map((d) => [configResourceName(d), encodeConfig(d)]));
      xds.setResources(CONFIG_TYPE_URL, all);
      const sub = client.subscribe(CONFIG_TYPE_URL, {
        decode: decodeConfig,
        names: [a ?? "", "missing/one"],
      });
      const changes: XdsChange[] = [];
      sub.on("change", (ch) => changes.push(ch));
      client.start();
      await sub.synced();
      assert.deepEqual([...sub.resources().keys()], [a]);
      const st = xds.status()[0]?.types[0];
      assert.equal(st?.wildcard, false);
      assert.equal(st?.subscribedNames, 2);

      // A change to a resource this proxy did not ask for is not sent to it.
      const before = changes.length;
      all.set(c ?? "", encodeConfig({ ...route("c", "c2.shop") }));
      const v1 = xds.setResources(CONFIG_TYPE_URL, all);
      await xds.whenAcked(CONFIG_TYPE_URL, v1, { timeoutMs: 10_000 });
      assert.equal(changes.length, before);

      client.setNames(CONFIG_TYPE_URL, [b ?? ""]);
      await eventually(() => sub.get(b ?? "") !== undefined, "b to arrive");
      assert.deepEqual([...sub.resources().keys()], [b], "a was dropped on unsubscribe");
      assert.equal(sub.get(b ?? "")?.document.metadata.name, "b");
      await eventually(
        () => xds.status()[0]?.types[0]?.resources === 1,
        "the server to record the new names",
      );
    } finally {
      client.close();
      close();
    }
  },
);
