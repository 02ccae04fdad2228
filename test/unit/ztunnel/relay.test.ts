import { test } from "node:test";
import { once } from "node:events";
import assert from "node:assert/strict";
import { createServer, Socket, type AddressInfo } from "node:net";
import { pump, relay, RELAY_BUFFER_BYTES } from "../../../src/ztunnel/relay.js";

/** client -> [proxy: relay] -> echo-after-FIN server, all on 127.0.0.1. */
test("relay copies both ways, passes a half-close through and counts bytes", async () => {
  // The server answers only after the client has finished sending (FIN), like many RPC-ish peers.
  const server = createServer({ allowHalfOpen: true }, (s) => {
    let n = 0;
    s.on("data", (c: Buffer) => (n += c.length));
    s.on("end", () => s.end(`got ${n}`));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const results: Promise<unknown>[] = [];
  const proxy = createServer({ allowHalfOpen: true }, (down) => {
    const up = new Socket({ allowHalfOpen: true }).connect(
      (server.address() as AddressInfo).port,
      "127.0.0.1",
    );
    results.push(relay(down, up));
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  try {
    const payload = Buffer.alloc(3 * 1024 * 1024, 7);
    const answer = await new Promise<string>((resolve, reject) => {
      const c = new Socket({ allowHalfOpen: true }).connect(
        (proxy.address() as AddressInfo).port,
        "127.0.0.1",
      );
      let text = "";
      c.on("data", (d: Buffer) => (text += d.toString()));
      c.on("end", () => resolve(text));
      c.on("error", reject);
      c.end(payload);
    });
    assert.equal(answer, `got ${payload.length}`);
    const [r] = (await Promise.all(results)) as Array<{
      fromDownstream: number;
      fromUpstream: number;
      error?: string;
    }>;
    assert.equal(r!.fromDownstream, payload.length);
    assert.equal(r!.fromUpstream, answer.length);
    assert.equal(r!.error, undefined);
  } finally {
    proxy.close();
    server.close();
  }
});

test("a reset upstream ends the relay and the client sees the connection close", async () => {
  const server = createServer((s) => s.resetAndDestroy());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  let done: Promise<{ error?: string }> | undefined;
  const proxy = createServer({ allowHalfOpen: true }, (down) => {
    const up = new Socket({ allowHalfOpen: true }).connect(
      (server.address() as AddressInfo).port,
      "127.0.0.1",
    );
    done = relay(down, up);
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  try {
    await new Promise<void>((resolve) => {
      const c = new Socket().connect((proxy.address() as AddressInfo).port, "127.0.0.1");
      c.on("error", () => undefined);
      c.on("close", () => resolve());
      c.write("hello");
    });
    const r = await done!;
    assert.ok(r.error, "the upstream reset is reported");
  } finally {
    proxy.close();
    server.close();
  }
});

test("pump stops reading once the writer holds RELAY_BUFFER_BYTES, resumes on drain, and loses nothing", async () => {
  const { PassThrough, Writable } = await import("node:stream");
  const from = new PassThrough();
  const written: Buffer[] = [];
  const pending: (() => void)[] = [];
  // A sink that accepts writes but completes them only when told to: a stalled peer.
  const to = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      pending.push(cb);
    },
  });
  let counted = 0;
  pump(from as never, to as never, (n) => (counted += n));
  const chunk = Buffer.alloc(64 * 1024, 1);
  const chunks = 12; // 768 KiB, three times the bound
  for (let i = 0; i < chunks; i++) from.write(chunk);
  from.end();
  await new Promise((r) => setImmediate(r));
  // Reading paused with the writer holding about the bound, not everything.
  assert.ok(from.isPaused(), "the reader is paused");
  assert.ok(to.writableLength >= RELAY_BUFFER_BYTES && to.writableLength < RELAY_BUFFER_BYTES + chunk.length);
  // Let the sink drain, repeatedly, until everything went through.
  for (let i = 0; i < 100 && !to.writableFinished; i++) {
    for (const cb of pending.splice(0)) cb();
    await new Promise((r) => setImmediate(r));
  }
  assert.ok(to.writableFinished, "the end was passed on");
  assert.equal(Buffer.concat(written).length, chunks * chunk.length);
  assert.equal(counted, chunks * chunk.length);
});

test("pump sends the fragments of a bulk transfer that arrive in one turn in one write, and small chunks at once", async () => {
  const { PassThrough, Writable } = await import("node:stream");
  const from = new PassThrough();
  // Each entry is one write the sink saw (a writev counts once), as the byte sizes it carried.
  const writes: number[][] = [];
  const to = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _enc, cb) {
      writes.push([chunk.length]);
      cb();
    },
    writev(chunks, cb) {
      writes.push(chunks.map((c) => (c.chunk as Buffer).length));
      cb();
    },
  });
  // The sink is not a socket, so coalescing is asked for explicitly (sockets get it by default).
  pump(from as never, to as never, undefined, { coalesce: true });
  from.resume();
  // Small chunks (a request, an answer) go out as they come, each on its own.
  from.write(Buffer.alloc(100));
  from.write(Buffer.alloc(200));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(writes.splice(0), [[100], [200]]);
  // A bulk chunk is written at once; the fragments after it in the same turn are held and
  // leave together at the turn's end (HTTP/2 hands a tunnel's bytes over frame by frame).
  from.write(Buffer.alloc(16 * 1024));
  from.write(Buffer.alloc(35));
  from.write(Buffer.alloc(16 * 1024 - 35));
  from.write(Buffer.alloc(9));
  assert.deepEqual(writes.splice(0), [[16 * 1024]], "the first chunk is not delayed");
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(writes.splice(0), [[35, 16 * 1024 - 35, 9]]);
  // The next turn starts afresh.
  from.write(Buffer.alloc(50));
  assert.deepEqual(writes.splice(0), [[50]]);
  from.end();
  await new Promise((r) => setImmediate(r));
  assert.ok(to.writableFinished);
});

