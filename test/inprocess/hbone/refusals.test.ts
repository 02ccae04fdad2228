/**
 * What HBONE refuses, and what each side then sees: the client's error code and hint, the
 * server's log line. Certificates come from the control plane's CA, and from side CAs for what
 * that CA would never issue (another trust domain, an expired certificate, an unknown root).
 */
import assert from "node:assert/strict";
import { connect as h2connect, type ClientHttp2Session } from "node:http2";
import { createServer, connect as netConnect, type AddressInfo, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { after, before, describe, test } from "node:test";
import type { WorkloadCert } from "../../../src/ztunnel/certs.js";
import { HbonePool } from "../../../src/ztunnel/hbone/client.js";
import { HboneError } from "../../../src/ztunnel/hbone/errors.js";
import {
  CLIENT_ID,
  SERVER_ID,
  SILENT,
  TD,
  capturingLogger,
  dialUpstream,
  eventually,
  listen,
  readAll,
  sideCa,
  startHbone,
  startMesh,
  startUpstream,
  type Mesh,
  type RunningServer,
} from "./harness.js";

let mesh: Mesh;
let hbone: RunningServer;
let upstream: { port: number; close(): Promise<void> };
const logs = capturingLogger();
let otherTd: Awaited<ReturnType<typeof sideCa>>;
let sameTdOtherRoot: Awaited<ReturnType<typeof sideCa>>;
let untrusted: Awaited<ReturnType<typeof sideCa>>;

before(async () => {
  mesh = await startMesh();
  otherTd = await sideCa("other.example");
  sameTdOtherRoot = await sideCa(TD);
  untrusted = await sideCa(TD);
  upstream = await startUpstream((s: Socket) => s.pipe(s));
  hbone = await startHbone("127.0.0.3", {
    trustDomain: () => TD,
    // Trusts two extra roots, so the trust-domain check and the expiry check are each the only
    // reason for their refusal below.
    trustBundle: () => [...mesh.bundle(), ...otherTd.ca.trustBundle(), ...sameTdOtherRoot.ca.trustBundle()],
    certificateFor: async (ip) => (ip === "127.0.0.3" ? mesh.certs.get(SERVER_ID) : undefined),
    onConnect: async (req) =>
      req.headers["x-test-deny"]
        ? { ok: false, status: 401, reason: "denied by test" }
        : { ok: true, upstream: await dialUpstream(upstream.port) },
    maxHeaderBytes: 4096,
    log: logs.log,
  });
});

after(async () => {
  await hbone?.close();
  await upstream?.close();
  await mesh?.close();
  for (const c of [otherTd, sameTdOtherRoot, untrusted]) c?.close();
});

const bundle = () => mesh.bundle();
const poolWith = (certFor: (id: string) => Promise<WorkloadCert>, extra = {}) =>
  new HbonePool({ certFor, trustBundle: bundle, log: SILENT, ...extra });

async function openWith(
  p: HbonePool,
  over: { destinationIdentity?: string; headers?: Record<string, string>; ip?: string; port?: number } = {},
) {
  return p.open({
    sourceIdentity: CLIENT_ID,
    destinationIdentity: over.destinationIdentity ?? SERVER_ID,
    hbone: { ip: over.ip ?? "127.0.0.3", port: over.port ?? hbone.port },
    authority: "10.244.1.9:80",
    ...(over.headers ? { headers: over.headers } : {}),
  });
}

async function expectHboneError(
  p: Promise<unknown>,
  code: string,
  extra: (e: HboneError) => void = () => {},
) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HboneError, `an HboneError, got ${String(e)}`);
    assert.equal(e.code, code, e.describe());
    assert.ok(e.hint && e.hint.length > 10, "an operator hint");
    extra(e);
    return true;
  });
}

const logged = (msg: RegExp) => logs.lines().filter((l) => msg.test(String(l.msg)));

/** A raw HTTP/2 client presenting `cert` (or none), for requests HbonePool never makes. */
function rawH2(cert: WorkloadCert | undefined): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({
      host: "127.0.0.3",
      port: hbone.port,
      ca: bundle(),
      ...(cert ? { key: cert.keyPem, cert: cert.chainPem.join("") } : {}),
      ALPNProtocols: ["h2"],
      minVersion: "TLSv1.3",
      checkServerIdentity: () => undefined,
    });
    tls.once("error", reject);
    tls.once("secureConnect", () => {
      const s = h2connect("https://127.0.0.3", { createConnection: () => tls });
      s.once("remoteSettings", () => resolve(s));
      s.once("error", reject);
      s.once("close", () => reject(new Error("closed before SETTINGS")));
    });
  });
}

function status(s: ClientHttp2Session, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = s.request(headers, { endStream: false });
    r.once("response", (h) => resolve(Number(h[":status"])));
    r.once("error", reject);
    r.resume();
  });
}

