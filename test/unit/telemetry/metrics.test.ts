import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry, register as globalRegistry } from "prom-client";
import { TcpMetrics, connectionLabels, type TcpLabels } from "../../../src/telemetry/index.js";

const labels: TcpLabels = connectionLabels({
  reporter: "destination",
  source: {
    name: "sleep-1",
    workloadName: "sleep",
    namespace: "default",
    canonicalName: "sleep",
    canonicalRevision: "latest",
    labels: { app: "sleep" },
    identity: "spiffe://cluster.local/ns/default/sa/sleep",
  },
  destination: {
    name: "httpbin-1",
    workloadName: "httpbin",
    namespace: "default",
    canonicalName: "httpbin",
    canonicalRevision: "v1",
    labels: { app: "httpbin", version: "v1" },
    identity: "spiffe://cluster.local/ns/default/sa/httpbin",
  },
  service: { hostname: "httpbin.default.svc.cluster.local", name: "httpbin", namespace: "default" },
  securityPolicy: "mutual_tls",
});

/** The value of the sample of `metric` whose labels include all of `match`, from the text format. */
function sample(text: string, metric: string, match: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric}{`)) continue;
    const body = line.slice(metric.length + 1, line.lastIndexOf("}"));
    const pairs = Object.fromEntries([...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(match).every(([k, v]) => pairs[k] === v))
      return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

test("opened/closed/bytes appear in the Prometheus text with Istio's labels", async () => {
  const m = new TcpMetrics();
  m.opened(labels);
  m.closed(labels, { sent: 300, received: 40 });
  const text = await m.registry.metrics();
  const who = {
    reporter: "destination",
    source_workload: "sleep",
    destination_workload: "httpbin",
    destination_service: "httpbin.default.svc.cluster.local",
    connection_security_policy: "mutual_tls",
    response_flags: "-",
    request_protocol: "tcp",
  };
  assert.equal(sample(text, "istio_tcp_connections_opened_total", who), 1);
  assert.equal(sample(text, "istio_tcp_connections_closed_total", who), 1);
  assert.equal(sample(text, "istio_tcp_sent_bytes_total", who), 300);
  assert.equal(sample(text, "istio_tcp_received_bytes_total", who), 40);
  assert.match(text, /# TYPE istio_tcp_connections_opened_total counter/);
  assert.match(text, /source_principal="spiffe:\/\/cluster.local\/ns\/default\/sa\/sleep"/);
});

test("a tracker reports bytes live (at scrape time) and closes once with its final flag", async () => {
  const m = new TcpMetrics(new Registry());
  const t = m.track(labels);
  t.addBytes({ received: 10 });
  t.addBytes({ sent: 5, received: 2 });
  let text = await m.registry.metrics();
  assert.equal(sample(text, "istio_tcp_received_bytes_total", { reporter: "destination" }), 12);
  assert.equal(sample(text, "istio_tcp_sent_bytes_total", { reporter: "destination" }), 5);
  assert.equal(sample(text, "istio_tcp_connections_closed_total", { reporter: "destination" }), undefined);
  t.addBytes({ sent: 1 });
  assert.deepEqual(t.close({ responseFlags: "DENY" }), { sent: 6, received: 12 });
  t.close();
  text = await m.registry.metrics();
  assert.equal(sample(text, "istio_tcp_connections_opened_total", { response_flags: "-" }), 1);
  assert.equal(sample(text, "istio_tcp_connections_closed_total", { response_flags: "DENY" }), 1);
  assert.equal(sample(text, "istio_tcp_connections_closed_total", { response_flags: "-" }), undefined);
  assert.equal(sample(text, "istio_tcp_sent_bytes_total", { reporter: "destination" }), 6);
  assert.equal(t.closed, true);
});

test("each proxy has its own registry; the global default registry stays empty", async () => {
  const a = new TcpMetrics();
  const b = new TcpMetrics();
  a.opened(labels);
  assert.equal(sample(await b.registry.metrics(), "istio_tcp_connections_opened_total", {}), undefined);
  assert.equal(sample(await a.registry.metrics(), "istio_tcp_connections_opened_total", {}), 1);
  assert.doesNotMatch(await globalRegistry.metrics(), /istio_tcp/);
});
