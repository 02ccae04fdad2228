/**
 * Leaf certificates, as Istio issues workload certificates (security/pkg/pki/util/
 * generate_cert.go `genCertTemplateFromCSR`): not a CA, keyUsage digitalSignature +
 * keyEncipherment, extKeyUsage serverAuth + clientAuth (one cert serves both ends of mTLS),
 * random serial, public key from the CSR, the identity only in the SAN. Additions: empty
 * subject with a critical SAN (RFC 5280 §4.2.1.6), SKI/AKI for path building, a small backdate
 * for peers whose clocks lag, and never a notAfter beyond the CA chain's own expiry.
 */
import type { CaMaterial } from "./ca-material.js";
import { pemEncode } from "./pem.js";
import * as x509 from "./x509-encode.js";

export interface LeafRequest {
  spkiDer: Buffer;
  sans: x509.SubjectAltNames;
  ttlMs: number;
  backdateMs: number;
  now: Date;
}

export interface IssuedCertificate {
  /** PEM certificates, one per entry: leaf first, then intermediates, the root last. */
  chain: string[];
  /** Hex serial number, for logs and revocation lists. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

const EMPTY_NAME = Buffer.from([0x30, 0x00]);

export function issueLeaf(m: CaMaterial, r: LeafRequest): IssuedCertificate {
  const serial = x509.randomSerial();
  const notBefore = new Date(r.now.getTime() - r.backdateMs);
  const notAfter = new Date(Math.min(r.now.getTime() + r.ttlMs, m.notAfter.getTime()));
  const cert = x509.signCertificate(
    {
      serial,
      issuerDer: m.issuerDer,
      subjectDer: EMPTY_NAME,
      notBefore,
      notAfter,
      spkiDer: r.spkiDer,
      extensions: [
        x509.basicConstraints(false),
        x509.keyUsage([x509.KeyUsage.digitalSignature, x509.KeyUsage.keyEncipherment]),
        x509.extKeyUsage([x509.OID.serverAuth, x509.OID.clientAuth]),
        x509.subjectKeyIdentifier(x509.keyIdOfSpki(r.spkiDer)),
        x509.authorityKeyIdentifier(m.authorityKeyId),
        x509.subjectAltName(r.sans, true),
      ],
    },
    m.signer,
  );
  return {
    chain: [pemEncode("CERTIFICATE", cert), ...m.chainPems],
    serial: serial.toString("hex"),
    notBefore,
    notAfter,
  };
}
