/**
 * The HBONE `:authority`: the destination as "IP:port" ("[v6]:port" for IPv6), as ztunnel's
 * HboneAddress parses it (src/proxy.rs `HboneAddress::SocketAddr`). Host names (ztunnel's
 * `SvcHostname`, used through east-west gateways) are not accepted yet.
 */
import { isIP } from "node:net";

export interface HostPort {
  ip: string;
  port: number;
}

/** The parsed authority, or undefined when it is not exactly an IP literal and a port. */
export function parseAuthority(authority: string | undefined): HostPort | undefined {
  if (!authority || authority.length > 64) return undefined;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):([0-9]{1,5})$/.exec(authority);
  if (!m) return undefined;
  const ip = m[1] ?? m[2]!;
  const family = isIP(ip);
  if (family === 0 || (m[1] !== undefined && family !== 6) || (m[2] !== undefined && family !== 4)) {
    return undefined;
  }
  const port = Number(m[3]);
  if (port < 1 || port > 65535 || (m[3]!.length > 1 && m[3]!.startsWith("0"))) return undefined;
  return { ip, port };
}

export function formatAuthority(ip: string, port: number): string {
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}
