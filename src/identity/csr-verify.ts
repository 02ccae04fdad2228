/**
 * Server side of a CSR: checks it before anything is signed. What the CA takes from a CSR is
 * only its public key (parsed by OpenSSL) and the proof that the requester holds the private
 * key (the CSR signature, verified by OpenSSL). Everything else in the issued certificate is
 * decided by the CA, as in Istio (security/pkg/server/ca/server.go: "the SAN is the identity of
 * the caller", the CSR only supplies the public key). The CSR's URI SANs are read so that the
 * caller can check they agree with the identity being issued.
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { AmbitError } from "../common/errors.js";
import { pemBlocks } from "./pem.js";
import { OID } from "./x509-encode.js";
import { readCsr, rethrowMalformed, subjectAltNames } from "./x509-decode.js";

/** Requests above this are refused before parsing (a P-256 CSR is ~400 bytes). */
export const MAX_CSR_PEM_BYTES = 16 * 1024;

export interface VerifiedCsr {
  publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo, copied verbatim into the certificate. */
  spkiDer: Buffer;
  uriSans: string[];
}

const HASH_OF_ALG: Record<string, "sha256" | "sha384" | "sha512"> = {
  [OID.ecdsaSha256]: "sha256",
  [OID.ecdsaSha384]: "sha384",
  [OID.ecdsaSha512]: "sha512",
};

function bad(message: string, hint?: string): AmbitError {
  return new AmbitError("CSR_INVALID", message, hint);
}

export function verifyCsr(csrPem: string): VerifiedCsr {
  if (Buffer.byteLength(csrPem, "utf8") > MAX_CSR_PEM_BYTES) {
    throw bad(`CSR is larger than ${MAX_CSR_PEM_BYTES} bytes`);
  }
  let blocks;
  try {
    blocks = pemBlocks(csrPem).filter((b) => /^(NEW )?CERTIFICATE REQUEST$/.test(b.label));
  } catch {
    throw bad("CSR is not valid PEM");
  }
  if (blocks.length !== 1) {
    throw bad(`expected one PEM "CERTIFICATE REQUEST" block, found ${blocks.length}`);
  }
  let fields;
  try {
    fields = readCsr(blocks[0]!.der);
  } catch (e) {
    rethrowMalformed(e, "CSR_INVALID", "CSR is not a PKCS#10 request");
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: fields.spkiDer, format: "der", type: "spki" });
  } catch {
    throw bad("CSR public key cannot be parsed");
  }
  const curve = publicKey.asymmetricKeyDetails?.namedCurve;
  if (publicKey.asymmetricKeyType !== "ec" || curve !== "prime256v1") {
    const kind = publicKey.asymmetricKeyType === "ec" ? `EC ${curve}` : publicKey.asymmetricKeyType;
    throw new AmbitError(
      "CSR_KEY_UNSUPPORTED",
      `CSR public key is ${kind}; workload certificates are issued for EC P-256 keys only`,
      "generate the key with EC curve P-256 (prime256v1), as ztunnel does",
    );
  }
  const hash = HASH_OF_ALG[fields.signatureAlgorithm];
  if (!hash) throw bad(`CSR signature algorithm ${fields.signatureAlgorithm} is not ECDSA with SHA-2`);
  let ok = false;
  try {
    ok = verify(hash, fields.infoDer, publicKey, fields.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw bad("CSR signature does not verify with its own public key");
  let uriSans: string[];
  try {
    uriSans = subjectAltNames(fields.extensions).uris;
  } catch (e) {
    rethrowMalformed(e, "CSR_INVALID", "CSR subjectAltName extension is malformed");
  }
  return { publicKey, spkiDer: fields.spkiDer, uriSans };
}
