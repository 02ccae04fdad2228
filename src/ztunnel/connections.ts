/**
 * The proxy's live connections, for `ambit ztunnel-config connections` and the admin config
 * dump. Written by the data path when a connection starts and ends; nothing else reads sockets.
 */
import { normalizeIp } from "./ip.js";

export interface ConnectionInfo {
  id: number;
  direction: "outbound" | "inbound";
  /** "hbone", "passthrough" or "plaintext" (inbound without a tunnel). */
  mode: "hbone" | "passthrough" | "plaintext";
  source: string;
  destination: string;
  sourceWorkload?: string;
  destinationWorkload?: string;
  sourceIdentity?: string;
  destinationIdentity?: string;
  startedAt: string;
  bytesSent: number;
  bytesReceived: number;
}

export class ConnectionTable {
  private next = 1;
  // id -> live connection
  private readonly live = new Map<number, ConnectionInfo>();
  // source IP -> (id -> source port), for portsFrom without a pass over every connection
  private readonly bySourceIp = new Map<string, Map<number, number>>();

  open(c: Omit<ConnectionInfo, "id" | "startedAt" | "bytesSent" | "bytesReceived">): ConnectionInfo {
    const info: ConnectionInfo = {
      ...c,
      id: this.next++,
      startedAt: new Date().toISOString(),
      bytesSent: 0,
      bytesReceived: 0,
    };
    this.live.set(info.id, info);
    const src = splitSource(info.source);
    if (src) {
      const ports = this.bySourceIp.get(src.ip) ?? new Map<number, number>();
      ports.set(info.id, src.port);
      this.bySourceIp.set(src.ip, ports);
    }
    return info;
  }

  close(id: number): void {
    const info = this.live.get(id);
    if (!info) return;
    this.live.delete(id);
    const src = splitSource(info.source);
    if (!src) return;
    const ports = this.bySourceIp.get(src.ip);
    if (ports?.delete(id) && ports.size === 0) this.bySourceIp.delete(src.ip);
  }

  /**
   * Source ports of the live connections from `ip` (either direction). The inbound path avoids
   * them when it connects from a client's address (inbound.ts): a connection the client made
   * through this node has a conntrack entry here that the same port would collide with.
   */
  portsFrom(ip: string): number[] {
    return [...(this.bySourceIp.get(normalizeIp(ip))?.values() ?? [])];
  }

  list(): ConnectionInfo[] {
    return [...this.live.values()];
  }

  get size(): number {
    return this.live.size;
  }
}

/** "ip:port" (IPv6 bracketed or not, IPv4-mapped normalized) -> parts; undefined without a port. */
function splitSource(source: string): { ip: string; port: number } | undefined {
  const at = source.lastIndexOf(":");
  if (at <= 0) return undefined;
  const port = Number(source.slice(at + 1));
  if (!(port > 0)) return undefined;
  return { ip: normalizeIp(source.slice(0, at).replace(/^\[|\]$/g, "")), port };
}
