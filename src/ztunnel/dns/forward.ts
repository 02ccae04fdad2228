/**
 * Forwarding what the mesh does not answer to upstream resolvers over UDP, as ztunnel's
 * forwarder does with the node's resolv.conf servers (istio/ztunnel src/dns/forwarder.rs).
 *
 * Each attempt uses a fresh socket on a random port and a fresh random ID, and accepts only a
 * reply from the upstream's exact address carrying that ID and the same question, so an
 * off-path host cannot answer for it. Upstreams are tried in order, each for `timeoutMs`; the
 * whole forward is bounded by upstreams x timeout. The number of queries in flight is capped.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { randomInt } from "node:crypto";
import { isIP } from "node:net";
import { AmbitError } from "../../common/errors.js";
import { withId } from "./wire.js";

export interface Upstream {
  host: string;
  port: number;
}

/** "10.0.0.10", "10.0.0.10:53", "::1", "[::1]:5353" -> host and port (default 53). */
export function parseUpstream(text: string): Upstream {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host = text;
  let port = "53";
  if (bracketed) {
    host = bracketed[1] ?? "";
    port = bracketed[2] ?? "53";
  } else if (isIP(text) !== 6) {
    const i = text.lastIndexOf(":");
    if (i > 0) {
      host = text.slice(0, i);
      port = text.slice(i + 1);
    }
  }
  const n = Number(port);
  if (isIP(host) === 0 || !/^\d+$/.test(port) || n < 1 || n > 65535) {
    throw new AmbitError(
      "DNS_BAD_UPSTREAM",
      `invalid DNS upstream "${text}"`,
      'give an IP with an optional port, e.g. "10.96.0.10", "10.96.0.10:53" or "[fd00::a]:53"',
    );
  }
  return { host, port: n };
}

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** Per upstream (default 2000 ms). */
  timeoutMs?: number;
  /** Queries in flight at once before new ones fail fast (default 256). */
  maxInFlight?: number;
}

export class UdpForwarder {
  private readonly upstreams: Upstream[];
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private inFlight = 0;
  // sockets of attempts in progress, closed by close()
  private readonly open = new Set<UdpSocket>();

  constructor(opts: ForwarderOptions) {
    this.upstreams = opts.upstreams;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.maxInFlight = opts.maxInFlight ?? 256;
  }

  get enabled(): boolean {
    return this.upstreams.length > 0;
  }

  /** The upstream's reply with the client's ID restored, or undefined if none answered in time. */
  async forward(query: Buffer): Promise<Buffer | undefined> {
    if (this.inFlight >= this.maxInFlight) return undefined;
    this.inFlight++;
    try {
      for (const upstream of this.upstreams) {
        const reply = await this.attempt(query, upstream);
        if (reply) return withId(reply, query.readUInt16BE(0));
      }
      return undefined;
    } finally {
      this.inFlight--;
    }
  }

  close(): void {
    for (const s of this.open) s.close();
    this.open.clear();
  }

  private attempt(query: Buffer, upstream: Upstream): Promise<Buffer | undefined> {
    const id = randomInt(0, 0x10000);
    const wanted = questionKey(query);
    return new Promise((resolve) => {
      const socket = createSocket(isIP(upstream.host) === 6 ? "udp6" : "udp4");
      this.open.add(socket);
      let done = false;
      const finish = (reply: Buffer | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.open.delete(socket);
        socket.close();
        resolve(reply);
      };
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      socket.on("error", () => finish(undefined));
      socket.on("close", () => finish(undefined));
      socket.on("message", (msg, rinfo) => {
        if (rinfo.address !== upstream.host || rinfo.port !== upstream.port) return;
        if (msg.length < 12 || msg.readUInt16BE(0) !== id || questionKey(msg) !== wanted) return;
        finish(msg);
      });
      socket.send(withId(query, id), upstream.port, upstream.host, (err) => {
        if (err) finish(undefined);
      });
    });
  }
}

/**
 * The raw question section (name, type, class) of a message, ASCII-lower-cased (resolvers may
 * echo the name with other case, RFC 4343); "" when there is none. Read by hand rather than by
 * decoding the whole reply, so an answer with records dns-packet cannot parse still relays.
 */
function questionKey(msg: Buffer): string {
  if (msg.length < 12 || msg.readUInt16BE(4) < 1) return "";
  let o = 12;
  for (;;) {
    const len = msg[o];
    if (len === undefined || len & 0xc0) return "";
    o += len + 1;
    if (len === 0) break;
  }
  if (o + 4 > msg.length) return "";
  return msg
    .subarray(12, o + 4)
    .toString("latin1")
    .toLowerCase();
}
