/** IPv4 address arithmetic for the fabric and pod networks (local mode is IPv4 only). */
import { isIPv4 } from "node:net";
import { AmbitError } from "../common/errors.js";

export interface Ipv4Cidr {
  /** network address, dotted */
  network: string;
  prefixLen: number;
}

export function ipv4ToInt(ip: string): number {
  if (!isIPv4(ip))
    throw new AmbitError("BAD_ADDRESS", `"${ip}" is not an IPv4 address`, "write it as a.b.c.d");
  return ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** Parses `a.b.c.d/len`; the host bits must be zero. */
export function parseIpv4Cidr(cidr: string): Ipv4Cidr {
  const bad = (why: string) =>
    new AmbitError(
      "BAD_CIDR",
      `"${cidr}" is not an IPv4 CIDR: ${why}`,
      "write it as a.b.c.d/len, e.g. 10.250.0.0/24",
    );
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(cidr);
  if (!m?.[1] || m[2] === undefined || !isIPv4(m[1])) throw bad("expected a.b.c.d/len");
  const prefixLen = Number(m[2]);
  if (prefixLen > 32) throw bad("the prefix length is above 32");
  const size = 2 ** (32 - prefixLen);
  if (ipv4ToInt(m[1]) % size !== 0) throw bad("host bits are set");
  return { network: m[1], prefixLen };
}

/** The address `offset` places into the network; throws when it falls outside. */
export function addressInCidr(cidr: string, offset: number): string {
  const { network, prefixLen } = parseIpv4Cidr(cidr);
  const size = 2 ** (32 - prefixLen);
  if (!Number.isInteger(offset) || offset < 0 || offset >= size) {
    throw new AmbitError(
      "CIDR_EXHAUSTED",
      `offset ${offset} does not fit in ${cidr}`,
      "use a larger subnet or fewer nodes/pods",
    );
  }
  return intToIpv4(ipv4ToInt(network) + offset);
}

/**
 * Fabric address of node number `index` (0-based): .10, .11, ... of the fabric subnet, leaving the
 * first addresses free for whatever else may join the fabric later (a benchmark client, a gateway).
 */
export function fabricNodeIp(subnet: string, index: number): string {
  return addressInCidr(subnet, 10 + index);
}

export function cidrContains(cidr: string, ip: string): boolean {
  const { network, prefixLen } = parseIpv4Cidr(cidr);
  const size = 2 ** (32 - prefixLen);
  const base = ipv4ToInt(network);
  const n = ipv4ToInt(ip);
  return n >= base && n < base + size;
}
