/**
 * Addresses as the evaluator compares them. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a
 * dual-stack Node socket reports for an IPv4 peer) is the IPv4 address it carries, as ztunnel
 * canonicalizes socket addresses before authorizing (socket::to_canonical, used in
 * src/proxy/inbound.rs). A CIDR only ever contains addresses of its own family.
 */
import { formatIp, parseCidr, parseIp } from "../common/ip.js";

/** Address bytes (4 or 16), IPv4-mapped IPv6 folded to IPv4; undefined when not an address. */
export function ipBytes(text: string): Uint8Array | undefined {
  const b = parseIp(text);
  if (!b || b.length !== 16) return b;
  const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return mapped ? b.slice(12) : b;
}

/** Canonical text of an address (RFC 5952, IPv4-mapped as IPv4); undefined when not an address. */
export function canonicalIp(text: string): string | undefined {
  const b = ipBytes(text);
  return b ? formatIp(b) : undefined;
}

/** A compiled CIDR block; `text` is its canonical "ip/len". */
export class CidrBlock {
  private constructor(
    private readonly network: Uint8Array,
    private readonly length: number,
    readonly text: string,
  ) {}

  /** undefined when `cidr` is not an address or "address/len". */
  static parse(cidr: string): CidrBlock | undefined {
    const c = parseCidr(cidr);
    if (!c) return undefined;
    let { address, length } = c;
    // "::ffff:10.0.0.0/104" covers IPv4 addresses, which connections carry as IPv4 (see above).
    const v4 = address.length === 16 && length >= 96 ? ipBytes(formatIp(address) ?? "") : undefined;
    if (v4?.length === 4) [address, length] = [v4, length - 96];
    const text = `${formatIp(address) ?? cidr}/${length}`;
    return new CidrBlock(address, length, text);
  }

  contains(ip: Uint8Array | undefined): boolean {
    if (!ip || ip.length !== this.network.length) return false;
    const whole = this.length >> 3;
    for (let i = 0; i < whole; i++) if (ip[i] !== this.network[i]) return false;
    const rest = this.length & 7;
    if (rest === 0) return true;
    const mask = (0xff << (8 - rest)) & 0xff;
    return ((ip[whole] ?? 0) & mask) === ((this.network[whole] ?? 0) & mask);
  }
}
