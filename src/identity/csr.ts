/**
 * Client side of certificate issuance: a fresh EC P-256 key and a PKCS#10 request for a SPIFFE
 * identity, as ztunnel's CA client builds it (istio/ztunnel src/tls/csr.rs): P-256 key, empty
 * subject, the identity as a critical URI SAN, signed with ECDSA-SHA256. The key is PKCS#8 PEM,
 * the format ztunnel's certificate loader expects.
 */
import { generateP256KeyPair } from "./keygen.js";
import { pemEncode } from "./pem.js";
import { parseSpiffeId } from "./spiffe.js";
import { signCsr, signerFor, subjectAltName } from "./x509-encode.js";

export interface KeyAndCsr {
  /** PKCS#8 "PRIVATE KEY" PEM. Secret: never log it. */
  keyPem: string;
  /** "CERTIFICATE REQUEST" PEM. */
  csrPem: string;
}

export function generateKeyAndCsr(spiffeId: string): KeyAndCsr {
  parseSpiffeId(spiffeId);
  const { privateKey, pkcs8Der, spkiDer } = generateP256KeyPair();
  const csr = signCsr(
    Buffer.from([0x30, 0x00]), // empty subject: the identity is the SAN
    spkiDer,
    [subjectAltName({ uris: [spiffeId] }, true)],
    signerFor(privateKey),
  );
  return {
    keyPem: pemEncode("PRIVATE KEY", pkcs8Der),
    csrPem: pemEncode("CERTIFICATE REQUEST", csr),
  };
}
