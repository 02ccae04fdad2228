/**
 * In-process xDS fixtures: a gRPC server with an XdsServer on 127.0.0.1:0, XdsClients, a TCP
 * relay that can "take the control plane away", and bounded waiting.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { XdsClient, type XdsClientOptions } from "../../../src/xds/client/client.js";
import { XdsServer, type XdsServerOptions } from "../../../src/xds/server/server.js";

export interface RunningXds {
  xds: XdsServer;
  server: grpc.Server;
  port: number;
  close(): void;
}

export async function startXds(opts: XdsServerOptions = {}): Promise<RunningXds> {
  const server = new grpc.Server();
  const xds = new XdsServer({ debounceMs: 2, ...opts });
  xds.attach(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    xds,
    server,
    port,
    close() {
      xds.close();
      server.forceShutdown();
    },
  };
}

export function newClient(port: number, id: string, extra: Partial<XdsClientOptions> = {}): XdsClient {
  return new XdsClient({
    address: `127.0.0.1:${port}`,
    credentials: grpc.credentials.createInsecure(),
    node: { id },
    backoff: { initialMs: 20, maxMs: 200 },
    // Each proxy has its own connection, as separate processes would.
    channelOptions: { "grpc.use_local_subchannel_pool": 1 },
    ...extra,
  });
}

/** Polls `cond` every 10 ms; fails after `timeoutMs` naming what it waited for. */
export async function eventually(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A TCP relay on 127.0.0.1:0 in front of the control plane. With no target it refuses
 * connections (accepts and resets them), as an address with nothing behind it would.
 */
export class TcpRelay {
  private readonly listener: Server;
  private readonly sockets = new Set<Socket>();
  target: number | undefined;
  port = 0;

  constructor() {
    this.listener = createServer((inbound) => {
      this.sockets.add(inbound);
      inbound.on("close", () => this.sockets.delete(inbound));
      inbound.on("error", () => inbound.destroy());
      if (this.target === undefined) {
        inbound.destroy();
        return;
      }
      const outbound = connect(this.target, "127.0.0.1");
      this.sockets.add(outbound);
      outbound.on("close", () => {
        this.sockets.delete(outbound);
        inbound.destroy();
      });
      outbound.on("error", () => outbound.destroy());
      inbound.on("close", () => outbound.destroy());
      inbound.pipe(outbound).pipe(inbound);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.listener.listen(0, "127.0.0.1", resolve));
    const addr = this.listener.address();
    this.port = typeof addr === "object" && addr ? addr.port : 0;
    return this.port;
  }

  /** Drops every relayed connection (the control plane went away). */
  cut(): void {
    this.target = undefined;
    for (const s of this.sockets) s.destroy();
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.listener.close(() => resolve()));
  }
}
