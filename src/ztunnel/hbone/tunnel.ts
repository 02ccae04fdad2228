/**
 * One inbound CONNECT stream on the HBONE server: check the request, ask the proxy (onConnect),
 * answer, then splice the stream and the upstream socket.
 *
 * Answers: non-CONNECT 405 (RFC 9110 §15.5.6; ztunnel answers 400, src/proxy/inbound.rs
 * `NonConnectMethod`), an :authority that is not "IP:port" 400 (as ztunnel), a header list over
 * the limit 431 (RFC 6585 §5, what the h2 crate under ztunnel answers), then whatever onConnect
 * decides (ztunnel: 401 for an authorization denial, 503 when the workload cannot be reached).
 * The 200 is sent only once the upstream connection exists (ztunnel inbound.rs: "Wait on
 * establishing the upstream connection ... before sending the 200").
 */
import { constants as h2c, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { Socket } from "node:net";
import { errorText } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import { parseAuthority } from "./authority.js";
import { pump } from "../relay.js";

export interface HboneInboundRequest {
  /** The destination "IP:port" the client asked for. */
  authority: string;
  /** The client's SPIFFE ID, from its verified certificate. */
  peerIdentity: string;
  /** The client's address as seen on the outer connection (the source node's ztunnel). */
  peerAddress: string;
  /** The address the client dialled (the destination pod's IP on :15008). */
  localIp: string;
  /** Request headers other than pseudo-headers, lowercase names (baggage, forwarded, traceparent). */
  headers: Record<string, string>;
}

export interface TunnelStats {
  bytesFromClient: number;
  bytesToClient: number;
  durationMs: number;
  error?: string;
}

export type HboneInboundResult =
  | { ok: true; upstream: Socket; onDone?: (stats: TunnelStats) => void }
  | { ok: false; status: number; reason: string };

export interface ConnectionInfo {
  peerIdentity: string;
  peerAddress: string;
  localIp: string;
}

export interface TunnelDeps {
  onConnect: (req: HboneInboundRequest) => Promise<HboneInboundResult>;
  maxHeaderBytes: number;
  log: Logger;
  /** Called with +1 when a tunnel starts and -1 when it ends (for stats). */
  count: (delta: 1 | -1) => void;
}

/** RFC 9113 §6.5.2: name + value + 32 octets per field. */
function headerListBytes(headers: IncomingHttpHeaders): number {
  let n = 0;
  for (const [k, v] of Object.entries(headers)) {
    for (const value of Array.isArray(v) ? v : [v ?? ""]) n += k.length + String(value).length + 32;
  }
  return n;
}

export async function serveStream(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  conn: ConnectionInfo,
  deps: TunnelDeps,
): Promise<void> {
  stream.on("error", (e) =>
    deps.log.debug({ peer: conn.peerAddress, error: errorText(e) }, "HBONE stream error"),
  );
  const where = { peer: conn.peerAddress, peerIdentity: conn.peerIdentity, localIp: conn.localIp };
  const answer = (status: number, why: string, fields: Record<string, unknown> = {}) => {
    deps.log.warn({ ...where, ...fields, status }, why);
    if (!stream.closed && !stream.headersSent) {
      stream.respond(
        { ":status": status, ...(status === 405 ? { allow: "CONNECT" } : {}) },
        { endStream: true },
      );
    }
  };
  const method = String(headers[":method"] ?? "");
  if (method !== "CONNECT") {
    return answer(405, "HBONE request refused: only CONNECT is accepted", { method, path: headers[":path"] });
  }
  const size = headerListBytes(headers);
  if (size > deps.maxHeaderBytes) {
    return answer(431, "HBONE request refused: header list too large", {
      bytes: size,
      limit: deps.maxHeaderBytes,
    });
  }
  const authority = headers[":authority"];
  if (!parseAuthority(authority)) {
    return answer(400, "HBONE request refused: :authority is not an IP:port destination", {
      authority: String(authority ?? "").slice(0, 100),
    });
  }
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (!k.startsWith(":") && v !== undefined) plain[k] = Array.isArray(v) ? v.join(", ") : String(v);
  }

  let result: HboneInboundResult;
  try {
    result = await deps.onConnect({ authority: authority!, headers: plain, ...conn });
  } catch (e) {
    return answer(503, "HBONE request failed in the proxy", { authority, error: errorText(e) });
  }
  if (!result.ok) {
    // The proxy already logged the decision (with policy names); answer only with the status.
    if (!stream.closed) stream.respond({ ":status": result.status }, { endStream: true });
    return;
  }
  const { upstream } = result;
  if (stream.closed || stream.destroyed) {
    upstream.destroy();
    result.onDone?.({ bytesFromClient: 0, bytesToClient: 0, durationMs: 0, error: "client went away" });
    return;
  }
  stream.respond({ ":status": 200 });
  splice(stream, upstream, deps, result.onDone);
}

/**
 * Both directions with backpressure (pump), FIN passed through in each direction on its own
 * (END_STREAM <-> TCP half-close), bytes counted, and a reset on either side reflected on the
 * other: an upstream error resets the stream with CONNECT_ERROR (RFC 9113 §8.5).
 */
function splice(
  stream: ServerHttp2Stream,
  upstream: Socket,
  deps: TunnelDeps,
  onDone?: (stats: TunnelStats) => void,
): void {
  const started = Date.now();
  let fromClient = 0;
  let toClient = 0;
  let error: string | undefined;
  let open = 2;
  deps.count(1);
  // Half-close needs both sides to keep writing after reading a FIN.
  upstream.allowHalfOpen = true;
  upstream.setNoDelay(true);
  const finished = () => {
    if (--open > 0) return;
    deps.count(-1);
    onDone?.({
      bytesFromClient: fromClient,
      bytesToClient: toClient,
      durationMs: Date.now() - started,
      ...(error ? { error } : {}),
    });
  };
  pump(stream, upstream, (n) => (fromClient += n));
  pump(upstream, stream, (n) => (toClient += n));
  upstream.on("error", (e) => {
    error ??= `upstream: ${errorText(e)}`;
    if (!stream.closed) stream.close(h2c.NGHTTP2_CONNECT_ERROR);
  });
  stream.on("error", (e) => {
    error ??= `tunnel: ${errorText(e)}`;
  });
  stream.once("close", () => {
    // A reset (or a torn-down connection) before both FINs: abort the upstream as well.
    if (stream.rstCode !== h2c.NGHTTP2_NO_ERROR || !stream.writableFinished) {
      error ??= `tunnel reset (code ${stream.rstCode ?? "?"})`;
      upstream.destroy();
    }
    finished();
  });
  upstream.once("close", () => {
    if (!stream.closed && !upstream.readableEnded) stream.close(h2c.NGHTTP2_CONNECT_ERROR);
    finished();
  });
}
