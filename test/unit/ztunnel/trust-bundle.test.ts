/**
 * The node proxy's trust bundle without sockets: parsing a roots file, merging it with the roots
 * a CA answer brings, what the gRPC channels are told, what the config dump shows; and the
 * certificate manager accepting an answer anchored in a root the CA announces.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { CertificateAuthority, generateKeyAndCsr } from "../../../src/identity/index.js";
import { WorkloadCertManager } from "../../../src/ztunnel/certs.js";
import { rootsInChain } from "../../../src/ztunnel/tls.js";
import { parseRoots, TrustBundle } from "../../../src/ztunnel/trust-bundle.js";

const TD = "cluster.local";
const ID = `spiffe://${TD}/ns/shop/sa/web`;
let dir: string;
let caA: CertificateAuthority;
let caB: CertificateAuthority;
let rootA: string;
let rootB: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "ambit-trust-"));
  const log = pino({ level: "silent" });
  caA = await CertificateAuthority.open({ trustDomain: TD, stateDir: join(dir, "a"), log });
  caB = await CertificateAuthority.open({ trustDomain: TD, stateDir: join(dir, "b"), log });
  rootA = caA.trustBundle()[0]!;
  rootB = caB.trustBundle()[0]!;
});
after(() => rmSync(dir, { recursive: true, force: true }));

const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
const leafOf = (ca: CertificateAuthority) => ca.signCsr(generateKeyAndCsr(ID).csrPem, { identity: ID }).chain;

describe("parseRoots", () => {
  it("takes every root of a multi-root file, once, with text around the blocks ignored", () => {
    const roots = parseRoots(`# bundle\n${rootA}\n${rootB}${rootA}`, "roots.pem");
    assert.deepEqual(roots.map(fp), [fp(rootA), fp(rootB)]);
  });

  // Texts are built when the test runs: the roots exist only after `before`.
  const bad: [string, () => string, RegExp][] = [
    ["an empty file", () => "", /holds no PEM certificate/],
    ["a half-written block", () => rootA.slice(0, 200), /holds no PEM certificate/],
    [
      "a block that is not base64",
      () => "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
      /not valid PEM/,
    ],
    [
      "a block that is not a certificate",
      () => "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      /cannot be parsed/,
    ],
  ];
  for (const [what, text, why] of bad) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => parseRoots(text(), "roots.pem"),
        (e: Error & { code?: string }) => e.code === "ROOTS_INVALID" && why.test(e.message),
      );
    });
  }

  it("refuses a workload certificate posing as a root", () => {
    assert.throws(
      () => parseRoots(leafOf(caA)[0]!, "roots.pem"),
      /#1 in roots.pem .* is not a CA certificate/,
    );
  });
});

describe("TrustBundle", () => {
  it("trusts the union of the roots file and the latest CA answer's roots", () => {
    const b = new TrustBundle(rootA);
    const seen: string[][] = [];
    b.on("change", (r) => seen.push(r.map(fp)));
    const start = b.roots();
    assert.equal(b.setFileRoots([rootA]), false, "same roots: no change");
    assert.equal(b.roots(), start, "the same array while nothing changes (hot path)");

    assert.equal(b.setCaRoots([rootB]), true);
    assert.deepEqual(b.roots().map(fp), [fp(rootA), fp(rootB)]);
    assert.deepEqual(
      b.describe().map((r) => r.sources),
      [["file"], ["ca"]],
    );

    // The file now lists both; the CA moves on to announce only B; the file then drops A.
    b.setFileRoots([rootA, rootB]);
    b.setCaRoots([rootB]);
    assert.deepEqual(b.roots().map(fp), [fp(rootA), fp(rootB)]);
    b.setFileRoots([rootB]);
    assert.deepEqual(b.roots().map(fp), [fp(rootB)], "a root nobody announces any more is dropped");
    assert.deepEqual(seen, [[fp(rootA), fp(rootB)], [fp(rootB)]]);
  });

  it("tells gRPC channels the current roots at once and on every change", () => {
    const b = new TrustBundle(rootA);
    const updates: (string | undefined)[] = [];
    const listener = (u: { caCertificate: Buffer } | null) => updates.push(u?.caCertificate.toString());
    b.addCaCertificateListener(listener);
    b.setFileRoots([rootA, rootB]);
    b.removeCaCertificateListener(listener);
    b.setFileRoots([rootB]);
    assert.equal(updates.length, 2);
    assert.deepEqual(parseRoots(updates[0]!, "update 1").map(fp), [fp(rootA)]);
    assert.deepEqual(parseRoots(updates[1]!, "update 2").map(fp), [fp(rootA), fp(rootB)]);
  });

  it("describes roots by public facts only", () => {
    const [info] = new TrustBundle(rootA).describe();
    const x = new X509Certificate(rootA);
    assert.equal(info?.fingerprint256, x.fingerprint256);
    assert.equal(info?.serial, x.serialNumber.toLowerCase());
    assert.match(info?.subject ?? "", /O=/);
    assert.doesNotMatch(JSON.stringify(info), /BEGIN|PRIVATE/);
  });
});

describe("roots in a CA answer", () => {
  it("are its self-signed CA certificates, never the leaf or an intermediate", () => {
    const chain = leafOf(caA);
    assert.deepEqual(rootsInChain(chain).map(fp), [fp(rootA)]);
    // istiod's shape: the whole root-cert.pem at the end, possibly concatenated in one entry.
    assert.deepEqual(rootsInChain([...chain.slice(0, -1), rootA + rootB]).map(fp), [fp(rootA), fp(rootB)]);
    assert.deepEqual(rootsInChain(chain.slice(0, -1)), []);
  });

  it("a certificate anchored in a root the CA announces is accepted and the root reported", async () => {
    const announced: string[][] = [];
    const m = new WorkloadCertManager({
      // The CA now signs from root B; the proxy's bundle still holds only A.
      sign: async (req) =>
        caB.signCsr(req.csrPem, { identity: req.identity, ttlSeconds: req.ttlSeconds }).chain,
      trustBundle: () => [rootA],
      onCaRoots: (r) => announced.push(r.map(fp)),
      log: pino({ level: "silent" }),
    });
    try {
      const cert = await m.get(ID);
      assert.equal(cert.identity, ID);
      assert.deepEqual(announced, [[fp(rootB)]]);
    } finally {
      m.close();
    }
  });

  it("an answer chaining to no root at all is still refused", async () => {
    const m = new WorkloadCertManager({
      // The leaf alone: no intermediate, no root to anchor it.
      sign: async (req) => caB.signCsr(req.csrPem, { identity: req.identity }).chain.slice(0, 1),
      trustBundle: () => [rootA],
      log: pino({ level: "silent" }),
      retry: { initialMs: 60_000, maxMs: 60_000 },
    });
    try {
      await assert.rejects(m.get(ID), /does not chain to the trust bundle/);
    } finally {
      m.close();
    }
  });
});
