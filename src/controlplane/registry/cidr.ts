/**
 * IP addresses and CIDR blocks as integers (bigint), for address allocation and for normalizing
 * the ipBlocks of an AuthorizationPolicy. IPv4 and IPv6 are both handled; an address is only
 * ever compared with addresses of its own family.
 *
 * Text is parsed and written by common/ip.ts, as strictly as Go's net/netip, which istiod uses
 * (pilot/pkg/serviceregistry/kube/controller/ambient/authorization.go stringToIP): no leading
 * zeros in IPv4 octets, no zones.
 */
import { formatIp as formatIpBytes, parseIp as parseIpBytes } from "../../common/ip.js";

export interface Ip {
  version: 4 | 6;
  value: bigint;
}

export interface Cidr {
  version: 4 | 6;
  /** First address of the block (host bits cleared). */
  network: bigint;
  prefix: number;
}

const bitsOf = (v: 4 | 6): number => (v === 4 ? 32 : 128);

export function parseIp(text: string): Ip | undefined {
  const bytes = parseIpBytes(text);
  if (!bytes) return undefined;
  const value = bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  return { version: bytes.length === 4 ? 4 : 6, value };
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (common/ip.ts). */
export function formatIp(ip: Ip): string {
  const bytes = new Uint8Array(bitsOf(ip.version) / 8);
  for (let i = bytes.length - 1, v = ip.value; i >= 0; i--, v >>= 8n) bytes[i] = Number(v & 0xffn);
  return formatIpBytes(bytes) ?? "";
}

/** "10.0.0.5/8" is accepted (as netip.ParsePrefix does) and masked to 10.0.0.0/8. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > bitsOf(ip.version)) return undefined;
  return { version: ip.version, network: ip.value & maskOf(ip.version, prefix), prefix };
}

function maskOf(version: 4 | 6, prefix: number): bigint {
  const bits = BigInt(bitsOf(version));
  const host = bits - BigInt(prefix);
  return ((1n << bits) - 1n) ^ ((1n << host) - 1n);
}

export function formatCidr(c: Cidr): string {
  return `${formatIp({ version: c.version, value: c.network })}/${c.prefix}`;
}

export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(bitsOf(c.version) - c.prefix);
}

export function cidrContains(c: Cidr, ip: Ip): boolean {
  return ip.version === c.version && (ip.value & maskOf(c.version, c.prefix)) === c.network;
}

/** The nth address of a block (0 = network address). */
export function nthAddress(c: Cidr, n: bigint): Ip {
  return { version: c.version, value: c.network + n };
}

/**
 * An AuthorizationPolicy ipBlock ("1.2.3.4" or "10.0.0.0/8") as a canonical CIDR; a bare address
 * becomes /32 or /128, as istiod does before pushing it to ztunnel. undefined when unparsable.
 */
export function normalizeIpBlock(text: string): string | undefined {
  if (text.includes("/")) {
    const c = parseCidr(text);
    return c ? formatCidr(c) : undefined;
  }
  const ip = parseIp(text);
  return ip ? `${formatIp(ip)}/${bitsOf(ip.version)}` : undefined;
}
