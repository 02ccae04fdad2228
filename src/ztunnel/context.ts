/**
 * Everything the data path handlers share, passed in once (engineering.md: dependencies are
 * passed in, so tests can swap the socket factory, the original-destination lookup and the clock).
 */
import type { Socket } from "node:net";
import type { Logger } from "../common/log.js";
import type { AccessLog, TcpMetrics } from "../telemetry/index.js";
import type { ConnectionTable } from "./connections.js";
import type { WorkloadCertManager } from "./certs.js";
import type { ConnectFrom } from "./dial.js";
import type { HbonePool } from "./hbone/client.js";
import type { ProxyState } from "./state.js";

export interface OriginalDestination {
  address: string;
  port: number;
}

export interface ProxyContext {
  node: string;
  state: ProxyState;
  certs: WorkloadCertManager;
  pool: HbonePool;
  metrics: TcpMetrics;
  accessLog: AccessLog;
  connections: ConnectionTable;
  log: Logger;
  hbonePort: number;
  /** SO_ORIGINAL_DST of a redirected connection (native addon in production). */
  originalDestination: (socket: Socket) => OriginalDestination;
  /** Opens a TCP connection from this node (to a pod, or for passthrough). */
  connect: (host: string, port: number) => Socket;
  /**
   * Opens a connection to a local pod from the original client's IP (--preserve-source-ip;
   * transparent sockets); absent when the proxy connects from the node's own address.
   */
  connectFrom?: ConnectFrom;
  connectTimeoutMs: number;
}
