/**
 * Large pushes to several proxies at once, split into many responses and paced by a small
 * in-flight budget, arrive byte for byte (the server assembles each response in a reused buffer,
 * server/codec.ts); then changes handed over as a delta (updateResources) reach everyone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { XdsClient } from "../../../src/xds/client/client.js";
import type { XdsSubscription } from "../../../src/xds/client/subscription.js";
import { newClient, startXds, eventually } from "./harness.js";

const T = "type.googleapis.com/ambit.test.Blob";
const PROXIES = 12;

/** Distinct, incompressible-looking bytes per name and round. */
function blob(name: string, round: number, size: number): Uint8Array {
  const out = Buffer.alloc(size);
  for (let off = 0, k = 0; off < size; off += 32, k++)
    createHash("sha256").update(`${name}/${round}/${k}`).digest().copy(out, off);
  return out;
}

test(
  "concurrent large pushes arrive intact; a delta update reaches every proxy",
  { timeout: 60_000 },
  async () => {
    const { xds, port, close } = await startXds({
      maxResponseBytes: 32 << 10,
      maxBulkInFlightBytes: 96 << 10,
    });
    const clients: XdsClient[] = [];
    try {
      const resources = new Map<string, Uint8Array>();
      for (let i = 0; i < 300; i++) resources.set(`r${i}`, blob(`r${i}`, 0, 1000 + ((i * 37) % 2000)));
      const v0 = xds.setResources(T, resources);
      const subs: XdsSubscription<Buffer>[] = [];
      for (let i = 0; i < PROXIES; i++) {
        const c = newClient(port, `proxy-${i}`);
        subs.push(c.subscribe(T, { decode: (b) => Buffer.from(b) }));
        c.start();
        clients.push(c);
      }
      await xds.whenAcked(T, v0, { minSubscribers: PROXIES, timeoutMs: 30_000 });
      for (const s of subs) {
        assert.equal(s.resources().size, resources.size);
        for (const [name, bytes] of resources) assert.ok(s.get(name)?.equals(bytes), name);
      }

      const upserts = new Map([
        ["r3", blob("r3", 1, 50_000)],
        ["new", blob("new", 1, 100)],
      ]);
      const v1 = xds.updateResources(T, upserts, ["r4"]);
      assert.ok(v1 > v0);
      await xds.whenAcked(T, v1, { minSubscribers: PROXIES, timeoutMs: 30_000 });
      await eventually(() => subs.every((s) => s.get("new") !== undefined), "the new resource everywhere");
      for (const s of subs) {
        assert.ok(s.get("r3")?.equals(upserts.get("r3")!));
        assert.equal(s.get("r4"), undefined, "removed");
        assert.ok(s.get("r5")?.equals(resources.get("r5")!), "untouched");
      }
      assert.equal(
        xds.updateResources(T, new Map([["new", blob("new", 1, 100)]])),
        v1,
        "no change, same version",
      );
    } finally {
      for (const c of clients) c.close();
      close();
    }
  },
);
