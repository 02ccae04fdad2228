import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isAmbitError } from "../../../src/common/errors.js";
import { CertificateAuthority } from "../../../src/identity/ca.js";
import { generateKeyAndCsr } from "../../../src/identity/csr.js";
import { makeRoot, makeSigned, opensslVerify, writeCacerts, type CertAndKey } from "./openssl-pki.js";

const ID = "spiffe://cluster.local/ns/default/sa/httpbin";
let work: string;
let root: CertAndKey;
let intermediate: CertAndKey;
let otherRoot: CertAndKey;
let n = 0;

before(() => {
  work = mkdtempSync(join(tmpdir(), "ambit-plugin-"));
  root = makeRoot(work, "root");
  intermediate = makeSigned(work, "intermediate", root);
  otherRoot = makeRoot(work, "other-root");
});
after(() => rmSync(work, { recursive: true, force: true }));

/** A fresh cacerts dir with the good layout, then `mutate` breaks something. */
function cacerts(mutate?: (dir: string) => void): string {
  const dir = join(work, `cacerts-${n++}`);
  writeCacerts(dir, intermediate, [intermediate.certPem, root.certPem], [root.certPem]);
  mutate?.(dir);
  return dir;
}

const open = (pluginCertsDir: string, now?: () => Date) =>
  CertificateAuthority.open({
    trustDomain: "cluster.local",
    stateDir: join(work, "state"),
    pluginCertsDir,
    now,
  });

/** Rejects with `code`, and the message names `file`. */
const failsWith = (code: string, file: RegExp) => (e: unknown) => {
  assert.ok(isAmbitError(e), String(e));
  assert.equal(e.code, code, e.message);
  assert.match(e.message, file);
  return true;
};

describe("plug-in CA: good bundles", () => {
  test("RSA root + intermediate (Istio's sample layout) signs certs the operator's root verifies", async () => {
    const rsaRoot = makeRoot(work, "rsa-root", "rsa");
    const rsaInt = makeSigned(work, "rsa-int", rsaRoot, { kind: "rsa" });
    const dir = join(work, "cacerts-rsa");
    writeCacerts(dir, rsaInt, [rsaInt.certPem, rsaRoot.certPem], [rsaRoot.certPem]);
    const ca = await open(dir);
    assert.equal(ca.mode, "plugin");
    const cert = ca.signCsr(generateKeyAndCsr(ID).csrPem, { identity: ID });
    assert.equal(cert.chain.length, 3, "leaf, intermediate, root");
    assert.equal(
      new X509Certificate(cert.chain[1]!).fingerprint256,
      new X509Certificate(rsaInt.certPem).fingerprint256,
    );
    assert.equal(
      new X509Certificate(cert.chain[2]!).fingerprint256,
      new X509Certificate(rsaRoot.certPem).fingerprint256,
    );
    const v = opensslVerify(work, rsaRoot.certPem, cert.chain);
    assert.ok(v.ok, v.output);
    assert.match(
      execFileSync("openssl", ["x509", "-noout", "-text"], { input: cert.chain[0], encoding: "utf8" }),
      /sha256WithRSAEncryption/,
    );
  });

  test("two-level intermediates: the full path is returned, once, in order", async () => {
    const int2 = makeSigned(work, "int2", intermediate);
    const dir = join(work, "cacerts-2level");
    writeCacerts(dir, int2, [int2.certPem, intermediate.certPem, root.certPem], [root.certPem]);
    const cert = (await open(dir)).signCsr(generateKeyAndCsr(ID).csrPem, { identity: ID });
    const subjects = cert.chain.slice(1).map((p) => new X509Certificate(p).subject.split("\n").pop());
    assert.deepEqual(subjects, ["CN=int2", "CN=intermediate", "CN=root"]);
    const v = opensslVerify(work, root.certPem, cert.chain);
    assert.ok(v.ok, v.output);
  });

  test("a leaf never outlives the signing certificate", async () => {
    const shortInt = makeSigned(work, "short-int", root, { days: 1 });
    const dir = join(work, "cacerts-short");
    writeCacerts(dir, shortInt, [shortInt.certPem, root.certPem], [root.certPem]);
    const cert = (await open(dir)).signCsr(generateKeyAndCsr(ID).csrPem, {
      identity: ID,
      ttlSeconds: 7 * 24 * 3600,
    });
    assert.equal(cert.notAfter.getTime(), Date.parse(new X509Certificate(shortInt.certPem).validTo));
  });

  test("the trust bundle is every root in root-cert.pem", async () => {
    const ca = await open(
      cacerts((d) => writeFileSync(join(d, "root-cert.pem"), root.certPem + otherRoot.certPem)),
    );
    assert.equal(ca.trustBundle().length, 2);
  });
});

