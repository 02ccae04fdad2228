/**
 * HBONE end to end on loopback with certificates from a real control plane: bytes both ways,
 * half-close in each direction, pooling and the per-connection stream cap, idle release.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { HbonePool } from "../../../src/ztunnel/hbone/client.js";
import type { TunnelStats } from "../../../src/ztunnel/hbone/server.js";
import {
  CLIENT_ID,
  SERVER_ID,
  SILENT,
  TD,
  dialUpstream,
  eventually,
  readAll,
  startHbone,
  startMesh,
  startUpstream,
  type Mesh,
  type RunningServer,
} from "./harness.js";

let mesh: Mesh;
let hbone: RunningServer;
let upstream: { port: number; close(): Promise<void> };
const done: TunnelStats[] = [];
const seen: { authority: string; peerIdentity: string; headers: Record<string, string> }[] = [];
// What the "pod" received on connections whose client was still sending after the pod's FIN.
const receivedAfterFin: number[] = [];

before(async () => {
  mesh = await startMesh();
  // The pod: "echo-after-fin" answers with everything it read once the client half-closes;
  // "fin-first" greets, half-closes at once, then counts what the client still sends.
  upstream = await startUpstream((s: Socket) => {
    s.once("data", (first: Buffer) => {
      const mode = first.subarray(0, 1).toString();
      if (mode === "F") {
        s.end("hello");
        let n = first.length - 1;
        s.on("data", (c: Buffer) => (n += c.length));
        s.once("end", () => receivedAfterFin.push(n));
        return;
      }
      const chunks = [first.subarray(1)];
      s.on("data", (c: Buffer) => chunks.push(c));
      s.once("end", () => s.end(Buffer.concat(chunks)));
    });
  });
  hbone = await startHbone("127.0.0.2", {
    trustDomain: () => TD,
    trustBundle: mesh.bundle,
    certificateFor: async () => mesh.certs.get(SERVER_ID),
    onConnect: async (req) => {
      seen.push({ authority: req.authority, peerIdentity: req.peerIdentity, headers: req.headers });
      return { ok: true, upstream: await dialUpstream(upstream.port), onDone: (s) => done.push(s) };
    },
    log: SILENT,
  });
});

after(async () => {
  await hbone?.close();
  await upstream?.close();
  await mesh?.close();
});

function pool(opts: Partial<ConstructorParameters<typeof HbonePool>[0]> = {}): HbonePool {
  return new HbonePool({
    certFor: (id) => mesh.certs.get(id),
    trustBundle: mesh.bundle,
    log: SILENT,
    ...opts,
  });
}

const open = (p: HbonePool, headers?: Record<string, string>) =>
  p.open({
    sourceIdentity: CLIENT_ID,
    destinationIdentity: SERVER_ID,
    hbone: { ip: "127.0.0.2", port: hbone.port },
    authority: "10.244.1.7:8080",
    ...(headers ? { headers } : {}),
  });

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("a tunnel carries bytes both ways", () => {
  test("2 MiB up, client half-closes, 2 MiB back after the FIN, then the server's FIN", async () => {
    const p = pool();
    try {
      const headers = {
        baggage: "k8s.namespace.name=shop,k8s.pod.name=client",
        forwarded: "for=10.244.1.5",
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      };
      const t = await open(p, headers);
      const payload = randomBytes(2 * 1024 * 1024);
      const back = readAll(t);
      t.write("E");
      t.end(payload);
      const echoed = await back;
      assert.equal(echoed.length, payload.length);
      assert.equal(sha(echoed), sha(payload));
      const req = seen.at(-1)!;
      assert.equal(req.authority, "10.244.1.7:8080");
      assert.equal(req.peerIdentity, CLIENT_ID, "the server saw the client's SPIFFE identity");
      for (const [k, v] of Object.entries(headers)) assert.equal(req.headers[k], v, k);
      await eventually(() => done.length > 0, "the tunnel's onDone");
      const stats = done.at(-1)!;
      assert.equal(stats.bytesFromClient, payload.length + 1);
      assert.equal(stats.bytesToClient, payload.length);
      assert.equal(stats.error, undefined);
    } finally {
      await p.close();
    }
  });

  test("the pod half-closes first and still receives 1 MiB the client sends afterwards", async () => {
    const p = pool();
    try {
      const t = await open(p);
      t.write("F");
      const greeting = await readAll(t);
      assert.equal(greeting.toString(), "hello", "data and FIN from the pod reach the client");
      const before = receivedAfterFin.length;
      t.end(randomBytes(1024 * 1024));
      await eventually(() => receivedAfterFin.length > before, "the pod saw the client's FIN");
      assert.equal(receivedAfterFin.at(-1), 1024 * 1024);
    } finally {
      await p.close();
    }
  });
});

describe("pooling", () => {
  test("50 concurrent tunnels share one connection and each gets its own bytes back", async () => {
    const p = pool();
    try {
      const tunnels = await Promise.all(Array.from({ length: 50 }, () => open(p)));
      assert.deepEqual(
        p.stats().map((s) => [s.sourceIdentity, s.destinationIdentity, s.connections, s.activeStreams]),
        [[CLIENT_ID, SERVER_ID, 1, 50]],
      );
      assert.equal(hbone.server.stats().activeTunnels, 50);
      const results = await Promise.all(
        tunnels.map(async (t, i) => {
          const body = Buffer.from(`tunnel ${i} `.repeat(1000));
          const back = readAll(t);
          t.end(Buffer.concat([Buffer.from("E"), body]));
          return (await back).equals(body);
        }),
      );
      assert.ok(results.every(Boolean));
      await eventually(() => p.stats().every((s) => s.activeStreams === 0), "streams released");
    } finally {
      await p.close();
    }
  });

  test("a full connection makes the pool open a second one", async () => {
    const p = pool({ maxStreamsPerConnection: 4 });
    try {
      const first = await Promise.all(Array.from({ length: 4 }, () => open(p)));
      assert.deepEqual(
        p.stats().map((s) => [s.connections, s.activeStreams]),
        [[1, 4]],
      );
      const fifth = await open(p);
      assert.deepEqual(
        p.stats().map((s) => [s.connections, s.activeStreams]),
        [[2, 5]],
      );
      for (const t of [...first, fifth]) t.destroy();
    } finally {
      await p.close();
    }
  });

  test("after the destination ztunnel restarts, the next tunnel uses a new connection", async () => {
    const serverOpts = {
      trustDomain: () => TD,
      trustBundle: mesh.bundle,
      certificateFor: async () => mesh.certs.get(SERVER_ID),
      onConnect: async () => ({ ok: true as const, upstream: await dialUpstream(upstream.port) }),
      log: SILENT,
    };
    const first = await startHbone("127.0.0.6", serverOpts);
    const p = pool();
    const via = (port: number) =>
      p.open({
        sourceIdentity: CLIENT_ID,
        destinationIdentity: SERVER_ID,
        hbone: { ip: "127.0.0.6", port },
        authority: "10.244.1.7:8080",
      });
    let second: RunningServer | undefined;
    try {
      const t = await via(first.port);
      const back = readAll(t);
      t.end("E1");
      assert.equal((await back).toString(), "1");
      assert.equal(p.stats()[0]?.connections, 1, "the connection stays pooled");
      await first.close();
      // Same address again, as a restarted ztunnel would listen.
      second = await startHbone("127.0.0.6", serverOpts, first.port);
      const t2 = await via(second.port);
      const back2 = readAll(t2);
      t2.end("E2");
      assert.equal((await back2).toString(), "2");
    } finally {
      await p.close();
      await second?.close();
    }
  });

  test("an unused connection is closed after the idle timeout", async () => {
    const p = pool({ idleTimeoutMs: 50 });
    try {
      const t = await open(p);
      const back = readAll(t);
      t.end("E");
      await back;
      await eventually(() => p.stats().length === 0, "idle connection released");
      await eventually(() => hbone.server.stats().connections === 0, "server saw the connection close");
    } finally {
      await p.close();
    }
  });
});
