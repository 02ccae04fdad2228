/**
 * Builds and signs X.509 v3 certificates (RFC 5280 §4.1) and PKCS#10 requests (RFC 2986) from
 * plain templates. Encoding is done by der.ts; signing by OpenSSL via node:crypto (synchronous:
 * an ECDSA P-256 signature costs ~30 µs, cheaper than a thread-pool round trip).
 */
import { createHash, randomFillSync, sign, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
import { AmbitError } from "../common/errors.js";
import * as der from "./der.js";

export const OID = {
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  extensionRequest: "1.2.840.113549.1.9.14",
  ecdsaSha256: "1.2.840.10045.4.3.2",
  ecdsaSha384: "1.2.840.10045.4.3.3",
  ecdsaSha512: "1.2.840.10045.4.3.4",
  sha256WithRsa: "1.2.840.113549.1.1.11",
} as const;

/** RFC 5280 §4.2.1.3 bit positions. */
export const KeyUsage = {
  digitalSignature: 0,
  keyEncipherment: 2,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

export interface Extension {
  oid: string;
  critical: boolean;
  /** DER of the extension value (the contents of extnValue's OCTET STRING). */
  value: Buffer;
}

export function extension(oid: string, critical: boolean, value: Buffer): Extension {
  return { oid, critical, value };
}

function encodeExtension(e: Extension): Buffer {
  // DEFAULT FALSE must be omitted in DER (X.690 §11.5).
  return e.critical
    ? der.seq(der.oid(e.oid), der.bool(true), der.octets(e.value))
    : der.seq(der.oid(e.oid), der.octets(e.value));
}

export const encodeExtensions = (exts: Extension[]): Buffer => der.seq(...exts.map(encodeExtension));

/** Distinguished name with at most CN and O; the empty name is `der.seq()`. */
export function nameDer(parts: { commonName?: string; organization?: string }): Buffer {
  const rdns: Buffer[] = [];
  if (parts.organization)
    rdns.push(der.set(der.seq(der.oid(OID.organization), der.utf8(parts.organization))));
  if (parts.commonName) rdns.push(der.set(der.seq(der.oid(OID.commonName), der.utf8(parts.commonName))));
  return der.seq(...rdns);
}

export function basicConstraints(ca: boolean, pathLen?: number): Extension {
  const inner: Buffer[] = ca ? [der.bool(true)] : [];
  if (ca && pathLen !== undefined) inner.push(der.smallInt(pathLen));
  return extension(OID.basicConstraints, true, der.seq(...inner));
}

/** KeyUsage BIT STRING with trailing zero bits trimmed, as DER requires. */
export function keyUsage(bits: number[]): Extension {
  const bytes = Buffer.alloc(2);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  const used = bytes[1] ? 2 : 1;
  const last = bytes[used - 1]!;
  let unused = 0;
  while (unused < 7 && !(last & (1 << unused))) unused++;
  const body = Buffer.concat([Buffer.from([unused]), bytes.subarray(0, used)]);
  return extension(OID.keyUsage, true, der.tlv(der.TAG.BIT_STRING, body));
}

export function extKeyUsage(oids: string[]): Extension {
  return extension(OID.extKeyUsage, false, der.seq(...oids.map((o) => der.oid(o))));
}

export interface SubjectAltNames {
  uris?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
}

/**
 * subjectAltName; critical when the subject is empty (RFC 5280 §4.2.1.6), which is how Istio
 * and ztunnel issue workload certificates: the identity lives only in the URI SAN.
 */
export function subjectAltName(names: SubjectAltNames, critical: boolean): Extension {
  const items: Buffer[] = [];
  for (const d of names.dnsNames ?? []) items.push(der.implicit(2, Buffer.from(d, "ascii")));
  for (const u of names.uris ?? []) items.push(der.implicit(6, Buffer.from(u, "ascii")));
  for (const ip of names.ipAddresses ?? []) items.push(der.implicit(7, ipBytes(ip)));
  return extension(OID.subjectAltName, critical, der.seq(...items));
}

export const subjectKeyIdentifier = (keyId: Buffer): Extension =>
  extension(OID.subjectKeyIdentifier, false, der.octets(keyId));

export const authorityKeyIdentifier = (keyId: Buffer): Extension =>
  extension(OID.authorityKeyIdentifier, false, der.seq(der.implicit(0, keyId)));

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdOfSpki(spkiDer: Buffer): Buffer {
  const root = der.readRoot(spkiDer);
  const [, bits] = der.children(spkiDer, root);
  return createHash("sha1").update(der.readBitStringBytes(spkiDer, bits!)).digest();
}

export function ipBytes(ip: string): Buffer {
  const kind = isIP(ip);
  if (kind === 4) return Buffer.from(ip.split(".").map(Number));
  if (kind !== 6) throw new AmbitError("IP_ADDRESS_INVALID", `"${ip}" is not an IP address`);
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split(".").map(Number);
    text = `${text.slice(0, v4.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** How a CA key signs: the AlgorithmIdentifier written into certificates, and the hash. */
export interface Signer {
  key: KeyObject;
  algorithmDer: Buffer;
  hash: "sha256" | "sha384" | "sha512";
}

/**
 * Signature algorithm follows the key, as Go's x509 does for Istio: ECDSA hash by curve size,
 * RSA with PKCS#1 v1.5 SHA-256. Other key types are refused at load time.
 */
export function signerFor(key: KeyObject): Signer {
  if (key.asymmetricKeyType === "rsa") {
    return { key, algorithmDer: der.seq(der.oid(OID.sha256WithRsa), der.derNull()), hash: "sha256" };
  }
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1")
      return { key, algorithmDer: der.seq(der.oid(OID.ecdsaSha256)), hash: "sha256" };
    if (curve === "secp384r1")
      return { key, algorithmDer: der.seq(der.oid(OID.ecdsaSha384)), hash: "sha384" };
    if (curve === "secp521r1")
      return { key, algorithmDer: der.seq(der.oid(OID.ecdsaSha512)), hash: "sha512" };
  }
  const kind =
    key.asymmetricKeyType === "ec" ? `EC ${key.asymmetricKeyDetails?.namedCurve}` : key.asymmetricKeyType;
  throw new AmbitError(
    "CA_KEY_UNSUPPORTED",
    `CA key type ${kind} is not supported`,
    "use an RSA or EC (P-256, P-384, P-521) signing key",
  );
}

/** 127 random bits, positive and non-zero (RFC 5280 §4.1.2.2: ≤ 20 octets). */
export function randomSerial(): Buffer {
  const b = randomFillSync(Buffer.alloc(16));
  b[0] = b[0]! & 0x7f;
  if (b[0] === 0) b[0] = 0x01;
  return b;
}

export interface CertificateTemplate {
  serial: Buffer;
  issuerDer: Buffer;
  subjectDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  spkiDer: Buffer;
  extensions: Extension[];
}

/** DER of a signed v3 certificate. */
export function signCertificate(t: CertificateTemplate, signer: Signer): Buffer {
  const tbs = der.seq(
    der.explicit(0, der.smallInt(2)), // v3
    der.uintBytes(t.serial),
    signer.algorithmDer,
    t.issuerDer,
    der.seq(der.time(t.notBefore), der.time(t.notAfter)),
    t.subjectDer,
    t.spkiDer,
    der.explicit(3, encodeExtensions(t.extensions)),
  );
  const signature = sign(signer.hash, tbs, signer.key);
  return der.seq(tbs, signer.algorithmDer, der.bitString(signature));
}

/** DER of a signed PKCS#10 request carrying `extensions` in an extensionRequest attribute. */
export function signCsr(
  subjectDer: Buffer,
  spkiDer: Buffer,
  extensions: Extension[],
  signer: Signer,
): Buffer {
  const attributes = der.explicit(
    0,
    der.seq(der.oid(OID.extensionRequest), der.set(encodeExtensions(extensions))),
  );
  const info = der.seq(der.smallInt(0), subjectDer, spkiDer, attributes);
  const signature = sign(signer.hash, info, signer.key);
  return der.seq(info, signer.algorithmDer, der.bitString(signature));
}
