/**
 * Dialling a pod from the client's address (--preserve-source-ip): which sources are preserved,
 * the fallbacks, and the plumbing, on loopback. Transparent sockets proper (a foreign source
 * address, replies routed back) need a namespace and root: test/netns/local-source-ip.test.ts.
 */
import assert from "node:assert/strict";
import { fstatSync, openSync } from "node:fs";
import { createServer, Socket, type Server } from "node:net";
import { after, before, describe, test } from "node:test";
import { AmbitError } from "../../../src/common/errors.js";
import { capturingLogger } from "../log-capture.js";
import { loadNativeAddon, transparentSocketFd } from "../../../src/node/native.js";
import {
  dialFrom,
  preservedSource,
  tcpConnect,
  transparentConnect,
  type ConnectFrom,
} from "../../../src/ztunnel/dial.js";

describe("preservedSource: which client addresses the proxy connects from", () => {
  const cases: Array<[string, string, string | undefined, string]> = [
    ["10.244.1.2", "10.244.2.3", "10.244.1.2", "a pod on another node"],
    ["::ffff:10.244.1.2", "10.244.2.3", "10.244.1.2", "IPv4-mapped, as a dual-stack socket reports it"],
    ["10.250.0.12", "10.244.2.3", "10.250.0.12", "a process on another node (its fabric address)"],
    ["fd00::1:2", "fd00::2:3", "fd00::1:2", "IPv6"],
    ["10.244.2.3", "10.244.2.3", undefined, "the pod itself (its own Service): node address, not martian"],
    ["10.244.1.2", "fd00::2:3", undefined, "families differ"],
    ["127.0.0.1", "10.244.2.3", undefined, "loopback"],
    ["169.254.1.1", "10.244.2.3", undefined, "the pod gateway (the node's own address)"],
    ["0.0.0.0", "10.244.2.3", undefined, "unspecified"],
    ["224.0.0.1", "10.244.2.3", undefined, "multicast"],
    ["::1", "fd00::2:3", undefined, "IPv6 loopback"],
    ["fe80::1", "fd00::2:3", undefined, "IPv6 link-local"],
    ["not-an-ip", "10.244.2.3", undefined, "garbage"],
  ];
  for (const [source, target, want, why] of cases) {
    test(`${source} -> ${target}: ${want ?? "node address"} (${why})`, () => {
      assert.equal(preservedSource(source, target), want);
    });
  }
});

/** A loopback server that answers each connection with the peer address it sees, then closes. */
let server: Server;
let port = 0;
before(async () => {
  server = createServer((s) => s.end(`${s.remoteAddress}`));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});
after(() => server.close());

async function peerSeen(s: Socket): Promise<string> {
  let text = "";
  s.setEncoding("utf8").on("data", (d: string) => (text += d));
  await new Promise((resolve) => s.once("end", resolve));
  s.destroy();
  return text;
}

/** A ConnectFrom that records its calls and binds the given address (loopback needs no privilege). */
function recording(bind: (source: string) => string | undefined) {
  const calls: string[] = [];
  const connectFrom: ConnectFrom = (source, host, p) => {
    calls.push(`${source}->${host}:${p}`);
    const local = bind(source);
    if (local === undefined) return undefined;
    return new Socket({ allowHalfOpen: true }).connect({ host: "127.0.0.1", port, localAddress: local });
  };
  return { calls, connectFrom };
}

