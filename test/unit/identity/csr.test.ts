import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { describe, test } from "node:test";
import { isAmbitError } from "../../../src/common/errors.js";
import { generateKeyAndCsr } from "../../../src/identity/csr.js";
import { verifyCsr } from "../../../src/identity/csr-verify.js";

const ID = "spiffe://cluster.local/ns/default/sa/httpbin";

function opensslCsr(keyArgs: string[], san?: string): string {
  const args = ["req", "-new", ...keyArgs, "-nodes", "-keyout", "/dev/null", "-subj", "/CN=workload"];
  if (san) args.push("-addext", `subjectAltName=${san}`);
  return execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
}

describe("generateKeyAndCsr (client side)", () => {
  test("openssl accepts the CSR and sees the identity as a critical URI SAN", () => {
    const { csrPem } = generateKeyAndCsr(ID);
    const text = execFileSync("openssl", ["req", "-verify", "-noout", "-text"], {
      input: csrPem,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
    });
    assert.match(
      text,
      /Subject Alternative Name: critical\s+URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/httpbin/,
    );
    assert.match(text, /NIST CURVE: P-256/);
    assert.match(text, /ecdsa-with-SHA256/);
  });

  test("the key is PKCS#8 EC P-256 and matches the CSR", () => {
    const { keyPem, csrPem } = generateKeyAndCsr(ID);
    assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----/);
    const key = createPrivateKey(keyPem);
    assert.equal(key.asymmetricKeyDetails?.namedCurve, "prime256v1");
    const fromCsr = verifyCsr(csrPem);
    assert.deepEqual(
      createPublicKey(key).export({ format: "der", type: "spki" }),
      fromCsr.publicKey.export({ format: "der", type: "spki" }),
    );
    assert.deepEqual(fromCsr.uriSans, [ID]);
  });

  test("refuses an invalid SPIFFE ID", () => {
    assert.throws(
      () => generateKeyAndCsr("spiffe://cluster.local/default/httpbin"),
      /SPIFFE|workload identity/,
    );
  });
});

describe("verifyCsr (server side)", () => {
  const code = (c: string) => (e: unknown) => isAmbitError(e) && e.code === c;

  test("accepts an openssl-made P-256 CSR and reads its URI SAN", () => {
    const csr = opensslCsr(
      ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
      `URI:${ID}, DNS:x.example`,
    );
    assert.deepEqual(verifyCsr(csr).uriSans, [ID]);
  });

  test("accepts a CSR without SANs (identity then comes from the request)", () => {
    const csr = opensslCsr(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    assert.deepEqual(verifyCsr(csr).uriSans, []);
  });

  test("refuses RSA and other curves, saying which key it got", () => {
    assert.throws(
      () => verifyCsr(opensslCsr(["-newkey", "rsa:2048"], `URI:${ID}`)),
      (e: unknown) => code("CSR_KEY_UNSUPPORTED")(e) && /is rsa; .*EC P-256/.test((e as Error).message),
    );
    assert.throws(
      () => verifyCsr(opensslCsr(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"], `URI:${ID}`)),
      (e: unknown) => code("CSR_KEY_UNSUPPORTED")(e) && /EC secp384r1/.test((e as Error).message),
    );
  });

  test("refuses a CSR whose signature does not verify", () => {
    const { csrPem } = generateKeyAndCsr(ID);
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
    // Change the requested identity after signing: still well-formed, no longer signed.
    const at = der.indexOf("httpbin");
    der[at] = "x".charCodeAt(0);
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    assert.throws(
      () => verifyCsr(tampered),
      (e: unknown) => code("CSR_INVALID")(e) && /signature does not verify/.test((e as Error).message),
    );
  });

  const garbage: Array<[string, string]> = [
    ["empty", ""],
    ["not PEM", "hello"],
    ["bad base64", "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----"],
    ["truncated DER", "-----BEGIN CERTIFICATE REQUEST-----\nMIIBADCB\n-----END CERTIFICATE REQUEST-----"],
    ["a certificate instead", "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----"],
    ["two requests", `${generateKeyAndCsr(ID).csrPem}${generateKeyAndCsr(ID).csrPem}`],
    ["huge", "A".repeat(20_000)],
  ];
  for (const [name, pem] of garbage) {
    test(`refuses garbage: ${name}`, () => {
      assert.throws(() => verifyCsr(pem), code("CSR_INVALID"));
    });
  }
});
