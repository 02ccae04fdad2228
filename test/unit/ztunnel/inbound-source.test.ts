/**
 * handleHboneConnect with --preserve-source-ip: which address the node proxy asks to connect
 * from. Only a `forwarded` client the plan verified against the tunnel's identity is ever
 * preserved; anything else leaves the connection to the node's own address. (Sockets: loopback;
 * the handler's fake factories record what they were asked.)
 */
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import pino from "pino";
import { AccessLog, TcpMetrics } from "../../../src/telemetry/index.js";
import { ConnectionTable } from "../../../src/ztunnel/connections.js";
import type { ProxyContext } from "../../../src/ztunnel/context.js";
import { tcpConnect } from "../../../src/ztunnel/dial.js";
import type { HboneInboundRequest } from "../../../src/ztunnel/hbone/server.js";
import { handleHboneConnect } from "../../../src/ztunnel/inbound.js";
import { workload } from "./fixtures.js";
import { httpbin2, rogue, sleep, topology } from "./topology.js";

let server: Server;
let port = 0;
before(async () => {
  server = createServer((s) => s.resume());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});
after(() => server.close());

/** A node-b proxy context whose socket factories record the calls and reach the loopback server. */
function context() {
  const calls = { plain: [] as string[], from: [] as string[] };
  const log = pino({ level: "silent" });
  const ctx = {
    node: "node-b",
    state: topology(),
    metrics: new TcpMetrics(),
    accessLog: new AccessLog(log),
    connections: new ConnectionTable(),
    log,
    hbonePort: 15008,
    originalDestination: () => ({ address: "0.0.0.0", port: 0 }),
    connect: (host: string, p: number) => {
      calls.plain.push(`${host}:${p}`);
      return tcpConnect("127.0.0.1", port);
    },
    connectFrom: (source: string, host: string, p: number) => {
      calls.from.push(`${source}->${host}:${p}`);
      return tcpConnect("127.0.0.1", port);
    },
    connectTimeoutMs: 2_000,
  } as unknown as ProxyContext;
  return { ctx, calls };
}

const request = (o: Partial<HboneInboundRequest>): HboneInboundRequest => ({
  authority: `${httpbin2.addresses[0]}:8080`,
  peerIdentity: sleep.identity,
  peerAddress: "192.168.0.1", // node-a's proxy
  localIp: httpbin2.addresses[0]!,
  headers: {},
  ...o,
});

async function connect(ctx: ProxyContext, req: HboneInboundRequest): Promise<void> {
  const r = await handleHboneConnect(ctx, req);
  assert.ok(r.ok, `admitted: ${r.ok ? "" : r.reason}`);
  (r.upstream as Socket).destroy();
  r.onDone?.({ bytesFromClient: 0, bytesToClient: 0, durationMs: 1 });
}

describe("HBONE inbound: the source the proxy connects to the pod from", () => {
  test("a verified forwarded client (sleep's own IP, sleep's certificate): preserved", async () => {
    const { ctx, calls } = context();
    await connect(ctx, request({ headers: { forwarded: `for=${sleep.addresses[0]}` } }));
    assert.deepEqual(calls.from, [`${sleep.addresses[0]}->10.0.1.20:8080`]);
    assert.deepEqual(calls.plain, []);
  });

  test("a claim of someone else's IP (rogue's certificate, sleep's IP): not preserved", async () => {
    const { ctx, calls } = context();
    await connect(
      ctx,
      request({ peerIdentity: rogue.identity, headers: { forwarded: `for=${sleep.addresses[0]}` } }),
    );
    assert.deepEqual(calls.from, []);
    assert.deepEqual(calls.plain, ["10.0.1.20:8080"]);
  });

  test("no forwarded header: the tunnel's peer is a node, not a client: not preserved", async () => {
    const { ctx, calls } = context();
    await connect(ctx, request({}));
    assert.deepEqual(calls.from, []);
    assert.deepEqual(calls.plain, ["10.0.1.20:8080"]);
  });

  test("a workload outside the mesh with the same identity (host-network: a node's IP): not preserved", async () => {
    const { ctx, calls } = context();
    const host = workload("sleep-host", { ip: "192.168.0.3", node: "node-c", sa: "sleep", enrolled: false });
    assert.equal(host.identity, sleep.identity);
    ctx.state.upsertWorkload(host);
    await connect(ctx, request({ headers: { forwarded: "for=192.168.0.3" } }));
    assert.deepEqual(calls.from, []);
    assert.deepEqual(calls.plain, ["10.0.1.20:8080"]);
  });

  test("an address that is no workload's: not preserved", async () => {
    const { ctx, calls } = context();
    await connect(ctx, request({ headers: { forwarded: "for=10.9.9.9" } }));
    assert.deepEqual(calls.from, []);
  });
});
