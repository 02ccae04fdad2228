import assert from "node:assert/strict";
import { createPublicKey, sign, verify } from "node:crypto";
import { describe, test } from "node:test";
import { generateP256KeyPair } from "../../../src/identity/keygen.js";
import { signerFor } from "../../../src/identity/x509-encode.js";

describe("generateP256KeyPair", () => {
  test("gives a P-256 key whose encodings and KeyObject are the same key", () => {
    const { privateKey, pkcs8Der, spkiDer } = generateP256KeyPair();
    assert.equal(privateKey.asymmetricKeyType, "ec");
    assert.equal(privateKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
    assert.deepEqual(privateKey.export({ format: "der", type: "pkcs8" }), pkcs8Der);
    assert.deepEqual(createPublicKey(privateKey).export({ format: "der", type: "spki" }), spkiDer);
  });

  test("the key signs as ECDSA-SHA256 and its public key verifies the signature", () => {
    const { privateKey, spkiDer } = generateP256KeyPair();
    const signer = signerFor(privateKey);
    assert.equal(signer.hash, "sha256");
    const data = Buffer.from("to be signed");
    const signature = sign(signer.hash, data, signer.key);
    const publicKey = createPublicKey({ key: spkiDer, format: "der", type: "spki" });
    assert.ok(verify("sha256", data, publicKey, signature));
  });

  test("every pair is fresh", () => {
    assert.notDeepEqual(generateP256KeyPair().spkiDer, generateP256KeyPair().spkiDer);
  });
});