describe("dialFrom", () => {
  const plain = { connect: () => tcpConnect("127.0.0.1", port), connectTimeoutMs: 2_000 };
  const target = { ip: "10.244.2.3", port: 8080 };

  test("with a trusted source, the application sees that source as its peer", async () => {
    const r = recording(() => "127.0.0.9");
    const s = await dialFrom({ ...plain, connectFrom: r.connectFrom }, target, "10.244.1.2");
    assert.equal(await peerSeen(s), "127.0.0.9");
    assert.deepEqual(r.calls, ["10.244.1.2->10.244.2.3:8080"]);
  });

  test("no source (outbound passthrough, or an HBONE claim that was not verified): never asked", async () => {
    const r = recording(() => "127.0.0.9");
    const s = await dialFrom({ ...plain, connectFrom: r.connectFrom }, target, undefined);
    assert.equal(await peerSeen(s), "127.0.0.1");
    assert.deepEqual(r.calls, []);
  });

  test("a source that is not preserved (the pod itself) connects from the node's address", async () => {
    const r = recording(() => "127.0.0.9");
    const s = await dialFrom({ ...plain, connectFrom: r.connectFrom }, target, target.ip);
    assert.equal(await peerSeen(s), "127.0.0.1");
    assert.deepEqual(r.calls, []);
  });

  test("without the option (no connectFrom) it dials as before", async () => {
    const s = await dialFrom(plain, target, "10.244.1.2");
    assert.equal(await peerSeen(s), "127.0.0.1");
  });

  test("transparency unavailable (connectFrom says no): the node's address", async () => {
    const r = recording(() => undefined);
    const s = await dialFrom({ ...plain, connectFrom: r.connectFrom }, target, "10.244.1.2");
    assert.equal(await peerSeen(s), "127.0.0.1");
    assert.equal(r.calls.length, 1);
  });

  test("a source address the addon cannot bind: the node's address", async () => {
    const { log } = capturingLogger();
    const connectFrom = transparentConnect({
      socketFd: (_family, bindIp) => {
        if (bindIp === undefined) return openSync("/dev/null", "r"); // the start-up probe
        throw new AmbitError("TRANSPARENT_SOCKET_FAILED", "bind: Cannot assign requested address");
      },
      log,
    });
    const s = await dialFrom({ ...plain, connectFrom }, target, "10.244.1.2");
    assert.equal(await peerSeen(s), "127.0.0.1");
  });

  test("binds in the addon, off the client's own ports: the server sees the client's address", async () => {
    const { log } = capturingLogger();
    const asked: Array<{ bindIp?: string; avoid?: readonly number[] }> = [];
    const connectFrom = transparentConnect({
      socketFd: (family, bindIp, avoid) => {
        asked.push({ bindIp, avoid });
        return transparentSocketFd(family, bindIp, avoid);
      },
      log,
    });
    // 127.0.0.5 stands for the client and the loopback server for the pod (dialFrom itself
    // never preserves a loopback source): no reply routing is needed.
    const s = connectFrom("127.0.0.5", "127.0.0.1", port, [40001, 40003]);
    assert.ok(s);
    assert.equal(await peerSeen(s), "127.0.0.5");
    assert.deepEqual(asked.at(-1), { bindIp: "127.0.0.5", avoid: [40001, 40003] });
  });

  test("a refused connection is not retried: the pod really is not listening", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const dead = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    let plainCalls = 0;
    const ctx = {
      connect: () => {
        plainCalls++;
        return tcpConnect("127.0.0.1", dead);
      },
      connectFrom: (() =>
        new Socket().connect({ host: "127.0.0.1", port: dead, localAddress: "127.0.0.9" })) as ConnectFrom,
      connectTimeoutMs: 2_000,
    };
    await assert.rejects(dialFrom(ctx, target, "10.244.1.2"), { code: "UPSTREAM_REFUSED" });
    assert.equal(plainCalls, 0);
  });
});

describe("transparentConnect", () => {
  test("no transparent sockets here: one warning at start, then undefined without asking again", () => {
    const { log, warnings: warned } = capturingLogger();
    let asked = 0;
    const connectFrom = transparentConnect({
      socketFd: () => {
        asked++;
        throw new AmbitError("TRANSPARENT_SOCKET_DENIED", "cannot create a transparent socket: EPERM");
      },
      log,
    });
    assert.equal(connectFrom("10.244.1.2", "10.244.2.3", 8080), undefined);
    assert.equal(connectFrom("10.244.1.3", "10.244.2.3", 8080), undefined);
    assert.equal(asked, 1, "probed once, at creation");
    const warnings = warned();
    assert.equal(warnings.length, 1);
    assert.match(String(warnings[0]!.msg), /cannot preserve client source addresses/);
    assert.match(String(warnings[0]!.err), /TRANSPARENT_SOCKET_DENIED/);
  });

  test("a transient failure (EMFILE) costs one connection its source, not every later one", () => {
    const { log, warnings: warned } = capturingLogger();
    let asked = 0;
    const connectFrom = transparentConnect({
      socketFd: () => {
        asked++;
        if (asked === 1) return openSync("/dev/null", "r"); // the probe at creation succeeds
        throw new AmbitError("TRANSPARENT_SOCKET_FAILED", "cannot create a transparent socket: EMFILE");
      },
      log,
    });
    assert.equal(connectFrom("10.244.1.2", "10.244.2.3", 8080), undefined);
    assert.equal(connectFrom("10.244.1.3", "10.244.2.3", 8080), undefined);
    assert.equal(asked, 3, "asked again for the second connection");
    assert.equal(warned().length, 0, "not reported as turned off");
  });

  test("a descriptor the socket cannot take is closed, not leaked", () => {
    const { log } = capturingLogger();
    const fds: number[] = [];
    const connectFrom = transparentConnect({
      // Not a socket: net.Socket refuses it synchronously (ERR_INVALID_FD_TYPE).
      socketFd: () => fds[fds.push(openSync("/dev/null", "r")) - 1]!,
      log,
    });
    assert.throws(() => connectFrom("10.244.1.2", "10.244.2.3", 8080), { code: "ERR_INVALID_FD_TYPE" });
    assert.equal(fds.length, 2);
    assert.throws(() => fstatSync(fds[1]!), { code: "EBADF" });
  });

  test("the addon's transparentSocket checks its argument before touching the kernel", () => {
    const native = loadNativeAddon();
    assert.equal(typeof native.transparentSocket, "function");
    assert.throws(() => native.transparentSocket?.(5 as 4), TypeError);
  });
});
