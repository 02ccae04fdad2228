/**
 * The node proxy's telemetry listeners, at ztunnel's ports: 15020 serves Prometheus text at
 * /stats/prometheus (and /metrics), 15021 serves /healthz/ready (200 when ready, 503 before).
 * The metrics carry no secrets, so they listen on the proxy's address for Prometheus to scrape.
 */
import { rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { errorText } from "../common/errors.js";

export interface TelemetryServerOptions {
  /** Default 0.0.0.0. */
  host?: string;
  /** 15020; 0 picks a free port. */
  port: number;
  registry: Registry;
  ready: () => boolean;
  /** 15021; 0 picks a free port. When omitted, /healthz/ready is served on `port` only. */
  readyPort?: number;
  /** Also serve the metrics port's routes on this Unix socket (replaced if it exists). */
  socketPath?: string;
}

export interface TelemetryServer {
  port: number;
  /** The readiness port; equals `port` when no separate one was asked for. */
  readyPort: number;
  close(): Promise<void>;
}

export const READY_PATH = "/healthz/ready";
const METRICS_PATHS = new Set(["/stats/prometheus", "/metrics"]);

export async function startTelemetryServer(opts: TelemetryServerOptions): Promise<TelemetryServer> {
  const host = opts.host ?? "0.0.0.0";
  const servers: Server[] = [];
  const readyRoute = (res: ServerResponse) =>
    opts.ready() ? send(res, 200, "text/plain", "ready\n") : send(res, 503, "text/plain", "not ready\n");

  const metricsHandler = (req: IncomingMessage, res: ServerResponse) => {
    const path = pathOf(req);
    if (!methodOk(req, res)) return;
    if (METRICS_PATHS.has(path)) {
      opts.registry.metrics().then(
        (text) => send(res, 200, opts.registry.contentType, text),
        (e: unknown) => send(res, 500, "text/plain", `${errorText(e)}\n`),
      );
      return;
    }
    if (path === READY_PATH) return readyRoute(res);
    send(res, 404, "text/plain", "not found; metrics are at /stats/prometheus\n");
  };
  const readyHandler = (req: IncomingMessage, res: ServerResponse) => {
    if (!methodOk(req, res)) return;
    if (pathOf(req) === READY_PATH) return readyRoute(res);
    send(res, 404, "text/plain", `not found; readiness is at ${READY_PATH}\n`);
  };

  try {
    const port = await listen(servers, metricsHandler, (s, cb) => s.listen(opts.port, host, cb));
    const readyPort =
      opts.readyPort === undefined
        ? port
        : await listen(servers, readyHandler, (s, cb) => s.listen(opts.readyPort, host, cb));
    if (opts.socketPath) {
      const path = opts.socketPath;
      rmSync(path, { force: true });
      await listen(servers, metricsHandler, (s, cb) => s.listen(path, cb));
    }
    return { port, readyPort, close: () => closeAll(servers) };
  } catch (e) {
    await closeAll(servers);
    throw e;
  }
}

async function listen(
  servers: Server[],
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  start: (s: Server, cb: () => void) => void,
): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    start(server, () => {
      server.off("error", fail);
      ok();
    });
  });
  const addr = server.address();
  return typeof addr === "object" && addr ? addr.port : 0;
}

function closeAll(servers: Server[]): Promise<void> {
  return Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((ok) => {
          if (!s.listening) return ok();
          s.close(() => ok());
          s.closeAllConnections();
        }),
    ),
  ).then(() => undefined);
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? "/").split("?")[0] ?? "/";
}

function methodOk(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === "GET" || req.method === "HEAD") return true;
  res.setHeader("allow", "GET, HEAD");
  send(res, 405, "text/plain", "only GET and HEAD are served\n");
  return false;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type });
  res.end(body);
}
