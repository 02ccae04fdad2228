/**
 * Minimal DER (ITU-T X.690) writer and reader for the few X.509 / PKCS#10 structures the CA
 * builds and reads. Why not an ASN.1 library: @peculiar/x509 measured ~1.3 ms per issued
 * certificate (asn1js object trees), which alone misses the ≥500 certificates/s target; the
 * structures here are fixed and small. All cryptography (signatures, key parsing) stays with
 * OpenSSL through node:crypto — this file only moves bytes.
 *
 * The reader is strict (definite lengths, bounds-checked, low tag numbers only) and never
 * trusts a length it has not checked against the buffer.
 */
import { AmbitError } from "../common/errors.js";

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

function encodeLength(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV: tag, definite length, concatenated contents. */
export function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = contents.length === 1 ? contents[0]! : Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

export const seq = (...items: Buffer[]): Buffer => tlv(TAG.SEQUENCE, ...items);
export const set = (...items: Buffer[]): Buffer => tlv(TAG.SET, ...items);
export const octets = (b: Buffer): Buffer => tlv(TAG.OCTET_STRING, b);
export const utf8 = (s: string): Buffer => tlv(TAG.UTF8_STRING, Buffer.from(s, "utf8"));
export const bool = (v: boolean): Buffer => tlv(TAG.BOOLEAN, Buffer.from([v ? 0xff : 0x00]));
export const derNull = (): Buffer => Buffer.from([TAG.NULL, 0x00]);
/** BIT STRING with zero unused bits (signatures, public keys). */
export const bitString = (b: Buffer): Buffer => tlv(TAG.BIT_STRING, Buffer.from([0]), b);
/** [n] EXPLICIT / constructed context tag. */
export const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);
/** [n] IMPLICIT primitive context tag (GeneralName choices, key identifiers). */
export const implicit = (n: number, raw: Buffer): Buffer => tlv(0x80 | n, raw);

/** Non-negative INTEGER from big-endian magnitude bytes (minimal encoding). */
export function uintBytes(mag: Buffer): Buffer {
  let i = 0;
  while (i < mag.length - 1 && mag[i] === 0) i++;
  const m = mag.subarray(i);
  return tlv(TAG.INTEGER, (m[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), m]) : m);
}

export function smallInt(n: number): Buffer {
  const hex = n.toString(16);
  return uintBytes(Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex"));
}

const oidCache = new Map<string, Buffer>(); // dotted OID -> DER TLV
export function oid(dotted: string): Buffer {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  const arcs = dotted.split(".").map(Number);
  const out: number[] = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const group: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) group.unshift(0x80 | (v & 0x7f));
    out.push(...group);
  }
  const enc = tlv(TAG.OID, Buffer.from(out));
  oidCache.set(dotted, enc);
  return enc;
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always Zulu seconds. */
export function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "");
  const year = d.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(TAG.UTC_TIME, Buffer.from(`${digits.slice(2)}Z`, "ascii"));
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(`${digits}Z`, "ascii"));
}

// ---------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------

/** A decoded TLV pointing into the source buffer. */
export interface DerNode {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the contents. */
  end: number;
}

function malformed(what: string): AmbitError {
  return new AmbitError("DER_MALFORMED", `malformed DER: ${what}`);
}

export function readNode(buf: Buffer, at: number, limit = buf.length): DerNode {
  if (at + 2 > limit) throw malformed("truncated header");
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) throw malformed("high tag numbers are not supported");
  let len = buf[at + 1]!;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw malformed("indefinite or oversized length");
    if (p + n > limit) throw malformed("truncated length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > limit) throw malformed("length runs past the end of the data");
  return { tag, start: at, contentStart: p, end: p + len };
}

/** The children of a constructed node, in order. */
export function children(buf: Buffer, parent: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let p = parent.contentStart; p < parent.end;) {
    const n = readNode(buf, p, parent.end);
    out.push(n);
    p = n.end;
  }
  return out;
}

export function expectTag(n: DerNode | undefined, tag: number, what: string): DerNode {
  if (!n || n.tag !== tag) throw malformed(`expected ${what}`);
  return n;
}

export const contents = (buf: Buffer, n: DerNode): Buffer => buf.subarray(n.contentStart, n.end);
export const raw = (buf: Buffer, n: DerNode): Buffer => buf.subarray(n.start, n.end);

export function readOid(buf: Buffer, n: DerNode): string {
  const b = contents(buf, expectTag(n, TAG.OID, "OBJECT IDENTIFIER"));
  if (b.length === 0) throw malformed("empty OID");
  const arcs: number[] = [];
  let v = 0;
  for (const byte of b) {
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const a0 = first < 80 ? Math.floor(first / 40) : 2;
  return [a0, first - 40 * a0, ...arcs].join(".");
}

/** Contents of a BIT STRING that must have no unused bits (keys, signatures). */
export function readBitStringBytes(buf: Buffer, n: DerNode): Buffer {
  const b = contents(buf, expectTag(n, TAG.BIT_STRING, "BIT STRING"));
  if (b.length < 1 || b[0] !== 0) throw malformed("BIT STRING with unused bits");
  return b.subarray(1);
}

/** Parse a single top-level element and insist nothing trails it. */
export function readRoot(buf: Buffer): DerNode {
  const n = readNode(buf, 0);
  if (n.end !== buf.length) throw malformed("trailing data");
  return n;
}
