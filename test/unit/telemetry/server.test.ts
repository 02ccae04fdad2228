import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TcpMetrics, connectionLabels, startTelemetryServer } from "../../../src/telemetry/index.js";

function get(
  target: { port: number } | { socketPath: string },
  path: string,
  method = "GET",
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", ...target, path, method, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

test("metrics on /stats/prometheus and /metrics with the Prometheus content type; readiness on its own port", async () => {
  const metrics = new TcpMetrics();
  metrics.opened(connectionLabels({ reporter: "source", securityPolicy: "mutual_tls" }));
  let ready = false;
  const dir = mkdtempSync(join(tmpdir(), "ambit-telemetry-"));
  const socketPath = join(dir, "metrics.sock");
  const srv = await startTelemetryServer({
    host: "127.0.0.1",
    port: 0,
    readyPort: 0,
    registry: metrics.registry,
    ready: () => ready,
    socketPath,
  });
  try {
    assert.notEqual(srv.port, srv.readyPort);
    for (const path of ["/stats/prometheus", "/metrics"]) {
      const res = await get({ port: srv.port }, path);
      assert.equal(res.status, 200);
      assert.match(res.type, /^text\/plain; version=0\.0\.4/);
      assert.match(
        res.body,
        /istio_tcp_connections_opened_total\{reporter="source",.*connection_security_policy="mutual_tls"\} 1/,
      );
    }
    const viaSocket = await get({ socketPath }, "/stats/prometheus");
    assert.match(viaSocket.body, /istio_tcp_connections_opened_total/);
    assert.equal((await get({ port: srv.readyPort }, "/healthz/ready")).status, 503);
    ready = true;
    assert.equal((await get({ port: srv.readyPort }, "/healthz/ready")).status, 200);
    assert.equal((await get({ port: srv.readyPort }, "/stats/prometheus")).status, 404);
    assert.equal((await get({ port: srv.port }, "/nope")).status, 404);
    assert.equal((await get({ port: srv.port }, "/metrics", "POST")).status, 405);
    const head = await get({ port: srv.port }, "/metrics", "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("without a separate ready port, readiness is served on the metrics port", async () => {
  const metrics = new TcpMetrics();
  const srv = await startTelemetryServer({
    host: "127.0.0.1",
    port: 0,
    registry: metrics.registry,
    ready: () => true,
  });
  try {
    assert.equal(srv.readyPort, srv.port);
    assert.equal((await get({ port: srv.port }, "/healthz/ready")).status, 200);
  } finally {
    await srv.close();
  }
});

test("a port already in use makes start fail with EADDRINUSE", async () => {
  const metrics = new TcpMetrics();
  const first = await startTelemetryServer({
    host: "127.0.0.1",
    port: 0,
    registry: metrics.registry,
    ready: () => true,
  });
  try {
    await assert.rejects(
      startTelemetryServer({
        host: "127.0.0.1",
        port: 0,
        readyPort: first.port,
        registry: metrics.registry,
        ready: () => true,
      }),
      { code: "EADDRINUSE" },
    );
  } finally {
    await first.close();
  }
});