test("pump holds nothing back for a writer that is not a socket (an HTTP/2 stream is never corked)", async () => {
  const { PassThrough, Writable } = await import("node:stream");
  const from = new PassThrough();
  const writes: number[] = [];
  const to = new Writable({
    write(chunk: Buffer, _enc, cb) {
      writes.push(chunk.length);
      cb();
    },
  });
  pump(from as never, to as never);
  from.resume();
  from.write(Buffer.alloc(16 * 1024));
  from.write(Buffer.alloc(35));
  assert.deepEqual(writes, [16 * 1024, 35], "both written at once, in order");
  assert.equal(to.writableCorked, 0);
  from.end();
  await new Promise((r) => setImmediate(r));
  assert.ok(to.writableFinished);
});

test("bytes held for coalescing still reach the client when the upstream fails in the same turn", async () => {
  const { Duplex } = await import("node:stream");
  const srv = createServer().listen(0, "127.0.0.1");
  await once(srv, "listening");
  const client = new Socket().connect((srv.address() as AddressInfo).port, "127.0.0.1");
  const [down] = (await once(srv, "connection")) as [Socket];
  let received = 0;
  client.on("data", (c: Buffer) => (received += c.length));
  client.on("error", () => undefined);
  const closed = once(client, "close");
  const upstream = new Duplex({
    read() {},
    write(_c, _e, cb) {
      cb();
    },
  });
  const done = relay(down, upstream);
  await new Promise((r) => setImmediate(r));
  // One turn's reads: the first is written at once, the others are held until the turn ends...
  for (let i = 0; i < 3; i++) upstream.push(Buffer.alloc(16 * 1024));
  // ...but the upstream fails before that, and relay() tears both sides down.
  upstream.destroy(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
  const r = await done;
  await closed;
  srv.close();
  assert.equal(r.fromUpstream, 3 * 16 * 1024);
  assert.equal(received, r.fromUpstream, "every byte read from the upstream reached the client");
});
