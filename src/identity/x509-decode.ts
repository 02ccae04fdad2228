/**
 * Reads the few fields of certificates and PKCS#10 requests that node:crypto does not expose:
 * raw subject/issuer names (to copy byte-for-byte into issued certificates, so chain building
 * matches), SubjectPublicKeyInfo, extensions (key usage, key identifiers, SANs), and the signed
 * part of a CSR. Signatures are verified by OpenSSL, never here.
 */
import { AmbitError } from "../common/errors.js";
import * as der from "./der.js";
import { OID } from "./x509-encode.js";

export interface ParsedExtension {
  critical: boolean;
  value: Buffer;
}

function readExtensions(buf: Buffer, seqNode: der.DerNode): Map<string, ParsedExtension> {
  const out = new Map<string, ParsedExtension>(); // extension OID -> value
  for (const e of der.children(buf, der.expectTag(seqNode, der.TAG.SEQUENCE, "Extensions"))) {
    const [id, second, third] = der.children(buf, e);
    const critical = second?.tag === der.TAG.BOOLEAN ? der.contents(buf, second)[0] !== 0 : false;
    const valueNode = second?.tag === der.TAG.BOOLEAN ? third : second;
    const value = der.contents(buf, der.expectTag(valueNode, der.TAG.OCTET_STRING, "extnValue"));
    out.set(der.readOid(buf, id!), { critical, value });
  }
  return out;
}

export interface CertificateFields {
  subjectDer: Buffer;
  issuerDer: Buffer;
  spkiDer: Buffer;
  extensions: Map<string, ParsedExtension>;
}

export function readCertificate(certDer: Buffer): CertificateFields {
  const cert = der.readRoot(certDer);
  const [tbsNode] = der.children(certDer, der.expectTag(cert, der.TAG.SEQUENCE, "Certificate"));
  const tbs = der.children(certDer, der.expectTag(tbsNode, der.TAG.SEQUENCE, "TBSCertificate"));
  // [0] version is optional (v1); skip it so indices line up.
  const f = tbs[0]?.tag === 0xa0 ? tbs.slice(1) : tbs;
  const [, , issuer, , subject, spki, ...rest] = f;
  const extsWrapper = rest.find((n) => n.tag === 0xa3);
  const extensions = extsWrapper
    ? readExtensions(certDer, der.children(certDer, extsWrapper)[0]!)
    : new Map<string, ParsedExtension>();
  return {
    issuerDer: der.raw(certDer, der.expectTag(issuer, der.TAG.SEQUENCE, "issuer")),
    subjectDer: der.raw(certDer, der.expectTag(subject, der.TAG.SEQUENCE, "subject")),
    spkiDer: der.raw(certDer, der.expectTag(spki, der.TAG.SEQUENCE, "subjectPublicKeyInfo")),
    extensions,
  };
}

/** KeyUsage bits present, or undefined when the extension is absent (meaning: unrestricted). */
export function keyUsageBits(exts: Map<string, ParsedExtension>): Set<number> | undefined {
  const e = exts.get(OID.keyUsage);
  if (!e) return undefined;
  const bits = der.contents(e.value, der.expectTag(der.readRoot(e.value), der.TAG.BIT_STRING, "KeyUsage"));
  const out = new Set<number>();
  for (let i = 0; i < (bits.length - 1) * 8; i++) if (bits[1 + (i >> 3)]! & (0x80 >> (i & 7))) out.add(i);
  return out;
}

export function subjectKeyId(exts: Map<string, ParsedExtension>): Buffer | undefined {
  const e = exts.get(OID.subjectKeyIdentifier);
  return e
    ? der.contents(e.value, der.expectTag(der.readRoot(e.value), der.TAG.OCTET_STRING, "SKI"))
    : undefined;
}

export interface GeneralNames {
  uris: string[];
  dnsNames: string[];
}

export function subjectAltNames(exts: Map<string, ParsedExtension>): GeneralNames {
  const out: GeneralNames = { uris: [], dnsNames: [] };
  const e = exts.get(OID.subjectAltName);
  if (!e) return out;
  for (const gn of der.children(e.value, der.expectTag(der.readRoot(e.value), der.TAG.SEQUENCE, "SAN"))) {
    if (gn.tag === 0x86) out.uris.push(der.contents(e.value, gn).toString("latin1"));
    if (gn.tag === 0x82) out.dnsNames.push(der.contents(e.value, gn).toString("latin1"));
  }
  return out;
}

export interface CsrFields {
  /** The signed CertificationRequestInfo, exactly as received. */
  infoDer: Buffer;
  signatureAlgorithm: string;
  signature: Buffer;
  spkiDer: Buffer;
  extensions: Map<string, ParsedExtension>;
}

export function readCsr(csrDer: Buffer): CsrFields {
  const root = der.readRoot(csrDer);
  const [info, alg, sig] = der.children(
    csrDer,
    der.expectTag(root, der.TAG.SEQUENCE, "CertificationRequest"),
  );
  const [version, subject, spki, attrs] = der.children(
    csrDer,
    der.expectTag(info, der.TAG.SEQUENCE, "CertificationRequestInfo"),
  );
  der.expectTag(version, der.TAG.INTEGER, "version");
  der.expectTag(subject, der.TAG.SEQUENCE, "subject");
  let extensions = new Map<string, ParsedExtension>();
  if (attrs && attrs.tag === 0xa0) {
    for (const attr of der.children(csrDer, attrs)) {
      const [type, values] = der.children(csrDer, der.expectTag(attr, der.TAG.SEQUENCE, "Attribute"));
      if (der.readOid(csrDer, type!) !== OID.extensionRequest) continue;
      const [first] = der.children(csrDer, der.expectTag(values, der.TAG.SET, "attribute values"));
      if (first) extensions = readExtensions(csrDer, first);
    }
  }
  const [algOid] = der.children(csrDer, der.expectTag(alg, der.TAG.SEQUENCE, "signatureAlgorithm"));
  return {
    infoDer: der.raw(csrDer, info!),
    signatureAlgorithm: der.readOid(csrDer, algOid!),
    signature: der.readBitStringBytes(csrDer, sig!),
    spkiDer: der.raw(csrDer, der.expectTag(spki, der.TAG.SEQUENCE, "subjectPublicKeyInfo")),
    extensions,
  };
}

/** Wraps DER_MALFORMED from the reader into a caller-specific code and message. */
export function rethrowMalformed(e: unknown, code: string, what: string, hint?: string): never {
  if (e instanceof AmbitError && e.code === "DER_MALFORMED") {
    throw new AmbitError(code, `${what}: ${e.message}`, hint, { cause: e });
  }
  throw e;
}
