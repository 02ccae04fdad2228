/**
 * The request fields httpbin echoes back, computed the way httpbin (postmanlabs/httpbin,
 * helpers.get_dict) computes them, so scripts written against the real image read the same JSON:
 *
 * - header names in canonical MIME form ("X-B3-Traceid"), repeated headers joined with ",";
 *   proxy/environment headers (X-Forwarded-For, X-Request-Id, Via...) hidden unless `show_env`
 *   is in the query string;
 * - `args`/`form`: one value -> a string, repeated -> an array;
 * - `origin`: X-Forwarded-For when present, else the peer address;
 * - `url`: scheme from X-Forwarded-Proto/-Protocol/-Ssl, then Host and the request target;
 * - `data`: the body as text, or a `data:` URL (base64) when it is not UTF-8; `json`: the body
 *   parsed as JSON, else null.
 */
import type { IncomingMessage } from "node:http";

export type Flat = Record<string, string | string[]>;

export interface RequestInfo {
  method: string;
  url: string;
  path: string;
  args: Flat;
  headers: Record<string, string>;
  origin: string;
  form: Flat;
  data: string;
  files: Record<string, string>;
  json: unknown;
}

/** Headers httpbin treats as environment (added by proxies), hidden from /headers by default. */
const ENV_HEADERS = new Set(
  [
    "x-varnish",
    "x-request-start",
    "x-heroku-queue-depth",
    "x-real-ip",
    "x-forwarded-proto",
    "x-forwarded-protocol",
    "x-forwarded-ssl",
    "x-heroku-queue-wait-time",
    "x-forwarded-for",
    "x-heroku-dynos-in-use",
    "x-forwarded-port",
    "x-request-id",
    "via",
    "total-route-time",
    "connect-time",
  ].map((h) => h.toLowerCase()),
);

/** "x-b3-traceid" -> "X-B3-Traceid": what werkzeug and Go's CanonicalMIMEHeaderKey produce. */
export function canonicalHeaderName(name: string): string {
  return name
    .split("-")
    .map((p) => (p.length === 0 ? p : p[0]!.toUpperCase() + p.slice(1).toLowerCase()))
    .join("-");
}

/** Query string or urlencoded form -> httpbin's "semi-flattened" object. */
export function semiflatten(params: URLSearchParams): Flat {
  const out: Record<string, string[]> = {};
  for (const [k, v] of params) (out[k] ??= []).push(v);
  return Object.fromEntries(
    Object.entries(out).map(([k, vs]) => [k, vs.length === 1 ? vs[0]! : vs] as const),
  );
}

/** Header map as httpbin shows it, from the raw (name, value) pairs in wire order. */
export function headerDict(rawHeaders: readonly string[], showEnv: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (!showEnv && ENV_HEADERS.has(name.toLowerCase())) continue;
    const key = canonicalHeaderName(name);
    out[key] = key in out ? `${out[key]},${rawHeaders[i + 1]!}` : rawHeaders[i + 1]!;
  }
  return out;
}

/** The peer address without the IPv4-mapped prefix a dual-stack socket reports. */
export function peerAddress(req: IncomingMessage): string {
  const addr = req.socket.remoteAddress ?? "";
  return addr.startsWith("::ffff:") ? addr.slice("::ffff:".length) : addr;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

function requestUrl(req: IncomingMessage): string {
  let scheme = header(req, "x-forwarded-proto") ?? header(req, "x-forwarded-protocol");
  if (scheme === undefined && header(req, "x-forwarded-ssl") === "on") scheme = "https";
  const host = header(req, "host") ?? "localhost";
  return `${scheme ?? "http"}://${host}${req.url ?? "/"}`;
}

/** Body as httpbin's `data`: text when it is valid UTF-8, else an RFC 2397 data URL. */
function dataText(body: Buffer, contentType: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return `data:${contentType || "application/octet-stream"};base64,${body.toString("base64")}`;
  }
}

export function describeRequest(req: IncomingMessage, body: Buffer): RequestInfo {
  const target = new URL(req.url ?? "/", "http://localhost");
  const args = semiflatten(target.searchParams);
  const contentType = (header(req, "content-type") ?? "").toLowerCase();
  const isForm = contentType.startsWith("application/x-www-form-urlencoded");
  const isMultipart = contentType.startsWith("multipart/form-data");
  // A form body is consumed into `form` (and `data` stays empty), as werkzeug does.
  const form = isForm ? semiflatten(new URLSearchParams(body.toString("utf8"))) : {};
  const data = isForm || isMultipart ? "" : dataText(body, contentType);
  let json: unknown = null;
  if (data !== "") {
    try {
      json = JSON.parse(data) as unknown;
    } catch {
      json = null;
    }
  }
  return {
    method: req.method ?? "GET",
    url: requestUrl(req),
    path: target.pathname,
    args,
    headers: headerDict(req.rawHeaders, target.searchParams.has("show_env")),
    origin: header(req, "x-forwarded-for") ?? peerAddress(req),
    form,
    data,
    files: {},
    json,
  };
}

/** The subset of fields an endpoint returns, in httpbin's key names. */
export function pick<K extends keyof RequestInfo>(
  info: RequestInfo,
  keys: readonly K[],
): Pick<RequestInfo, K> {
  const out = {} as Pick<RequestInfo, K>;
  for (const k of keys) out[k] = info[k];
  return out;
}
