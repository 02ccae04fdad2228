import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isAmbitError } from "../../../src/common/errors.js";
import { CertificateAuthority } from "../../../src/identity/ca.js";
import { generateKeyAndCsr } from "../../../src/identity/csr.js";
import { opensslVerify } from "./openssl-pki.js";

const ID = "spiffe://cluster.local/ns/default/sa/httpbin";
const HOUR = 3600 * 1000;
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);

let dir: string;
let ca: CertificateAuthority;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "ambit-sign-"));
  ca = await CertificateAuthority.open({
    trustDomain: "cluster.local",
    stateDir: dir,
    maxTtlSeconds: 48 * 3600,
    now: () => NOW,
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const text = (pem: string): string =>
  execFileSync("openssl", ["x509", "-noout", "-text"], { input: pem, encoding: "utf8" });

describe("workload certificate signing", () => {
  test("leaf carries exactly the SPIFFE ID, is not a CA, and serves both mTLS ends", () => {
    const cert = ca.signCsr(generateKeyAndCsr(ID).csrPem, { identity: ID });
    const leaf = new X509Certificate(cert.chain[0]!);
    assert.equal(leaf.subjectAltName, `URI:${ID}`);
    assert.equal(leaf.ca, false);
    assert.ok(!leaf.subject, "empty subject: the identity lives only in the SAN");
    const t = text(cert.chain[0]!);
    assert.match(t, /Subject Alternative Name: critical/);
    assert.match(t, /Basic Constraints: critical\s+CA:FALSE/);
    assert.match(t, /Key Usage: critical\s+Digital Signature, Key Encipherment/);
    assert.match(t, /Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(t, /Subject Key Identifier/);
    assert.match(t, /Authority Key Identifier/);
    assert.equal(opensslVerify(dir, ca.trustBundle().join(""), cert.chain, "sslclient").ok, true);
    assert.equal(opensslVerify(dir, ca.trustBundle().join(""), cert.chain, "sslserver").ok, true);
  });

  test("chain is leaf first, root last (Istio's cert_chain order)", () => {
    const cert = ca.signCsr(generateKeyAndCsr(ID).csrPem, { identity: ID });
    assert.equal(cert.chain.length, 2);
    assert.equal(cert.chain[1], ca.trustBundle()[0]);
    assert.ok(new X509Certificate(cert.chain[0]!).checkIssued(new X509Certificate(cert.chain[1]!)));
  });

  test("the public key is the CSR's", () => {
    const { keyPem, csrPem } = generateKeyAndCsr(ID);
    const leaf = new X509Certificate(ca.signCsr(csrPem, { identity: ID }).chain[0]!);
    assert.equal(leaf.checkPrivateKey(createPrivateKey(keyPem)), true);
  });

  test("serial numbers are random and distinct", () => {
    const serials = new Set(
      Array.from({ length: 20 }, () => ca.signCsr(generateKeyAndCsr(ID).csrPem, { identity: ID }).serial),
    );
    assert.equal(serials.size, 20);
    for (const s of serials) assert.ok(s.length >= 30, `serial ${s} has ~127 bits`);
  });

  const ttlCases: Array<[string, number | undefined, number]> = [
    ["absent → default 24h", undefined, 24],
    ["0 → default 24h", 0, 24],
    ["1h as asked", 3600, 1],
    ["above the maximum → capped at 48h", 30 * 24 * 3600, 48],
  ];
  for (const [name, ttlSeconds, hours] of ttlCases) {
    test(`validity: ${name}, backdated one minute`, () => {
      const cert = ca.signCsr(generateKeyAndCsr(ID).csrPem, { identity: ID, ttlSeconds });
      assert.equal(cert.notAfter.getTime() - NOW.getTime(), hours * HOUR);
      assert.equal(NOW.getTime() - cert.notBefore.getTime(), 60_000);
      const leaf = new X509Certificate(cert.chain[0]!);
      assert.equal(Date.parse(leaf.validTo), cert.notAfter.getTime());
      assert.equal(Date.parse(leaf.validFrom), cert.notBefore.getTime());
    });
  }

  test("negative validity is refused", () => {
    assert.throws(
      () => ca.signCsr(generateKeyAndCsr(ID).csrPem, { identity: ID, ttlSeconds: -5 }),
      (e: unknown) => isAmbitError(e) && e.code === "CERT_TTL_INVALID",
    );
  });

  test("identities outside the trust domain are refused", () => {
    const other = "spiffe://evil.example/ns/default/sa/httpbin";
    assert.throws(
      () => ca.signCsr(generateKeyAndCsr(other).csrPem, { identity: other }),
      (e: unknown) => isAmbitError(e) && e.code === "IDENTITY_FOREIGN_TRUST_DOMAIN",
    );
  });

  test("the issued SAN is the identity given by the caller, whatever else the CSR asked", () => {
    const cert = ca.signCsr(generateKeyAndCsr("spiffe://cluster.local/ns/x/sa/y").csrPem, { identity: ID });
    assert.equal(new X509Certificate(cert.chain[0]!).subjectAltName, `URI:${ID}`);
  });
});

describe("serving certificate", () => {
  test("has DNS and IP SANs, a matching key, and a chain without the root", () => {
    const s = ca.issueServingCert({
      dnsNames: ["ambit-controlplane", "localhost"],
      ipAddresses: ["127.0.0.1", "::1"],
    });
    const leaf = new X509Certificate(s.certChainPem);
    assert.equal(
      leaf.subjectAltName,
      "DNS:ambit-controlplane, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
    );
    assert.equal(leaf.checkPrivateKey(createPrivateKey(s.keyPem)), true);
    assert.equal(s.certChainPem.match(/BEGIN CERTIFICATE/g)?.length, 1);
    assert.equal(leaf.checkHost("localhost"), "localhost");
    assert.equal(leaf.checkIP("127.0.0.1"), "127.0.0.1");
    assert.equal(opensslVerify(dir, s.rootsPem, [s.certChainPem, s.rootsPem], "sslserver").ok, true);
  });

  test("needs at least one name", () => {
    assert.throws(() => ca.issueServingCert({}), /at least one/);
  });
});
