/**
 * The node proxy's admin API: localhost:15000 only (never on a routable address — it shows every
 * workload and connection), plus optionally a Unix socket so that `ambit ztunnel-config` on the
 * host can reach a proxy living in a node network namespace. Like ztunnel's admin port, it serves
 * `/config_dump` (workloads, services, policies, certificates, connections), plus the settings
 * the proxy follows at runtime: the mesh root namespace and where it came from, and the trust
 * bundle (each root's subject, serial, fingerprint, validity and source; the roots file's state).
 * Private keys and certificate bodies are never part of it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { rmSync } from "node:fs";

export interface AdminServerOptions {
  port: number;
  socketPath?: string;
  dump: () => unknown;
  metrics: () => Promise<string>;
  /** True once the proxy has its first full config (`/healthz/ready` answers 503 before). */
  ready: () => boolean;
}

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (req.method !== "GET") return send(405, "text/plain", "only GET is served\n");
    if (path === "/config_dump")
      return send(200, "application/json", `${JSON.stringify(opts.dump(), null, 2)}\n`);
    if (path === "/stats/prometheus")
      return void opts.metrics().then(
        (text) => send(200, "text/plain; version=0.0.4", text),
        (e: Error) => send(500, "text/plain", `${e.message}\n`),
      );
    if (path === "/healthz/ready")
      return opts.ready() ? send(200, "text/plain", "ok\n") : send(503, "text/plain", "not synced\n");
    send(404, "text/plain", "not found; try /config_dump or /stats/prometheus\n");
  };
  const servers: Server[] = [];
  const tcp = createServer(handler);
  servers.push(tcp);
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(opts.port, "127.0.0.1", () => resolve());
  });
  if (opts.socketPath) {
    const path = opts.socketPath;
    rmSync(path, { force: true });
    const unix = createServer(handler);
    servers.push(unix);
    await new Promise<void>((resolve, reject) => {
      unix.once("error", reject);
      unix.listen(path, () => resolve());
    });
  }
  const addr = tcp.address();
  return {
    port: typeof addr === "object" && addr ? addr.port : opts.port,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      if (opts.socketPath) rmSync(opts.socketPath, { force: true });
    },
  };
}
