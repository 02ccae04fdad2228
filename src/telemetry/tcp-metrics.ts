/**
 * Istio's four TCP counters on a per-proxy prom-client Registry (never the global default one,
 * so several proxies can live in one process, as in-process tests run them).
 *
 * Byte direction, as in Istio: istio_tcp_received_bytes_total counts bytes received from the
 * client side of the connection (the request direction), istio_tcp_sent_bytes_total bytes sent
 * back to it (the response direction), whichever side reports.
 *
 * A per-connection tracker adds bytes with a plain addition; pending bytes reach the counters
 * when the registry is scraped (prom-client's collect hook) and when the connection closes, so
 * long-lived connections show up live without a label-hash lookup per chunk.
 */
import { Counter, Registry } from "prom-client";
import { RESPONSE_FLAGS, TCP_LABEL_NAMES, type TcpLabels } from "./labels.js";

export interface ByteCounts {
  /** Bytes sent to the client side (response direction). */
  sent: number;
  /** Bytes received from the client side (request direction). */
  received: number;
}

export const TCP_METRIC_NAMES = {
  opened: "istio_tcp_connections_opened_total",
  closed: "istio_tcp_connections_closed_total",
  sent: "istio_tcp_sent_bytes_total",
  received: "istio_tcp_received_bytes_total",
} as const;

export class TcpMetrics {
  readonly registry: Registry;
  private readonly openedTotal: Counter<string>;
  private readonly closedTotal: Counter<string>;
  private readonly sentTotal: Counter<string>;
  private readonly receivedTotal: Counter<string>;
  // connections with bytes possibly not yet flushed into the counters
  private readonly live = new Set<ConnectionTracker>();

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const labelNames = [...TCP_LABEL_NAMES];
    const flush = () => this.flush();
    this.openedTotal = new Counter({
      name: TCP_METRIC_NAMES.opened,
      help: "The total number of TCP connections opened",
      labelNames,
      registers: [registry],
    });
    this.closedTotal = new Counter({
      name: TCP_METRIC_NAMES.closed,
      help: "The total number of TCP connections closed",
      labelNames,
      registers: [registry],
    });
    this.sentTotal = new Counter({
      name: TCP_METRIC_NAMES.sent,
      help: "The size of total bytes sent during response in case of a TCP connection",
      labelNames,
      registers: [registry],
      collect: flush,
    });
    this.receivedTotal = new Counter({
      name: TCP_METRIC_NAMES.received,
      help: "The size of total bytes received during request in case of a TCP connection",
      labelNames,
      registers: [registry],
      collect: flush,
    });
  }

  opened(labels: TcpLabels): void {
    this.openedTotal.inc(labels);
  }

  /** A connection ended; `bytes`, if given, are added to the byte counters too. */
  closed(labels: TcpLabels, bytes?: Partial<ByteCounts>): void {
    if (bytes) this.addBytes(labels, bytes);
    this.closedTotal.inc(labels);
  }

  addBytes(labels: TcpLabels, bytes: Partial<ByteCounts>): void {
    if (bytes.sent) this.sentTotal.inc(labels, bytes.sent);
    if (bytes.received) this.receivedTotal.inc(labels, bytes.received);
  }

  /** Counts the connection as opened and returns its tracker. */
  track(labels: TcpLabels): ConnectionTracker {
    this.opened(labels);
    const t = new ConnectionTracker(labels, this, (x) => this.live.delete(x));
    this.live.add(t);
    return t;
  }

  /** Moves every live connection's pending bytes into the counters. */
  flush(): void {
    for (const t of this.live) t.flush();
  }
}

/** One connection's byte counts, reported incrementally; ends with close(). */
export class ConnectionTracker {
  readonly labels: TcpLabels;
  private readonly totals: ByteCounts = { sent: 0, received: 0 };
  private readonly pending: ByteCounts = { sent: 0, received: 0 };
  private done = false;

  constructor(
    labels: TcpLabels,
    private readonly metrics: TcpMetrics,
    private readonly onClose: (t: ConnectionTracker) => void,
  ) {
    this.labels = labels;
  }

  addBytes(bytes: Partial<ByteCounts>): void {
    const sent = bytes.sent ?? 0;
    const received = bytes.received ?? 0;
    this.totals.sent += sent;
    this.totals.received += received;
    if (this.done) {
      // Bytes after close (a late chunk) still count; nothing will flush them later.
      this.metrics.addBytes(this.labels, { sent, received });
      return;
    }
    this.pending.sent += sent;
    this.pending.received += received;
  }

  get bytes(): ByteCounts {
    return { ...this.totals };
  }

  get closed(): boolean {
    return this.done;
  }

  flush(): void {
    if (this.pending.sent === 0 && this.pending.received === 0) return;
    this.metrics.addBytes(this.labels, this.pending);
    this.pending.sent = 0;
    this.pending.received = 0;
  }

  /**
   * Counts the connection as closed, once. Like ztunnel, the closed series carries the final
   * response flag ("DENY", "CONNECT") while opened and byte series keep the labels they began with.
   */
  close(opts: { responseFlags?: string } = {}): ByteCounts {
    if (!this.done) {
      this.done = true;
      this.flush();
      this.onClose(this);
      const flags = opts.responseFlags || this.labels.response_flags || RESPONSE_FLAGS.none;
      this.metrics.closed({ ...this.labels, response_flags: flags });
    }
    return this.bytes;
  }
}
