/**
 * IP addresses and CIDR blocks as integers (bigint), for address allocation and for normalizing
 * the ipBlocks of an AuthorizationPolicy. IPv4 and IPv6 are both handled; an address is only
 * ever compared with addresses of its own family.
 *
 * Parsing is strict like Go's net/netip, which istiod uses (pilot/pkg/serviceregistry/kube/
 * controller/ambient/authorization.go stringToIP): no leading zeros in IPv4 octets, no zones.
 */
import { isIPv4, isIPv6 } from "node:net";

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
  if (isIPv4(text)) {
    const parts = text.split(".");
    if (parts.some((p) => p.length > 1 && p.startsWith("0"))) return undefined;
    const value = parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
    return { version: 4, value };
  }
  if (isIPv6(text) && !text.includes("%")) return { version: 6, value: parseIpv6(text) };
  return undefined;
}

function parseIpv6(text: string): bigint {
  // An embedded IPv4 tail ("::ffff:1.2.3.4") becomes two hex groups first.
  let s = text;
  const lastColon = s.lastIndexOf(":");
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseIp(tail);
    const n = v4 ? Number(v4.value) : 0;
    s = `${s.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = "", rest] = s.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = rest === undefined || rest === "" ? [] : rest.split(":");
  const missing = 8 - left.length - right.length;
  const groups = rest === undefined ? left : [...left, ...Array<string>(missing).fill("0"), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed). */
export function formatIp(ip: Ip): string {
  if (ip.version === 4) {
    return [24n, 16n, 8n, 0n].map((s) => ((ip.value >> s) & 0xffn).toString()).join(".");
  }
  if (ip.value >> 32n === 0xffffn) {
    // IPv4-mapped addresses keep their dotted tail, as Go's netip and RFC 5952 §5 write them.
    return `::ffff:${formatIp({ version: 4, value: ip.value & 0xffffffffn })}`;
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  // Longest run of zero groups (length >= 2, first one wins on ties) becomes "::".
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
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
