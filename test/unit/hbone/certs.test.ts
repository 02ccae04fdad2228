/**
 * WorkloadCertManager against the real CertificateAuthority (no network), with an injected
 * clock: first fetch, shared requests, half-life rotation, CA outages, forgetting.
 */
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { AmbitError } from "../../../src/common/errors.js";
import { CertificateAuthority } from "../../../src/identity/index.js";
import { WorkloadCertManager, type SignFunction } from "../../../src/ztunnel/certs.js";

const ID = "spiffe://cluster.local/ns/shop/sa/web";
const HOUR = 3600_000;
let dir: string;
let ca: CertificateAuthority;
let now = Date.now();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "ambit-certs-"));
  // The CA signs with the same (injected) time as the manager reads.
  ca = await CertificateAuthority.open({
    trustDomain: "cluster.local",
    stateDir: dir,
    now: () => new Date(now),
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A CA client that counts calls and can be switched off. */
function signer() {
  const state = { calls: 0, up: true, csrs: [] as string[] };
  const sign: SignFunction = async (req) => {
    state.calls++;
    state.csrs.push(req.csrPem);
    await new Promise((r) => setImmediate(r));
    if (!state.up)
      throw new AmbitError("CA_UNREACHABLE", "cannot reach the CA", "is the control plane running?");
    return ca.signCsr(req.csrPem, { identity: req.identity, ttlSeconds: req.ttlSeconds }).chain;
  };
  return { state, sign };
}

function manager(sign: SignFunction, ttlSeconds = 24 * 3600) {
  return new WorkloadCertManager({
    sign,
    trustBundle: () => ca.trustBundle(),
    clock: () => now,
    ttlSeconds,
    log: pino({ level: "silent" }),
    retry: { initialMs: 1_000, maxMs: 150_000 },
  });
}

describe("WorkloadCertManager", () => {
  test("fetches on first use; concurrent callers share one request; the key stays local", async () => {
    const { state, sign } = signer();
    const m = manager(sign);
    try {
      const certs = await Promise.all(Array.from({ length: 10 }, () => m.get(ID)));
      assert.equal(state.calls, 1);
      const c = certs[0]!;
      assert.ok(certs.every((x) => x === c));
      const leaf = new X509Certificate(c.chainPem[0]!);
      assert.equal(leaf.subjectAltName, `URI:${ID}`);
      assert.ok(leaf.checkPrivateKey(createPrivateKey(c.keyPem)));
      assert.equal(c.serial, leaf.serialNumber.toLowerCase());
      assert.ok(!state.csrs[0]!.includes("PRIVATE KEY"), "only the CSR goes to the CA");
      assert.equal(
        c.notAfter.getTime() - c.notBefore.getTime(),
        24 * HOUR + 60_000,
        "24 h (+ 60 s backdating)",
      );
      const [row] = m.list();
      assert.equal(row!.state, "Available");
      assert.equal(row!.serial, c.serial);
      const half = c.notBefore.getTime() + (c.notAfter.getTime() - c.notBefore.getTime()) / 2;
      assert.equal(row!.rotatesAt!.getTime(), half);
    } finally {
      m.close();
    }
  });

  test("rotates at half-life", async () => {
    const { state, sign } = signer();
    const m = manager(sign, 2 * 3600);
    try {
      const first = await m.get(ID);
      now += HOUR - 5 * 60_000; // before half-life (backdating moves it 30 s earlier)
      await m.checkNow();
      assert.equal((await m.get(ID)).serial, first.serial);
      assert.equal(state.calls, 1);
      now += 10 * 60_000; // past half-life
      assert.equal((await m.get(ID)).serial, first.serial, "the current certificate is served meanwhile");
      await m.checkNow();
      const second = await m.get(ID);
      assert.notEqual(second.serial, first.serial);
      assert.equal(state.calls, 2);
      assert.ok(second.notAfter > first.notAfter);
      assert.equal(m.list()[0]!.state, "Available");
    } finally {
      m.close();
    }
  });

  test("while the CA is unreachable the current certificate is kept until it expires, then retried", async () => {
    const { state, sign } = signer();
    const m = manager(sign, 2 * 3600);
    try {
      const first = await m.get(ID);
      state.up = false;
      now += HOUR + 60_000; // rotation due, CA down
      await m.checkNow();
      assert.equal((await m.get(ID)).serial, first.serial);
      let row = m.list()[0]!;
      assert.equal(row.state, "Available");
      assert.match(row.error!, /cannot reach the CA/);
      const retryAt = row.rotatesAt!.getTime();
      assert.ok(retryAt > now && retryAt <= now + 1_200, "first retry after about a second");

      // Later retries back off exponentially.
      now = retryAt;
      await m.checkNow();
      const second = m.list()[0]!.rotatesAt!.getTime() - now;
      assert.ok(second >= 1_600 && second <= 2_400, `second retry after ~2 s, got ${second}`);

      now = first.notAfter.getTime() + 1;
      await assert.rejects(
        m.get(ID),
        (e: AmbitError) => e.code === "CERT_UNAVAILABLE" && /control plane/.test(e.hint!),
      );
      row = m.list()[0]!;
      assert.equal(row.state, "Unavailable");

      state.up = true;
      now = m.list()[0]!.rotatesAt!.getTime();
      const fresh = await m.get(ID);
      assert.notEqual(fresh.serial, first.serial);
      assert.equal(m.list()[0]!.state, "Available");
      assert.equal(m.list()[0]!.error, undefined);
    } finally {
      m.close();
    }
  });

  test("a first fetch that fails is reported as Unavailable with the CA's hint", async () => {
    const { state, sign } = signer();
    state.up = false;
    const m = manager(sign);
    try {
      await assert.rejects(
        m.get(ID),
        (e: AmbitError) => e.code === "CERT_UNAVAILABLE" && e.hint === "is the control plane running?",
      );
      const row = m.list()[0]!;
      assert.equal(row.state, "Unavailable");
      assert.equal(row.serial, undefined);
      // Within the backoff, callers get the last error instead of a new CA request each.
      await assert.rejects(m.get(ID));
      assert.equal(state.calls, 1);
    } finally {
      m.close();
    }
  });

  test("a CA answer for another identity is refused", async () => {
    const m = manager(async (req) => {
      const other = "spiffe://cluster.local/ns/shop/sa/other";
      const { generateKeyAndCsr } = await import("../../../src/identity/csr.js");
      void req;
      return ca.signCsr(generateKeyAndCsr(other).csrPem, { identity: other }).chain;
    });
    try {
      await assert.rejects(
        m.get(ID),
        /unusable certificate: its URI SAN is spiffe:\/\/cluster.local\/ns\/shop\/sa\/other/,
      );
    } finally {
      m.close();
    }
  });

  test("forget drops an identity; invalid identities are refused", async () => {
    const { sign } = signer();
    const m = manager(sign);
    try {
      await m.get(ID);
      m.forget(ID);
      assert.deepEqual(m.list(), []);
      await assert.rejects(m.get("spiffe://cluster.local/web"), /not a valid workload identity/);
    } finally {
      m.close();
    }
  });
});
