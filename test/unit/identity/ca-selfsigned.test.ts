import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { isAmbitError } from "../../../src/common/errors.js";
import { CertificateAuthority } from "../../../src/identity/ca.js";

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), "ambit-ca-"));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("self-signed CA", () => {
  test("first start creates a root in <stateDir>/ca with a private key file", async () => {
    const stateDir = tempDir();
    const ca = await CertificateAuthority.open({ trustDomain: "cluster.local", stateDir });
    assert.equal(ca.mode, "self-signed");
    const certFile = join(stateDir, "ca", "root-cert.pem");
    const keyFile = join(stateDir, "ca", "ca-key.pem");
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(stateDir, "ca")).mode & 0o777, 0o700);
    const root = new X509Certificate(readFileSync(certFile));
    assert.equal(root.ca, true);
    assert.match(root.subject, /O=cluster.local/);
    assert.equal(root.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
    assert.ok(Date.parse(root.validTo) - Date.now() > 9 * 365 * 24 * 3600 * 1000, "root lives ~10 years");
    assert.deepEqual(ca.trustBundle(), [readFileSync(certFile, "utf8")]);
    // Never written to the key file's neighbours: only the two files exist.
    assert.match(readFileSync(keyFile, "utf8"), /BEGIN PRIVATE KEY/);
  });

  test("the next start reuses the same root", async () => {
    const stateDir = tempDir();
    const first = await CertificateAuthority.open({ trustDomain: "cluster.local", stateDir });
    const second = await CertificateAuthority.open({ trustDomain: "cluster.local", stateDir });
    assert.deepEqual(second.trustBundle(), first.trustBundle());
  });

  test("half a CA (key deleted) is refused, naming the missing file", async () => {
    const stateDir = tempDir();
    await CertificateAuthority.open({ trustDomain: "cluster.local", stateDir });
    rmSync(join(stateDir, "ca", "ca-key.pem"));
    await assert.rejects(
      CertificateAuthority.open({ trustDomain: "cluster.local", stateDir }),
      (e: unknown) => isAmbitError(e) && e.code === "CA_FILE_MISSING" && e.message.includes("ca-key.pem"),
    );
  });

  test("an invalid trust domain is refused before anything is written", async () => {
    const stateDir = tempDir();
    await assert.rejects(CertificateAuthority.open({ trustDomain: "Bad Domain", stateDir }), /trust domain/);
  });
});
