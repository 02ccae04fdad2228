/**
 * A built-in, httpbin-compatible HTTP/1.1 server: what local mode runs for the httpbin sample
 * images (docker.io/kennethreitz/httpbin, mccutchen/go-httpbin...), which are not programs on
 * this machine. Endpoints, methods and JSON shapes follow httpbin (postmanlabs/httpbin
 * core.py) and go-httpbin's routing (httpbin.go): JSON with sorted keys, two-space indent and a
 * trailing newline, as Flask's jsonify writes it; CORS headers on every reply.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { describeRequest, peerAddress, pick, type RequestInfo } from "./httpbin-request.js";
import { chooseStatus, parseStatusChoices, statusReply } from "./httpbin-status.js";

export interface HttpbinOptions {
  /** TCP port; 0 picks a free one. Default 8080 (go-httpbin's, and Istio's samples/httpbin). */
  port?: number;
  /** Listen address; default all addresses (dual-stack when IPv6 is available). */
  host?: string;
  /** Upper bound of /delay/{s}; httpbin caps it at 10 s. */
  maxDelayMs?: number;
  /** One line per request (the built-in image writes them to the container log). */
  log?: (line: string) => void;
}

export interface Httpbin {
  port: number;
  close(): Promise<void>;
}

/** Request bodies larger than this get a 413, as go-httpbin's default max body size (1 MiB). */
const MAX_BODY = 1024 * 1024;

const BODY_FIELDS = ["url", "args", "form", "data", "origin", "headers", "files", "json"] as const;
const ANYTHING_FIELDS = [...BODY_FIELDS, "method"] as const;

interface Reply {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, sortKeys(o[k])]),
    );
  }
  return v;
}

function json(value: unknown, status = 200, headers?: Record<string, string>): Reply {
  const body = `${JSON.stringify(sortKeys(value), null, 2)}\n`;
  return { status, body, contentType: "application/json", headers };
}

const text = (status: number, body: string, contentType = "text/html; charset=utf-8"): Reply => ({
  status,
  body,
  contentType,
});

const INDEX = `<!DOCTYPE html>
<html><head><title>httpbin (ambit built-in)</title></head><body>
<h1>httpbin</h1>
<p>An httpbin-compatible server built into Ambit's local mode.</p>
<ul>
${[
  "/headers",
  "/ip",
  "/user-agent",
  "/hostname",
  "/uuid",
  "/get",
  "/post",
  "/put",
  "/patch",
  "/delete",
  "/anything",
  "/status/{codes}",
  "/delay/{seconds}",
  "/response-headers?k=v",
]
  .map((p) => `<li><code>${p.replace(/[<>&]/g, "")}</code></li>`)
  .join("\n")}
</ul>
</body></html>
`;

function methodNotAllowed(allowed: readonly string[]): Reply {
  return {
    ...text(405, "<!DOCTYPE html><title>405 Method Not Allowed</title><h1>Method Not Allowed</h1>\n"),
    headers: { allow: [...allowed, "OPTIONS"].join(", ") },
  };
}

