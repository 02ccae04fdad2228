/**
 * The node proxy's DNS server (15053, UDP and TCP), as ztunnel's DNS proxy: pods' queries for
 * mesh names are answered from the table (resolve.ts); the rest go to the optional upstreams, or
 * get the local answer when there are none (local mode has no route outside).
 * Malformed input never throws out of here: it gets FORMERR or is dropped (wire.ts).
 *
 * Metrics (ztunnel's istio_dns_*, counted by telemetry/dns-metrics.ts) move where ztunnel moves
 * them (istio/ztunnel src/dns/server.rs, Store::lookup and Store::forward): every query that
 * reaches the resolver counts once in requests, whether answered from the table or forwarded;
 * a forward also counts in upstream requests, records its duration however it ends, and counts
 * in upstream failures when outcome.ts says so. Messages rejected before resolution (dropped,
 * FORMERR, NOTIMP) are not counted: ztunnel's handler answers those without a lookup.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, isIP, type Server, type Socket } from "node:net";
import { errorText } from "../../common/errors.js";
import { createLogger, type Logger } from "../../common/log.js";
import { DnsMetrics, dnsLabels } from "../../telemetry/dns-metrics.js";
import { FrameReader, frame } from "./framing.js";
import { UdpForwarder, parseUpstream } from "./forward.js";
import { upstreamFailure } from "./outcome.js";
import { resolve } from "./resolve.js";
import type { DnsAnswer, DnsTable } from "./table.js";
import { encode, parseQuery } from "./wire.js";

export interface DnsServerOptions {
  table: DnsTable;
  /** Default 0.0.0.0; "::" listens on both families. */
  host?: string;
  /** Default 15053; 0 picks a free port (tests). */
  port?: number;
  /** Resolvers for names the mesh does not know: "IP" or "IP:port" / "[IPv6]:port". */
  upstreams?: string[];
  /** TTL of served records (default 30 s, ztunnel's). */
  ttlSeconds?: number;
  /** Per-upstream timeout (default 2000 ms). */
  forwardTimeoutMs?: number;
  /** Where istio_dns_* are counted; pass the proxy's (on TcpMetrics' registry). Default: a private one. */
  metrics?: DnsMetrics;
  log?: Logger;
}

export interface DnsServerPorts {
  udpPort: number;
  tcpPort: number;
}

/** A TCP client idle this long is disconnected (ztunnel uses 5 s per request). */
const TCP_IDLE_MS = 5_000;
/** Queries one TCP connection may have unanswered at once before it is closed. */
const TCP_MAX_PENDING = 32;

export class DnsServer {
  private readonly table: DnsTable;
  private readonly host: string;
  private readonly port: number;
  private readonly ttl: number;
  private readonly log: Logger;
  private readonly forwarder: UdpForwarder;
  readonly metrics: DnsMetrics;
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  // live TCP clients, destroyed by close()
  private readonly clients = new Set<Socket>();

  constructor(opts: DnsServerOptions) {
    this.table = opts.table;
    this.host = opts.host ?? "0.0.0.0";
    this.port = opts.port ?? 15053;
    this.ttl = opts.ttlSeconds ?? 30;
    this.log = opts.log ?? createLogger("dns");
    this.metrics = opts.metrics ?? new DnsMetrics();
    this.forwarder = new UdpForwarder({
      upstreams: (opts.upstreams ?? []).map(parseUpstream),
      ...(opts.forwardTimeoutMs !== undefined ? { timeoutMs: opts.forwardTimeoutMs } : {}),
    });
  }

  async start(): Promise<DnsServerPorts> {
    const udp = createSocket({ type: isIP(this.host) === 6 ? "udp6" : "udp4" });
    this.udp = udp;
    udp.on("message", (msg, rinfo) => {
      void this.answer(msg, rinfo.address, "udp").then((reply) => {
        // The server may have closed while a forward was in flight.
        if (!reply || this.udp !== udp) return;
        try {
          udp.send(reply, rinfo.port, rinfo.address, () => undefined);
        } catch (e) {
          this.log.debug({ err: errorText(e) }, "DNS reply not sent");
        }
      });
    });
    try {
      await new Promise<void>((ok, fail) => {
        udp.once("error", fail);
        udp.bind(this.port, this.host, () => {
          udp.off("error", fail);
          ok();
        });
      });
    } catch (e) {
      this.udp = undefined;
      udp.close();
      throw e;
    }
    udp.on("error", (e) => this.log.warn({ err: errorText(e) }, "DNS UDP socket error"));
    const udpPort = udp.address().port;
    // Same port for TCP when we may choose (a client retrying a truncated answer over TCP uses
    // the port it asked on); if that port is taken for TCP, any port will do for tests.
    let tcpPort: number;
    try {
      tcpPort = await this.listenTcp(this.port === 0 ? udpPort : this.port);
    } catch (e) {
      if (this.port !== 0) {
        this.udp = undefined;
        udp.close();
        throw e;
      }
      tcpPort = await this.listenTcp(0);
    }
    this.log.info(
      { host: this.host, udpPort, tcpPort, upstreams: this.forwarder.enabled },
      "DNS server listening",
    );
    return { udpPort, tcpPort };
  }

