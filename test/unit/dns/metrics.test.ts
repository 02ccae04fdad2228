import { test } from "node:test";
import assert from "node:assert/strict";
import * as packet from "dns-packet";
import { register as globalRegistry } from "prom-client";
import {
  DNS_LABEL_NAMES,
  DnsMetrics,
  TcpMetrics,
  connectionLabels,
  dnsLabels,
} from "../../../src/telemetry/index.js";
import { upstreamFailure } from "../../../src/ztunnel/dns/index.js";
import { sample, samples } from "./prom-text.js";

const sleep = { canonicalName: "sleep", canonicalRevision: "v1" };

test("labels: ztunnel's four, query type in lower case, unknown source as 'unknown'", () => {
  assert.deepEqual(dnsLabels({ queryType: "AAAA", protocol: "tcp", source: sleep }), {
    request_query_type: "aaaa",
    request_protocol: "tcp",
    source_canonical_service: "sleep",
    source_canonical_revision: "v1",
  });
  assert.deepEqual(dnsLabels({ queryType: "A", protocol: "udp" }), {
    request_query_type: "a",
    request_protocol: "udp",
    source_canonical_service: "unknown",
    source_canonical_revision: "unknown",
  });
  assert.deepEqual(Object.keys(dnsLabels({ queryType: "MX", protocol: "udp", source: {} })), [
    ...DNS_LABEL_NAMES,
  ]);
});

function reply(opts: { rcode?: number; answers?: number; tc?: boolean }): Buffer {
  const name = "www.example.org";
  return packet.encode({
    type: "response",
    id: 7,
    flags: (opts.rcode ?? 0) | (opts.tc ? packet.TRUNCATED_RESPONSE : 0),
    questions: [{ name, type: "A" }],
    answers: Array.from({ length: opts.answers ?? 0 }, (_, i) => ({
      name,
      type: "A" as const,
      ttl: 60,
      data: `192.0.2.${i + 1}`,
    })),
  });
}

test("upstream failure, as ztunnel's forwarder reports it: no reply, error RCODE, or no records", () => {
  assert.equal(upstreamFailure(undefined), "no answer");
  assert.equal(upstreamFailure(Buffer.from([1, 2, 3])), "no answer");
  assert.equal(upstreamFailure(reply({ rcode: 3 })), "error rcode", "NXDOMAIN");
  assert.equal(upstreamFailure(reply({ rcode: 2 })), "error rcode", "SERVFAIL");
  assert.equal(upstreamFailure(reply({ rcode: 5 })), "error rcode", "REFUSED");
  assert.equal(upstreamFailure(reply({})), "no records", "NOERROR without answers (NODATA)");
  assert.equal(upstreamFailure(reply({ answers: 2 })), undefined);
  assert.equal(upstreamFailure(reply({ tc: true })), undefined, "truncated: the client retries over TCP");
});

test("the four istio_dns_* series in Prometheus text, with their types and ztunnel's buckets", async () => {
  const m = new DnsMetrics();
  const labels = dnsLabels({ queryType: "A", protocol: "udp", source: sleep });
  m.request(labels);
  m.request(labels);
  m.upstreamRequest(labels);
  m.upstreamDone(labels, 0.003);
  m.upstreamFailure(labels);
  const text = await m.registry.metrics();
  const who = { request_query_type: "a", request_protocol: "udp", source_canonical_service: "sleep" };
  assert.equal(sample(text, "istio_dns_requests_total", who), 2);
  assert.equal(sample(text, "istio_dns_upstream_requests_total", who), 1);
  assert.equal(sample(text, "istio_dns_upstream_failures_total", who), 1);
  assert.equal(sample(text, "istio_dns_upstream_request_duration_seconds_count", who), 1);
  assert.equal(sample(text, "istio_dns_upstream_request_duration_seconds_sum", who), 0.003);
  const buckets = samples(text, "istio_dns_upstream_request_duration_seconds_bucket", who);
  assert.deepEqual(
    buckets.map((b) => [b.labels["le"], b.value]),
    [
      ["0.001", 0],
      ["0.005", 1],
      ["0.01", 1],
      ["0.1", 1],
      ["1", 1],
      ["5", 1],
      ["+Inf", 1],
    ],
  );
  assert.match(text, /# TYPE istio_dns_requests_total counter/);
  assert.match(text, /# TYPE istio_dns_upstream_requests_total counter/);
  assert.match(text, /# TYPE istio_dns_upstream_failures_total counter/);
  assert.match(text, /# TYPE istio_dns_upstream_request_duration_seconds histogram/);
});

test("on the proxy's TCP registry: one scrape shows both, TCP series unchanged; global registry untouched", async () => {
  const tcp = new TcpMetrics();
  const dns = new DnsMetrics(tcp.registry);
  tcp.opened(connectionLabels({ reporter: "source", securityPolicy: "mutual_tls" }));
  dns.request(dnsLabels({ queryType: "A", protocol: "udp" }));
  const text = await tcp.registry.metrics();
  assert.equal(sample(text, "istio_tcp_connections_opened_total", { reporter: "source" }), 1);
  assert.equal(sample(text, "istio_dns_requests_total", { source_canonical_service: "unknown" }), 1);
  assert.equal(
    samples(text, "istio_tcp_connections_opened_total")[0]?.labels["request_query_type"],
    undefined,
  );
  assert.doesNotMatch(await globalRegistry.metrics(), /istio_dns/);
});
