/**
 * The HBONE client: a pool of mutual-TLS HTTP/2 connections to other nodes' ztunnels, and one
 * CONNECT stream per proxied TCP connection.
 *
 * Pooling follows ztunnel (src/proxy/pool.rs, src/proxy/h2/client.rs): connections are keyed by
 * (source identity, destination identity, destination address), because the client certificate
 * is the source workload's and the server's is checked against the destination's identity; a
 * connection carries at most `maxStreamsPerConnection` streams (and never more than the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS), after which a new connection is opened; an unused connection
 * is closed after `idleTimeoutMs` (POOL_UNUSED_RELEASE_TIMEOUT).
 *
 * The CONNECT request carries `:authority` = the destination "IP:port" and the caller's
 * `baggage`, `forwarded` and `traceparent` headers (ztunnel outbound.rs); only a 200 opens the
 * tunnel (h2/client.rs `internal_send`).
 */
import { constants as h2c, type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import { connect as netConnect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { AmbitError, errorText } from "../../common/errors.js";
import { createLogger, type Logger } from "../../common/log.js";
import type { WorkloadCert } from "../certs.js";
import { SecureContextCache } from "../tls.js";
import { formatAuthority, parseAuthority } from "./authority.js";
import { dialHbone } from "./dial.js";
import { connectFailed, refused, reset, timedOut, type HboneError } from "./errors.js";
import * as S from "./settings.js";

/** The tunnel: the CONNECT stream after a 200. End it to half-close; attach an 'error' listener. */
export type HboneStream = Duplex;

export interface HbonePoolOptions {
  certFor: (identity: string) => Promise<WorkloadCert>;
  trustBundle: () => string[];
  maxStreamsPerConnection?: number;
  /** Applies to connection setup and, separately, to the wait for the CONNECT answer. */
  connectTimeoutMs?: number;
  /** Per-stream flow-control window; the connection window is 4× this. Default 4 MiB. */
  windowBytes?: number;
  /** Idle pooled connections are closed after this long. Default 5 minutes. */
  idleTimeoutMs?: number;
  connect?: (host: string, port: number) => Socket;
  log?: Logger;
}

export interface HboneOpenRequest {
  sourceIdentity: string;
  destinationIdentity: string;
  /** The destination node's HBONE listener. */
  hbone: { ip: string; port: number };
  /** The destination "IP:port" the tunnel leads to. */
  authority: string;
  /** baggage, forwarded, traceparent. */
  headers?: Record<string, string>;
}

export interface HbonePoolStats {
  sourceIdentity: string;
  destinationIdentity: string;
  address: string;
  connections: number;
  activeStreams: number;
}

interface Conn {
  ready: Promise<ClientHttp2Session>;
  session?: ClientHttp2Session;
  /** Streams reserved or open on this connection. */
  active: number;
  max: number;
  /** False once the connection may take no new streams (GOAWAY, error, closing). */
  usable: boolean;
  idleTimer?: NodeJS.Timeout;
}

interface Pool {
  sourceIdentity: string;
  destinationIdentity: string;
  address: string;
  conns: Conn[];
}

export class HbonePool {
  // "<src>|<dst>|<ip:port>" -> connections to that destination for that source
  private readonly pools = new Map<string, Pool>();
  private readonly contexts = new SecureContextCache();
  private readonly log: Logger;
  private readonly cap: number;
  private readonly timeoutMs: number;
  private readonly windowBytes: number;
  private readonly idleMs: number;
  private readonly connect: (host: string, port: number) => Socket;
  private closed = false;

  constructor(private readonly opts: HbonePoolOptions) {
    this.log = opts.log ?? createLogger("hbone-client");
    this.cap = Math.max(1, opts.maxStreamsPerConnection ?? S.MAX_STREAMS_PER_CONNECTION);
    this.timeoutMs = opts.connectTimeoutMs ?? S.CONNECT_TIMEOUT_MS;
    this.windowBytes = opts.windowBytes ?? S.STREAM_WINDOW_BYTES;
    this.idleMs = opts.idleTimeoutMs ?? S.POOL_IDLE_MS;
    this.connect = opts.connect ?? ((host, port) => netConnect({ host, port }));
  }

  open(req: HboneOpenRequest): Promise<HboneStream> {
    return this.openOnce(req, true);
  }

  private async openOnce(req: HboneOpenRequest, mayRetry: boolean): Promise<HboneStream> {
    if (this.closed) throw new AmbitError("HBONE_POOL_CLOSED", "the HBONE client is shut down");
    if (!parseAuthority(req.authority)) {
      throw new AmbitError("HBONE_INVALID_AUTHORITY", `"${req.authority}" is not an IP:port destination`);
    }
    const address = formatAuthority(req.hbone.ip, req.hbone.port);
    const key = `${req.sourceIdentity}|${req.destinationIdentity}|${address}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = {
        sourceIdentity: req.sourceIdentity,
        destinationIdentity: req.destinationIdentity,
        address,
        conns: [],
      };
      this.pools.set(key, pool);
    }
    // Reserve a slot synchronously, so concurrent opens share a connection still being set up.
    const conn = pool.conns.find((c) => c.usable && c.active < c.max) ?? this.dial(key, pool, req);
    conn.active++;
    clearTimeout(conn.idleTimer);
    let session: ClientHttp2Session;
    try {
      session = await conn.ready;
    } catch (e) {
      this.release(key, conn);
      throw e;
    }
    if (session.closed || session.destroyed) {
      // The pooled connection went away between reservation and use (GOAWAY, peer restart):
      // one more try on a fresh connection.
      conn.usable = false;
      this.release(key, conn);
      if (mayRetry) return this.openOnce(req, false);
      throw connectFailed(address, new Error("the pooled connection closed"));
    }
    try {
      return await this.request(key, conn, session, address, req);
    } catch (e) {
      // A stream refused because the connection is going away (GOAWAY) was not processed by the
      // server (RFC 9113 §8.7), so it is safe to try once more on a fresh connection.
      const goingAway = session.closed || session.destroyed || !conn.usable;
      if (mayRetry && goingAway && (e as HboneError).resetCode === h2c.NGHTTP2_REFUSED_STREAM) {
        conn.usable = false;
        return this.openOnce(req, false);
      }
      throw e;
    }
  }

  stats(): HbonePoolStats[] {
    return [...this.pools.values()].map((p) => ({
      sourceIdentity: p.sourceIdentity,
      destinationIdentity: p.destinationIdentity,
      address: p.address,
      connections: p.conns.length,
      activeStreams: p.conns.reduce((n, c) => n + c.active, 0),
    }));
  }

  /** Closes every pooled connection; open tunnels are cut. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pools.values()) {
      for (const c of p.conns) {
        clearTimeout(c.idleTimer);
        c.usable = false;
        c.session?.destroy();
      }
    }
    this.pools.clear();
  }

  private dial(key: string, pool: Pool, req: HboneOpenRequest): Conn {
    const ready = (async () => {
      const cert = await this.opts.certFor(req.sourceIdentity);
      return dialHbone({
        ip: req.hbone.ip,
        port: req.hbone.port,
        connect: this.connect,
        secureContext: this.contexts.get(cert, this.opts.trustBundle()),
        destinationIdentity: req.destinationIdentity,
        timeoutMs: this.timeoutMs,
        connectionWindowBytes: S.CONNECTION_WINDOW_FACTOR * this.windowBytes,
        h2: {
          settings: {
            enablePush: false,
            initialWindowSize: this.windowBytes,
            maxFrameSize: S.MAX_FRAME_BYTES,
            maxHeaderListSize: S.CLIENT_MAX_HEADER_LIST_BYTES,
          },
          maxSessionMemory: S.sessionMemoryMb(S.CONNECTION_WINDOW_FACTOR * this.windowBytes),
          peerMaxConcurrentStreams: this.cap,
        },
      });
    })();
    const conn: Conn = { ready, active: 0, max: this.cap, usable: true };
    ready.then(
      (session) => this.established(key, pool, conn, session),
      (e: unknown) => {
        conn.usable = false;
        this.drop(key, conn);
        this.log.debug({ hbone: pool.address, error: errorText(e) }, "HBONE connection failed");
      },
    );
    pool.conns.push(conn);
    return conn;
  }

  private established(key: string, pool: Pool, conn: Conn, session: ClientHttp2Session): void {
    conn.session = session;
    if (this.closed) return void session.destroy();
    const peerMax = session.remoteSettings.maxConcurrentStreams ?? this.cap;
    conn.max = Math.max(1, Math.min(this.cap, peerMax));
    const retire = () => {
      conn.usable = false;
      if (conn.active === 0) this.drop(key, conn);
    };
    session.on("goaway", retire);
    session.on("error", (e) =>
      this.log.debug({ hbone: pool.address, error: errorText(e) }, "HBONE connection error"),
    );
    session.once("close", () => {
      conn.usable = false;
      this.drop(key, conn);
    });
    this.log.debug(
      { hbone: pool.address, src: pool.sourceIdentity, dst: pool.destinationIdentity },
      "HBONE connection established",
    );
  }

  private request(
    key: string,
    conn: Conn,
    session: ClientHttp2Session,
    address: string,
    req: HboneOpenRequest,
  ): Promise<HboneStream> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers ?? {}))
      if (!k.startsWith(":")) headers[k.toLowerCase()] = v;
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(
        { ...headers, ":method": "CONNECT", ":authority": req.authority },
        { endStream: false },
      );
    } catch (e) {
      this.release(key, conn);
      return Promise.reject(connectFailed(address, e));
    }
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err?: HboneError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          reject(err);
          if (!stream.closed) stream.close(h2c.NGHTTP2_CANCEL);
        } else resolve(stream);
      };
      const timer = setTimeout(
        () => settle(timedOut(`${address} (CONNECT ${req.authority})`)),
        this.timeoutMs,
      );
      stream.once("response", (h) => {
        const status = Number(h[":status"]);
        settle(status === 200 ? undefined : refused(address, req.authority, status));
      });
      // Kept for the stream's life: a reset after the 200 is the caller's to see on its own
      // listener; this one only keeps an unobserved error from crashing the process.
      stream.on("error", (e: NodeJS.ErrnoException) => {
        if (!settled)
          settle(stream.rstCode ? reset(address, req.authority, stream.rstCode) : connectFailed(address, e));
      });
      stream.once("close", () => {
        this.release(key, conn);
        if (!settled) {
          settle(
            stream.rstCode
              ? reset(address, req.authority, stream.rstCode)
              : connectFailed(address, new Error("the connection closed before the CONNECT was answered")),
          );
        }
      });
    });
  }

  private release(key: string, conn: Conn): void {
    conn.active = Math.max(0, conn.active - 1);
    if (conn.active > 0) return;
    if (!conn.usable) return this.drop(key, conn);
    clearTimeout(conn.idleTimer);
    conn.idleTimer = setTimeout(() => {
      if (conn.active > 0) return;
      conn.usable = false;
      conn.session?.close();
      this.drop(key, conn);
    }, this.idleMs);
    conn.idleTimer.unref();
  }

  /** Removes a connection from its pool (and the pool when empty); its session is closed. */
  private drop(key: string, conn: Conn): void {
    clearTimeout(conn.idleTimer);
    const pool = this.pools.get(key);
    if (!pool) return;
    const i = pool.conns.indexOf(conn);
    if (i >= 0 && conn.active === 0) {
      pool.conns.splice(i, 1);
      if (conn.session && !conn.session.closed) conn.session.close();
    }
    if (pool.conns.length === 0) this.pools.delete(key);
  }
}
