/**
 * The HBONE server (port 15008). The proxy accepts the TCP connection itself (it first recovers
 * the original destination with SO_ORIGINAL_DST) and hands the socket over with the address the
 * client dialled; from there:
 *
 *  1. TLS 1.3 with the certificate of the workload at that address (ztunnel
 *     src/proxy/inbound.rs `InboundCertProvider`); no workload there -> close.
 *  2. A client certificate is required and must chain to the trust bundle and be valid now;
 *     ALPN must be h2.
 *  3. The client's URI SAN must be a SPIFFE ID in our trust domain (ztunnel src/tls/workload.rs
 *     `TrustDomainVerifier`); otherwise the connection is closed and logged with what was found.
 *  4. HTTP/2 with large windows; each CONNECT stream is served by tunnel.ts.
 *
 * Every failure stays with its own connection: errors are logged and that socket destroyed.
 */
import { createServer as createH2Server, type Http2Server, type ServerHttp2Session } from "node:http2";
import type { Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from "node:tls";
import { errorText } from "../../common/errors.js";
import { createLogger, type Logger } from "../../common/log.js";
import { parseSpiffeId } from "../../identity/spiffe.js";
import type { WorkloadCert } from "../certs.js";
import { presentedChain, uriSans } from "../tls.js";
import * as S from "./settings.js";
import {
  serveStream,
  type ConnectionInfo,
  type HboneInboundRequest,
  type HboneInboundResult,
} from "./tunnel.js";

export type { HboneInboundRequest, HboneInboundResult, TunnelStats } from "./tunnel.js";

export interface HboneServerOptions {
  trustDomain: () => string;
  trustBundle: () => string[];
  /** Certificate of the workload at that IP; undefined -> the connection is closed. */
  certificateFor: (localIp: string) => Promise<WorkloadCert | undefined>;
  onConnect: (req: HboneInboundRequest) => Promise<HboneInboundResult>;
  /** Largest request header list served; larger ones get 431. Default 64 KiB. */
  maxHeaderBytes?: number;
  /** Per-stream flow-control window; the connection window is 4× this. Default 4 MiB. */
  windowBytes?: number;
  handshakeTimeoutMs?: number;
  log?: Logger;
}

export interface HboneServerStats {
  /** TLS connections with an HTTP/2 session. */
  connections: number;
  /** CONNECT streams answered 200 and still open. */
  activeTunnels: number;
}

interface Where {
  peer: string;
  peerIp: string;
  localIp: string;
  /** The TCP 4-tuple, read while the socket is alive (a reset socket no longer knows it). */
  tuple: string;
  /** Drops the connection if the TLS handshake does not finish in time. */
  timer?: NodeJS.Timeout;
}

function fields(w: Where | undefined): Record<string, string> {
  return w ? { peer: w.peer, localIp: w.localIp } : {};
}

/** OpenSSL errors carry a reason ("http request", "wrong version number"); the message is noise. */
function sslErrorText(e: NodeJS.ErrnoException & { reason?: string }): string {
  if (e.code && e.reason) return `${e.code} (${e.reason})`;
  return e.code ? `${e.code}: ${e.message.split("\n")[0]}` : e.message;
}

/** The TCP 4-tuple, which a TLS socket shares with the socket it wraps. */
function tupleOf(s: Socket): string {
  return `${s.localAddress}:${s.localPort}|${s.remoteAddress}:${s.remotePort}`;
}

export class HboneServer {
  private readonly h2: Http2Server;
  // "<identity>|<serial>|<bundle>" -> handshaking tls.Server for that certificate
  private readonly tlsServers = new Map<string, TlsServer>();
  // "<local>|<remote>" of a socket in its TLS handshake -> who it is
  private readonly handshaking = new Map<string, Where>();
  private readonly log: Logger;
  private readonly maxHeaderBytes: number;
  private readonly windowBytes: number;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<ServerHttp2Session>();
  /** Set just around `emit("connection")`, whose listener creates the session synchronously. */
  private handingOver: ConnectionInfo | undefined;
  private tunnels = 0;
  private closed = false;

  constructor(private readonly opts: HboneServerOptions) {
    this.log = opts.log ?? createLogger("hbone-server");
    this.maxHeaderBytes = opts.maxHeaderBytes ?? S.SERVER_MAX_HEADER_LIST_BYTES;
    this.windowBytes = opts.windowBytes ?? S.STREAM_WINDOW_BYTES;
    const connectionWindow = S.CONNECTION_WINDOW_FACTOR * this.windowBytes;
    // Node's http2 resets a stream whose headers exceed the advertised SETTINGS_MAX_HEADER_LIST_SIZE
    // without telling the application. Advertising twice our limit leaves room to answer the
    // common over-limit case with a logged 431 ourselves; beyond that, HTTP/2 resets the stream.
    this.h2 = createH2Server({
      settings: {
        initialWindowSize: this.windowBytes,
        maxFrameSize: S.MAX_FRAME_BYTES,
        maxConcurrentStreams: S.SERVER_MAX_CONCURRENT_STREAMS,
        maxHeaderListSize: 2 * this.maxHeaderBytes,
      },
      maxSessionMemory: S.sessionMemoryMb(connectionWindow),
    });
    this.h2.on("session", (session: ServerHttp2Session) => {
      const info = this.handingOver;
      this.handingOver = undefined;
      if (!info) return void session.destroy();
      this.session(session, info, connectionWindow);
    });
  }

  /** Serves an accepted TCP connection to :15008 whose client dialled `ctx.localIp`. */
  accept(socket: Socket, ctx: { localIp: string }): void {
    const peerIp = socket.remoteAddress ?? "";
    if (this.closed) return void socket.destroy();
    socket.pause();
    socket.setNoDelay(true);
    // The TLS socket inherits this. HTTP/2 half-closes per stream, never the connection, and
    // Node's http2 session only notices a peer's FIN if the socket then closes by itself.
    socket.allowHalfOpen = false;
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", (e) => this.log.debug({ peer: peerIp, error: errorText(e) }, "HBONE socket error"));
    const where: Where = {
      peer: `${peerIp}:${socket.remotePort ?? 0}`,
      peerIp,
      localIp: ctx.localIp,
      tuple: tupleOf(socket),
    };
    where.timer = setTimeout(() => {
      this.handshaking.delete(where.tuple);
      this.log.warn(fields(where), "HBONE client did not complete the TLS handshake in time; closing");
      socket.destroy();
    }, this.opts.handshakeTimeoutMs ?? S.HANDSHAKE_TIMEOUT_MS);
    where.timer.unref();
    socket.once("close", () => {
      clearTimeout(where.timer);
      // Still here: neither secured nor refused with a reason we could attribute (the client
      // reset mid-handshake, typically because it refused our certificate; its log says why).
      if (this.handshaking.delete(where.tuple)) {
        this.log.info(fields(where), "HBONE client closed the connection during the TLS handshake");
      }
    });

    this.opts.certificateFor(ctx.localIp).then(
      (cert) => {
        if (socket.destroyed) return;
        if (!cert) {
          this.log.warn(
            fields(where),
            "HBONE connection to an address with no workload of this node; closing",
          );
          return void socket.destroy();
        }
        this.handshake(socket, cert, where);
      },
      (e: unknown) => {
        this.log.warn(
          { ...fields(where), error: errorText(e) },
          "no certificate to serve HBONE for this address; closing",
        );
        socket.destroy();
      },
    );
  }

  stats(): HboneServerStats {
    return { connections: this.sessions.size, activeTunnels: this.tunnels };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.sessions) s.destroy();
    for (const s of this.sockets) s.destroy();
    this.sessions.clear();
    this.sockets.clear();
  }

  private handshake(socket: Socket, cert: WorkloadCert, where: Where): void {
    let tlsServer: TlsServer;
    try {
      tlsServer = this.tlsServerFor(cert);
    } catch (e) {
      this.log.error({ ...fields(where), error: errorText(e) }, "cannot set up TLS for HBONE; closing");
      return void socket.destroy();
    }
    this.handshaking.set(where.tuple, where);
    tlsServer.emit("connection", socket);
  }

  /**
   * A tls.Server (never listening) per served certificate: it runs the handshake on sockets we
   * hand it and reports the OpenSSL verification result of the client chain
   * (`authorizationError`), which Node exposes only for sockets of a tls.Server. It does not
   * reject by itself, so every refusal below is ours and logged.
   */
  private tlsServerFor(cert: WorkloadCert): TlsServer {
    const bundle = this.opts.trustBundle();
    const key = `${cert.identity}|${cert.serial}|${bundle.join("")}`;
    let srv = this.tlsServers.get(key);
    if (srv) return srv;
    srv = createTlsServer({
      key: cert.keyPem,
      cert: presentedChain(cert, bundle),
      ca: bundle,
      // TLS 1.3 only (ztunnel src/tls/lib.rs TLS_VERSIONS_13_ONLY).
      minVersion: "TLSv1.3",
      maxVersion: "TLSv1.3",
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: ["h2"],
    });
    srv.on("secureConnection", (tls: TLSSocket) => this.secured(tls));
    srv.on("tlsClientError", (e: NodeJS.ErrnoException, tls: TLSSocket) => {
      const tuple = tupleOf(tls);
      const where = this.handshaking.get(tuple);
      tls.destroy();
      // A socket already reset no longer knows its addresses; the raw socket's close logs it.
      if (!where) return;
      this.handshaking.delete(tuple);
      clearTimeout(where.timer);
      // A refused handshake: not TLS 1.3, no common cipher, garbage, or a timeout.
      this.log.warn({ ...fields(where), error: sslErrorText(e) }, "HBONE TLS handshake failed");
    });
    if (this.tlsServers.size >= 256) this.tlsServers.delete(this.tlsServers.keys().next().value!);
    this.tlsServers.set(key, srv);
    return srv;
  }

  private secured(tls: TLSSocket): void {
    const tuple = tupleOf(tls);
    const where = this.handshaking.get(tuple);
    this.handshaking.delete(tuple);
    clearTimeout(where?.timer);
    const refuse = (why: string, extra: Record<string, unknown> = {}) => {
      this.log.warn({ ...fields(where), ...extra }, why);
      tls.destroy();
    };
    if (!where || this.closed) return void tls.destroy();
    tls.on("error", (e) => this.log.debug({ ...fields(where), error: errorText(e) }, "HBONE TLS error"));
    const peerCert = tls.getPeerCertificate();
    if (!peerCert || !peerCert.raw) return refuse("HBONE client presented no certificate");
    if (!tls.authorized) {
      return refuse("HBONE client certificate refused", { reason: String(tls.authorizationError) });
    }
    if (tls.alpnProtocol !== "h2")
      return refuse("HBONE client did not negotiate ALPN h2", { alpn: tls.alpnProtocol });
    const sans = uriSans(peerCert.raw);
    const td = this.opts.trustDomain();
    const identity = sans.find((s) => trustDomainOf(s) === td);
    if (!identity) {
      return refuse("HBONE client identity is not in this mesh's trust domain", {
        trustDomain: td,
        san: sans,
      });
    }
    this.handingOver = { peerIdentity: identity, peerAddress: where.peerIp, localIp: where.localIp };
    try {
      this.h2.emit("connection", tls);
    } finally {
      if (this.handingOver) {
        this.handingOver = undefined;
        refuse("HBONE HTTP/2 session could not be created");
      }
    }
  }

  private session(session: ServerHttp2Session, info: ConnectionInfo, connectionWindow: number): void {
    this.sessions.add(session);
    session.once("close", () => this.sessions.delete(session));
    session.on("error", (e) =>
      this.log.debug({ peer: info.peerAddress, error: errorText(e) }, "HBONE session error"),
    );
    const widen = () => session.setLocalWindowSize(connectionWindow);
    if (session.connecting) session.once("connect", widen);
    else widen();
    const deps = {
      onConnect: this.opts.onConnect,
      maxHeaderBytes: this.maxHeaderBytes,
      log: this.log,
      count: (d: 1 | -1) => (this.tunnels += d),
    };
    session.on("stream", (stream, headers) => {
      serveStream(stream, headers, info, deps).catch((e: unknown) => {
        this.log.error({ peer: info.peerAddress, error: errorText(e) }, "HBONE stream handling failed");
        if (!stream.closed) stream.close();
      });
    });
  }
}

function trustDomainOf(uri: string): string | undefined {
  try {
    return parseSpiffeId(uri).trustDomain;
  } catch {
    return undefined;
  }
}