/** Routes that answer without waiting; /delay is handled by the server (it must be cancellable). */
export function route(info: RequestInfo): Reply {
  const { path, method } = info;
  const only = (methods: readonly string[], fields: readonly (keyof RequestInfo)[]): Reply =>
    methods.includes(method) ? json(pick(info, fields)) : methodNotAllowed(methods);

  switch (path) {
    case "/":
      return method === "GET" || method === "HEAD" ? text(200, INDEX) : methodNotAllowed(["GET", "HEAD"]);
    case "/headers":
      return json(pick(info, ["headers"]));
    case "/ip":
      return json(pick(info, ["origin"]));
    case "/user-agent":
      return json({ "user-agent": info.headers["User-Agent"] ?? "" });
    case "/hostname":
      return json({ hostname: hostname() });
    case "/uuid":
      return json({ uuid: randomUUID() });
    case "/get":
      return only(["GET", "HEAD"], ["url", "args", "headers", "origin"]);
    case "/post":
    case "/put":
    case "/patch":
    case "/delete":
      return only([path.slice(1).toUpperCase()], BODY_FIELDS);
    case "/response-headers":
      return responseHeaders(info);
    case "/anything":
      return json(pick(info, ANYTHING_FIELDS));
  }
  if (path.startsWith("/anything/")) return json(pick(info, ANYTHING_FIELDS));
  if (path.startsWith("/status/")) {
    const choices = parseStatusChoices(decodeURIComponent(path.slice("/status/".length)));
    if (!choices) return text(400, "Invalid status code\n", "text/plain; charset=utf-8");
    const r = statusReply(chooseStatus(choices));
    return {
      status: r.status,
      body: r.body,
      contentType: r.contentType ?? "text/html; charset=utf-8",
      headers: r.headers,
    };
  }
  return text(404, "<!DOCTYPE html><title>404 Not Found</title><h1>Not Found</h1>\n");
}

/** Query parameters become response headers, and the body lists them (httpbin's /response-headers). */
function responseHeaders(info: RequestInfo): Reply {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(info.args)) headers[k] = Array.isArray(v) ? v.join(",") : v;
  return json({ ...info.args, "Content-Type": "application/json" }, 200, headers);
}

/** Seconds from "/delay/{s}", capped; undefined when not a number. */
export function delayMs(path: string, maxMs: number): number | undefined {
  const s = Number(decodeURIComponent(path.slice("/delay/".length)));
  if (!Number.isFinite(s) || path === "/delay/") return undefined;
  return Math.min(Math.max(s, 0) * 1000, maxMs);
}

function send(req: IncomingMessage, res: ServerResponse, r: Reply): void {
  res.statusCode = r.status;
  res.setHeader("content-type", r.contentType);
  res.setHeader("access-control-allow-origin", req.headers.origin ?? "*");
  res.setHeader("access-control-allow-credentials", "true");
  for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
  res.setHeader("content-length", Buffer.byteLength(r.body));
  res.end(r.body);
}

/** CORS preflight, answered on every path (httpbin's after_request / go-httpbin's preflight). */
function preflight(req: IncomingMessage): Reply {
  const headers: Record<string, string> = {
    "access-control-allow-methods": "GET, POST, PUT, DELETE, PATCH, OPTIONS",
    "access-control-max-age": "3600",
  };
  const asked = req.headers["access-control-request-headers"];
  if (asked) headers["access-control-allow-headers"] = asked;
  return { status: 200, body: "", contentType: "text/html; charset=utf-8", headers };
}

export async function startHttpbin(opts: HttpbinOptions = {}): Promise<Httpbin> {
  const maxDelayMs = opts.maxDelayMs ?? 10_000;
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("finish", () => {
      opts.log?.(
        `${new Date().toISOString()} ${peerAddress(req) || "-"} "${req.method} ${req.url} HTTP/${req.httpVersion}" ${res.statusCode} ${Date.now() - started}ms`,
      );
    });
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        send(req, res, text(413, "request body too large\n", "text/plain; charset=utf-8"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      if (res.headersSent) return;
      if (req.method === "OPTIONS") return send(req, res, preflight(req));
      const info = describeRequest(req, Buffer.concat(chunks));
      if (!info.path.startsWith("/delay/")) return send(req, res, route(info));
      const ms = delayMs(info.path, maxDelayMs);
      if (ms === undefined) return send(req, res, text(400, "invalid delay\n", "text/plain; charset=utf-8"));
      const t = setTimeout(() => {
        timers.delete(t);
        send(req, res, json(pick(info, ["url", "args", "form", "data", "origin", "headers", "files"])));
      }, ms);
      timers.add(t);
      // A client that gives up should not keep a timer (and its request) alive.
      res.on("close", () => {
        clearTimeout(t);
        timers.delete(t);
      });
    });
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 8080, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