describe("plug-in CA: load errors name the file", () => {
  for (const file of ["ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"]) {
    test(`missing ${file}`, async () => {
      await assert.rejects(
        open(cacerts((d) => rmSync(join(d, file)))),
        failsWith("CA_FILE_MISSING", new RegExp(file)),
      );
    });
  }

  test("key does not match the certificate", async () => {
    const dir = cacerts((d) => execFileSync("cp", [otherRoot.keyFile, join(d, "ca-key.pem")]));
    await assert.rejects(
      open(dir),
      failsWith("CA_KEY_MISMATCH", /ca-key\.pem does not match certificate .*ca-cert\.pem/),
    );
  });

  test("signing certificate is not a CA", async () => {
    const leaf = makeSigned(work, "not-a-ca", root, { ca: false });
    const dir = join(work, "cacerts-leaf");
    writeCacerts(dir, leaf, [leaf.certPem, root.certPem], [root.certPem]);
    await assert.rejects(open(dir), failsWith("CA_CERT_NOT_CA", /ca-cert\.pem/));
  });

  test("signing certificate does not chain to root-cert.pem", async () => {
    const dir = cacerts((d) => writeFileSync(join(d, "root-cert.pem"), otherRoot.certPem));
    await assert.rejects(open(dir), failsWith("CA_CHAIN_INVALID", /root-cert\.pem/));
  });

  test("cert-chain.pem lacks an intermediate", async () => {
    const int2 = makeSigned(work, "int2b", intermediate);
    const dir = join(work, "cacerts-gap");
    writeCacerts(dir, int2, [int2.certPem, root.certPem], [root.certPem]);
    await assert.rejects(
      open(dir),
      failsWith("CA_CHAIN_INVALID", /CN=int2b.*cert-chain\.pem|cert-chain\.pem/s),
    );
  });

  test("garbage instead of PEM", async () => {
    const dir = cacerts((d) => writeFileSync(join(d, "root-cert.pem"), "not a certificate\n"));
    await assert.rejects(open(dir), failsWith("CA_FILE_INVALID", /root-cert\.pem/));
  });

  test("certificate that is not DER inside valid PEM", async () => {
    const dir = cacerts((d) =>
      writeFileSync(join(d, "ca-cert.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
    );
    await assert.rejects(open(dir), failsWith("CA_FILE_INVALID", /ca-cert\.pem/));
  });

  test("encrypted key", async () => {
    const dir = cacerts((d) =>
      execFileSync("openssl", [
        "pkey",
        "-in",
        intermediate.keyFile,
        "-aes256",
        "-passout",
        "pass:x",
        "-out",
        join(d, "ca-key.pem"),
      ]),
    );
    await assert.rejects(open(dir), failsWith("CA_KEY_INVALID", /ca-key\.pem .*encrypted/));
  });

  test("expired intermediate", async () => {
    const later = new Date(Date.now() + 400 * 24 * 3600 * 1000);
    await assert.rejects(
      open(cacerts(), () => later),
      failsWith("CA_CERT_EXPIRED", /CN=intermediate.*ca-cert\.pem/s),
    );
  });

  test("not yet valid", async () => {
    const earlier = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    await assert.rejects(
      open(cacerts(), () => earlier),
      failsWith("CA_CERT_NOT_YET_VALID", /ca-cert\.pem/),
    );
  });
});
