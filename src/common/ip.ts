/**
 * IP addresses between their text form and bytes (4 or 16, the form the workload and
 * authorization protos carry). Text output follows RFC 5952 (lowercase, longest zero run
 * compressed, IPv4-mapped addresses as ::ffff:a.b.c.d) so that a round trip is stable. The one
 * parser and formatter of the project: the registry's address arithmetic (registry/cidr.ts) and
 * the policy evaluator (policy/ip.ts) build on it.
 *
 * Parsing is as strict as Go's net/netip, which istiod uses: node:net refuses leading zeros in
 * IPv4 octets, and zones ("fe80::1%eth0") are refused here.
 */
import { isIPv4, isIPv6 } from "node:net";

/** Bytes of an IPv4 or IPv6 address, or undefined when `ip` is not a valid address. */
export function parseIp(ip: string): Uint8Array | undefined {
  if (isIPv4(ip)) return Uint8Array.from(ip.split(".").map(Number));
  if (!isIPv6(ip) || ip.includes("%")) return undefined;
  return parseIpv6(ip);
}

function parseIpv6(ip: string): Uint8Array {
  // A trailing dotted quad (::ffff:1.2.3.4) is the last two groups written in decimal.
  let text = ip;
  const quad = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (quad) {
    const [a, b, c, d] = quad.slice(2).map(Number) as [number, number, number, number];
    text = `${quad[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  // node:net has validated the syntax: at most one "::", which stands for the missing groups.
  const halves = text.split("::");
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length > 1 && halves[1] ? halves[1].split(":") : [];
  const zeros = halves.length > 1 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...new Array<string>(zeros).fill("0"), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** Text form of 4 or 16 address bytes, or undefined for any other length. */
export function formatIp(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length !== 16) return undefined;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const text = groups.map((g) => g.toString(16));
  if (bestStart < 0) return text.join(":");
  return `${text.slice(0, bestStart).join(":")}::${text.slice(bestStart + bestLen).join(":")}`;
}

export interface Cidr {
  address: Uint8Array;
  length: number;
}

/** "10.0.0.0/8" -> bytes + prefix length; a bare IP gets /32 or /128. Undefined when invalid. */
export function parseCidr(cidr: string): Cidr | undefined {
  const slash = cidr.indexOf("/");
  const address = parseIp(slash < 0 ? cidr : cidr.slice(0, slash));
  if (!address) return undefined;
  const max = address.length * 8;
  if (slash < 0) return { address, length: max };
  const lenText = cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  const length = Number(lenText);
  return length <= max ? { address, length } : undefined;
}

/** "ip/len", or undefined when the bytes or the length are invalid. */
export function formatCidr(address: Uint8Array, length: number): string | undefined {
  const ip = formatIp(address);
  if (ip === undefined || !Number.isInteger(length) || length < 0 || length > address.length * 8) {
    return undefined;
  }
  return `${ip}/${length}`;
}
