/**
 * The proxy's live connections, for `ambit ztunnel-config connections` and the admin config
 * dump. Written by the data path when a connection starts and ends; nothing else reads sockets.
 */
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

  open(c: Omit<ConnectionInfo, "id" | "startedAt" | "bytesSent" | "bytesReceived">): ConnectionInfo {
    const info: ConnectionInfo = {
      ...c,
      id: this.next++,
      startedAt: new Date().toISOString(),
      bytesSent: 0,
      bytesReceived: 0,
    };
    this.live.set(info.id, info);
    return info;
  }

  close(id: number): void {
    this.live.delete(id);
  }

  list(): ConnectionInfo[] {
    return [...this.live.values()];
  }

  get size(): number {
    return this.live.size;
  }
}
