/**
 * Fresh EC P-256 key pairs (workload keys, serving keys, the self-signed root), with a private
 * KeyObject that no key generation job shares.
 *
 * Why not use the KeyObjects generateKeyPairSync returns: in Node.js 20 those share their key
 * data's lock with the key generation job that made them, and the job is garbage as soon as the
 * call returns. Reading `asymmetricKeyDetails` (which `signerFor` does) takes that lock and
 * allocates a string while holding it; when that allocation starts a garbage collection which
 * destroys the job, the job's destructor waits for the same lock, and the process hangs for
 * good. Seen in the control plane bench, which generates 2,000 CSRs: its process sat idle,
 * and gdb showed KeyObjectHandle::GetKeyDetail -> GC -> ~KeyGenJob -> uv_mutex_lock. A node
 * proxy makes a key and a CSR per workload identity, so it could hang the same way. Asking the
 * job for encodings and importing the private key again gives a key with a lock of its own.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";

export interface P256KeyPair {
  /** Imported from `pkcs8Der`: shares nothing with the generation job. Secret. */
  privateKey: KeyObject;
  /** PKCS#8 DER of the private key. Secret: never log it. */
  pkcs8Der: Buffer;
  /** SubjectPublicKeyInfo DER of the public key. */
  spkiDer: Buffer;
}

export function generateP256KeyPair(): P256KeyPair {
  const { privateKey: pkcs8Der, publicKey: spkiDer } = generateKeyPairSync("ec", {
    namedCurve: "P-256",
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "der" },
  });
  return {
    privateKey: createPrivateKey({ key: pkcs8Der, format: "der", type: "pkcs8" }),
    pkcs8Der,
    spkiDer,
  };
}