  async close(): Promise<void> {
    this.forwarder.close();
    for (const c of this.clients) c.destroy();
    this.clients.clear();
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    await Promise.all([
      udp ? new Promise<void>((ok) => udp.close(() => ok())) : undefined,
      tcp ? new Promise<void>((ok) => tcp.close(() => ok())) : undefined,
    ]);
  }

  private listenTcp(port: number): Promise<number> {
    const server = createServer((socket) => this.serveTcp(socket));
    return new Promise((ok, fail) => {
      server.once("error", fail);
      server.listen(port, this.host, () => {
        server.off("error", fail);
        server.on("error", (e) => this.log.warn({ err: errorText(e) }, "DNS TCP listener error"));
        this.tcp = server;
        const addr = server.address();
        ok(typeof addr === "object" && addr ? addr.port : port);
      });
    });
  }

  private serveTcp(socket: Socket): void {
    this.clients.add(socket);
    const reader = new FrameReader();
    let pending = 0;
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on("error", () => undefined);
    socket.on("close", () => this.clients.delete(socket));
    socket.on("data", (chunk: Buffer) => {
      for (const msg of reader.push(chunk)) {
        if (++pending > TCP_MAX_PENDING) {
          socket.destroy();
          return;
        }
        void this.answer(msg, socket.remoteAddress ?? "", "tcp").then((reply) => {
          pending--;
          if (reply && !socket.destroyed) socket.write(frame(reply));
        });
      }
    });
  }

  /** The reply to one message, or undefined to send nothing. Never rejects. */
  private async answer(msg: Buffer, from: string, transport: "udp" | "tcp"): Promise<Buffer | undefined> {
    try {
      const parsed = parseQuery(msg);
      if (parsed.kind === "reject") {
        this.log.debug({ src: from, transport, why: parsed.why }, "DNS query rejected");
        return parsed.reply;
      }
      const client = clientIp(from);
      const labels = dnsLabels({
        queryType: parsed.question.type,
        protocol: transport,
        source: this.table.clientWorkload?.(client),
      });
      this.metrics.request(labels);
      const clientNamespace = this.table.clientNamespace?.(client);
      const answer = resolve(this.table, parsed.question, clientNamespace ? { clientNamespace } : {});
      const base = { src: client, query: parsed.question.type, domain: parsed.question.name, transport };
      if (answer.forward && this.forwarder.enabled) {
        this.metrics.upstreamRequest(labels);
        const started = performance.now();
        const reply = await this.forwarder.forward(msg);
        this.metrics.upstreamDone(labels, (performance.now() - started) / 1000);
        if (upstreamFailure(reply)) this.metrics.upstreamFailure(labels);
        this.log.debug({ ...base, result: reply ? "forwarded" : "forwarding failed" }, "dns");
        return reply ?? encode(parsed.packet, { rcode: "SERVFAIL", edns: parsed.edns });
      }
      this.log.debug({ ...base, result: answer.result, endpoints: answer.records.length }, "dns");
      return encode(parsed.packet, {
        rcode: answer.rcode,
        answer: { authoritative: answer.authoritative, records: shuffled(answer) },
        ttlSeconds: this.ttl,
        edns: parsed.edns,
        ...(transport === "udp" ? { maxBytes: parsed.udpLimit } : {}),
      });
    } catch (e) {
      this.log.warn({ src: from, err: errorText(e) }, "DNS query failed");
      return undefined;
    }
  }
}

/** "::ffff:10.0.0.1" (a v4 client on a dual-stack socket) -> "10.0.0.1". */
function clientIp(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Address records in random order, as ztunnel returns them (DNS-based load spreading). */
function shuffled(answer: DnsAnswer): DnsAnswer["records"] {
  const head = answer.records.filter((r) => r.type === "CNAME");
  const ips = answer.records.filter((r) => r.type !== "CNAME");
  for (let i = ips.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [ips[i], ips[j]] = [ips[j]!, ips[i]!];
  }
  return [...head, ...ips];
}
