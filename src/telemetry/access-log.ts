/**
 * One structured JSON line per connection, at info level, message "connection complete".
 * Field names follow ztunnel's access log (istio/ztunnel src/proxy/metrics.rs): src.addr,
 * src.workload, src.namespace, src.identity, dst.addr, dst.hbone_addr, dst.service,
 * dst.workload, dst.namespace, dst.identity, direction, bytes_sent, bytes_recv, duration; plus
 * Ambit's decision, policy and reason so a refused connection says which policy refused it.
 *
 * Only the fields below are ever written (the entry is rebuilt field by field), so whatever else
 * a caller's objects carry — certificates, keys, tokens — cannot leak into the log.
 */
import { createLogger, type Logger } from "../common/log.js";
import type { ByteCounts } from "./tcp-metrics.js";

export interface AccessLogPeer {
  /** "ip:port". */
  addr: string;
  /** Pod name. */
  workload?: string;
  namespace?: string;
  /** SPIFFE identity; pass it only when mTLS verified it (as ztunnel logs it). */
  identity?: string;
}

export interface AccessLogEntry {
  direction: "inbound" | "outbound";
  src: AccessLogPeer;
  dst: AccessLogPeer & {
    /** The HBONE endpoint the tunnel went to ("ip:15008"), when tunnelled. */
    hboneAddr?: string;
    /** Destination service hostname. */
    service?: string;
  };
  /** Same direction convention as the metrics: received = from the client side. */
  bytes: ByteCounts;
  durationMs: number;
  decision: "allow" | "deny";
  /** "<ns>/<name>" of the authorization policy that decided, when one did. */
  policy?: string;
  /** Why it was denied or failed, in words. */
  reason?: string;
  /** Error that ended the connection (text only). */
  error?: string;
}

/** The JSON fields of one access-log line (before pino adds level, time, msg). */
export type AccessLogRecord = Record<string, string | number>;

export function accessLogRecord(e: AccessLogEntry): AccessLogRecord {
  const out: AccessLogRecord = {};
  const put = (key: string, v: string | number | undefined) => {
    if (v !== undefined && v !== "") out[key] = v;
  };
  put("src.addr", e.src.addr);
  put("src.workload", e.src.workload);
  put("src.namespace", e.src.namespace);
  put("src.identity", e.src.identity);
  put("dst.addr", e.dst.addr);
  put("dst.hbone_addr", e.dst.hboneAddr);
  put("dst.service", e.dst.service);
  put("dst.workload", e.dst.workload);
  put("dst.namespace", e.dst.namespace);
  put("dst.identity", e.dst.identity);
  put("direction", e.direction);
  // ztunnel logs bytes from the local workload's point of view (it "unflips" Istio's metric
  // convention for the source side): outbound, the client is local and sent the request bytes;
  // inbound, the server is local and sent the response bytes.
  const outbound = e.direction === "outbound";
  put("bytes_sent", outbound ? e.bytes.received : e.bytes.sent);
  put("bytes_recv", outbound ? e.bytes.sent : e.bytes.received);
  put("duration", Math.max(0, Math.round(e.durationMs)));
  put("decision", e.decision);
  put("policy", e.policy);
  put("reason", e.reason);
  put("error", e.error);
  return out;
}

export class AccessLog {
  private readonly log: Logger;

  constructor(log?: Logger) {
    this.log = log ?? createLogger("access");
  }

  record(e: AccessLogEntry): void {
    this.log.info(accessLogRecord(e), "connection complete");
  }
}