describe("the client checks the server", () => {
  test("a server presenting another identity than expected is refused", async () => {
    const p = poolWith((id) => mesh.certs.get(id));
    try {
      const other = `spiffe://${TD}/ns/shop/sa/somebody-else`;
      await expectHboneError(openWith(p, { destinationIdentity: other }), "HBONE_IDENTITY_MISMATCH", (e) => {
        assert.match(e.message, new RegExp(`presented ${SERVER_ID}, expected ${other}`));
      });
    } finally {
      await p.close();
    }
  });

  test("a server whose certificate does not chain to the trust bundle is refused", async () => {
    const rogue = await startHbone("127.0.0.4", {
      trustDomain: () => TD,
      trustBundle: () => untrusted.ca.trustBundle(),
      certificateFor: async () => untrusted.issue(SERVER_ID),
      onConnect: async () => ({ ok: false, status: 500, reason: "never" }),
      log: SILENT,
    });
    const p = poolWith((id) => mesh.certs.get(id));
    try {
      await expectHboneError(openWith(p, { ip: "127.0.0.4", port: rogue.port }), "HBONE_TLS_FAILED");
    } finally {
      await p.close();
      await rogue.close();
    }
  });
});

describe("the server checks the client", () => {
  test("a client identity from another trust domain is closed and logged with its SAN", async () => {
    const foreign = "spiffe://other.example/ns/shop/sa/client";
    const p = poolWith(async () => otherTd.issue(foreign));
    try {
      await expectHboneError(openWith(p), "HBONE_TLS_FAILED");
      const line = logged(/not in this mesh's trust domain/).at(-1);
      assert.ok(line, "a log line");
      assert.deepEqual(line.san, [foreign]);
      assert.equal(line.trustDomain, TD);
      assert.match(String(line.peer), /^127\.0\.0\.1:\d+$/);
    } finally {
      await p.close();
    }
  });

  test("an expired client certificate is refused", async () => {
    sameTdOtherRoot.shiftMs.value = -30 * 60_000;
    const expired = sameTdOtherRoot.issue(CLIENT_ID, 60);
    sameTdOtherRoot.shiftMs.value = 0;
    assert.ok(expired.notAfter.getTime() < Date.now());
    const p = poolWith(async () => expired);
    try {
      await expectHboneError(openWith(p), "HBONE_TLS_FAILED");
      assert.equal(logged(/client certificate refused/).at(-1)?.reason, "CERT_HAS_EXPIRED");
    } finally {
      await p.close();
    }
  });

  test("a client certificate from an unknown root is refused", async () => {
    const p = poolWith(async () => untrusted.issue(CLIENT_ID));
    try {
      await expectHboneError(openWith(p), "HBONE_TLS_FAILED");
      assert.match(String(logged(/client certificate refused/).at(-1)?.reason), /UNABLE_TO|SELF_SIGNED/);
    } finally {
      await p.close();
    }
  });

  test("a client without a certificate is closed and logged", async () => {
    await assert.rejects(rawH2(undefined));
    await eventually(
      () => logged(/presented no certificate/).length > 0,
      "log line for the missing certificate",
    );
  });

  test("TLS 1.2, and TLS without ALPN h2, are refused", async () => {
    const cert = await mesh.certs.get(CLIENT_ID);
    const attempt = (extra: object) =>
      new Promise<string>((resolve) => {
        const tls = tlsConnect({
          host: "127.0.0.3",
          port: hbone.port,
          ca: bundle(),
          key: cert.keyPem,
          cert: cert.chainPem.join(""),
          checkServerIdentity: () => undefined,
          ...extra,
        });
        tls.once("error", (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
        // TLS 1.3: the client may finish first; the server then closes without a word.
        tls.once("close", () => resolve("closed"));
        tls.resume();
      });
    const before = logs.lines().length;
    assert.match(await attempt({ maxVersion: "TLSv1.2", ALPNProtocols: ["h2"] }), /error|closed/);
    assert.match(await attempt({ ALPNProtocols: ["http/1.1"] }), /error|closed/);
    await eventually(() => logs.lines().length >= before + 2, "two log lines");
    const lines = logs.lines().slice(before);
    assert.ok(
      lines.some((l) => /UNSUPPORTED_PROTOCOL|VERSION/.test(String(l.error))),
      JSON.stringify(lines),
    );
    assert.ok(lines.some((l) => /ALPN|NO_APPLICATION_PROTOCOL/i.test(`${String(l.msg)} ${String(l.error)}`)));
  });

  test("a connection to an address with no local workload is closed", async () => {
    const alias = createServer((s) => hbone.server.accept(s, { localIp: "10.244.9.9" }));
    await listen(alias, "127.0.0.3");
    const p = poolWith((id) => mesh.certs.get(id));
    try {
      const port = (alias.address() as AddressInfo).port;
      await expectHboneError(openWith(p, { port }), "HBONE_TLS_FAILED");
      assert.equal(logged(/no workload of this node/).at(-1)?.localIp, "10.244.9.9");
    } finally {
      await p.close();
      await new Promise<void>((r) => alias.close(() => r()));
    }
  });
});

describe("requests on the tunnel", () => {
  test("a non-CONNECT request gets 405 and a garbled :authority gets 400", async () => {
    const s = await rawH2(await mesh.certs.get(CLIENT_ID));
    try {
      assert.equal(await status(s, { ":method": "GET", ":path": "/" }), 405);
      assert.equal(await status(s, { ":method": "CONNECT", ":authority": "httpbin:80" }), 400);
      assert.equal(await status(s, { ":method": "CONNECT", ":authority": "10.1.2.3:99999" }), 400);
      assert.ok(logged(/only CONNECT/).some((l) => l.method === "GET" && l.peerIdentity === CLIENT_ID));
    } finally {
      s.destroy();
    }
  });

  test("headers over the limit get 431; far over it, the stream is reset", async () => {
    const p = poolWith((id) => mesh.certs.get(id));
    try {
      await expectHboneError(openWith(p, { headers: { baggage: "x".repeat(6000) } }), "HBONE_REFUSED", (e) =>
        assert.equal(e.status, 431),
      );
      assert.ok(logged(/header list too large/).length > 0);
      await expectHboneError(
        openWith(p, { headers: { baggage: "x".repeat(20_000) } }),
        "HBONE_REFUSED",
        (e) => assert.ok(e.resetCode !== undefined && e.resetCode > 0, `reset code ${e.resetCode}`),
      );
    } finally {
      await p.close();
    }
  });

  test("the proxy's refusal status reaches the client", async () => {
    const p = poolWith((id) => mesh.certs.get(id));
    try {
      await expectHboneError(openWith(p, { headers: { "x-test-deny": "1" } }), "HBONE_REFUSED", (e) => {
        assert.equal(e.status, 401);
        assert.match(e.hint!, /AuthorizationPolicy/);
      });
    } finally {
      await p.close();
    }
  });
});

describe("reaching the server", () => {
  test("nothing listening: HBONE_CONNECT_FAILED; silence: HBONE_TIMEOUT naming the address", async () => {
    const holder = new Set<Socket>();
    const blackhole = createServer((s) => holder.add(s)); // accepts, never answers
    await listen(blackhole, "127.0.0.5");
    const closed = createServer();
    await listen(closed, "127.0.0.5");
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const p = poolWith((id) => mesh.certs.get(id), { connectTimeoutMs: 300 });
    try {
      await expectHboneError(openWith(p, { ip: "127.0.0.5", port: closedPort }), "HBONE_CONNECT_FAILED");
      const port = (blackhole.address() as AddressInfo).port;
      await expectHboneError(openWith(p, { ip: "127.0.0.5", port }), "HBONE_TIMEOUT", (e) => {
        assert.equal(e.message, `connection to 127.0.0.5:${port} timed out`);
        assert.match(e.hint!, /NetworkPolicy/);
      });
    } finally {
      await p.close();
      for (const s of holder) s.destroy();
      await new Promise<void>((r) => blackhole.close(() => r()));
    }
  });
});

test("a client that never completes the TLS handshake is dropped and logged", async () => {
  const slow = capturingLogger();
  const s = await startHbone("127.0.0.7", {
    trustDomain: () => TD,
    trustBundle: bundle,
    certificateFor: async () => mesh.certs.get(SERVER_ID),
    onConnect: async () => ({ ok: false, status: 500, reason: "never" }),
    handshakeTimeoutMs: 100,
    log: slow.log,
  });
  try {
    const silent = netConnect({ host: "127.0.0.7", port: s.port });
    silent.on("error", () => undefined);
    await new Promise((r) => silent.once("close", r));
    const line = slow.lines().find((l) => /did not complete the TLS handshake/.test(String(l.msg)));
    assert.ok(line, JSON.stringify(slow.lines()));
    assert.equal(line.localIp, "127.0.0.7");
  } finally {
    await s.close();
  }
});

test("bad clients never disturb an established tunnel", async () => {
  const p = poolWith((id) => mesh.certs.get(id));
  try {
    const t = await openWith(p);
    // Garbage instead of TLS, a TLS client that never finishes, and a refused certificate.
    const garbage = netConnect({ host: "127.0.0.3", port: hbone.port });
    garbage.on("error", () => undefined);
    garbage.end("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const bad = poolWith(async () => untrusted.issue(CLIENT_ID));
    await assert.rejects(openWith(bad));
    await bad.close();
    const back = readAll(t);
    t.end("still here");
    assert.equal((await back).toString(), "still here");
  } finally {
    await p.close();
  }
});
