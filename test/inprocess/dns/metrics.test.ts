/**
 * istio_dns_* as a user's Prometheus sees them: a real DnsServer counting into the same registry
 * as the proxy's TCP metrics, scraped over HTTP from /stats/prometheus.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { pino } from "pino";
import { DnsServer } from "../../../src/ztunnel/dns/index.js";
import {
  DnsMetrics,
  TcpMetrics,
  startTelemetryServer,
  type TelemetryServer,
} from "../../../src/telemetry/index.js";
import { table } from "../../unit/dns/fixtures.js";
import { sample, samples } from "../../unit/dns/prom-text.js";
import { fakeUpstream, query, rcode, tcpExchange, udpExchange } from "./peers.js";

const silent = pino({ level: "silent" });
/** Queries from 127.0.0.1 come from the "sleep" pod; other loopback addresses are unknown to the proxy. */
const sleepPod = { namespace: "default", canonicalName: "sleep", canonicalRevision: "v1" };
const meshTable = { ...table(), clientWorkload: (ip: string) => (ip === "127.0.0.1" ? sleepPod : undefined) };
const fromSleep = { source_canonical_service: "sleep", source_canonical_revision: "v1" };

/** One query over UDP from `from`, its reply decoded. */
const udpAsk = async (port: number, msg: Buffer, from = "127.0.0.1") =>
  (await udpExchange(port, [msg], 1, from))[0]!;
/** One query over TCP, its reply decoded. */
const tcpAsk = async (port: number, msg: Buffer) => (await tcpExchange(port, [msg]))[0]!;

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/stats/prometheus", timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** A DnsServer wired as the node proxy wires it, plus its metrics endpoint. */
async function proxyDns(upstreams: string[] = []): Promise<{
  dnsPort: number;
  tcpPort: number;
  metricsPort: number;
  close(): Promise<void>;
}> {
  const tcpMetrics = new TcpMetrics();
  const server = new DnsServer({
    table: meshTable,
    host: "127.0.0.1",
    port: 0,
    upstreams,
    forwardTimeoutMs: 200,
    metrics: new DnsMetrics(tcpMetrics.registry),
    log: silent,
  });
  let telemetry: TelemetryServer | undefined;
  try {
    const { udpPort, tcpPort } = await server.start();
    telemetry = await startTelemetryServer({
      host: "127.0.0.1",
      port: 0,
      registry: tcpMetrics.registry,
      ready: () => true,
    });
    const t = telemetry;
    return {
      dnsPort: udpPort,
      tcpPort,
      metricsPort: t.port,
      close: async () => {
        await Promise.all([server.close(), t.close()]);
      },
    };
  } catch (e) {
    await Promise.all([server.close(), telemetry?.close()]);
    throw e;
  }
}

/** Runs `fn` against a proxy DNS server that forwards to a fake upstream behaving as asked. */
async function withUpstream(
  behaviour: "answer" | "silent",
  fn: (p: Awaited<ReturnType<typeof proxyDns>>) => Promise<void>,
): Promise<void> {
  const up = await fakeUpstream(behaviour);
  const p = await proxyDns([`127.0.0.1:${up.port}`]);
  try {
    await fn(p);
  } finally {
    await p.close();
    up.close();
  }
}

describe("DNS metrics without upstreams", () => {
  let p: Awaited<ReturnType<typeof proxyDns>>;
  before(async () => (p = await proxyDns()));
  after(() => p.close());

  test("a query answered from the registry counts in istio_dns_requests_total with ztunnel's labels", async () => {
    const a = await udpAsk(p.dnsPort, query("httpbin.default.svc.cluster.local"));
    assert.equal(rcode(a), "NOERROR");
    const aaaa = await tcpAsk(p.tcpPort, query("httpbin.default.svc.cluster.local", "AAAA"));
    assert.equal(rcode(aaaa), "NOERROR");
    const text = await scrape(p.metricsPort);
    assert.equal(
      sample(text, "istio_dns_requests_total", {
        request_query_type: "a",
        request_protocol: "udp",
        ...fromSleep,
      }),
      1,
    );
    assert.equal(
      sample(text, "istio_dns_requests_total", {
        request_query_type: "aaaa",
        request_protocol: "tcp",
        ...fromSleep,
      }),
      1,
    );
    assert.deepEqual(Object.keys(samples(text, "istio_dns_requests_total")[0]?.labels ?? {}).sort(), [
      "request_protocol",
      "request_query_type",
      "source_canonical_revision",
      "source_canonical_service",
    ]);
    assert.deepEqual(samples(text, "istio_dns_upstream_requests_total"), [], "nothing forwarded");
  });

  test("a client the proxy does not know is counted with source 'unknown'", async () => {
    const res = await udpAsk(p.dnsPort, query("api.example.com"), "127.0.0.2");
    assert.equal(rcode(res), "NOERROR");
    const text = await scrape(p.metricsPort);
    assert.equal(
      sample(text, "istio_dns_requests_total", {
        request_query_type: "a",
        request_protocol: "udp",
        source_canonical_service: "unknown",
        source_canonical_revision: "unknown",
      }),
      1,
    );
  });

  test("messages rejected before resolution are not counted", async () => {
    const before = sample(await scrape(p.metricsPort), "istio_dns_requests_total", {
      request_query_type: "a",
      request_protocol: "udp",
      ...fromSleep,
    });
    const junk = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 0x41]);
    assert.equal(rcode(await udpAsk(p.dnsPort, junk)), "FORMERR");
    const text = await scrape(p.metricsPort);
    assert.equal(
      sample(text, "istio_dns_requests_total", {
        request_query_type: "a",
        request_protocol: "udp",
        ...fromSleep,
      }),
      before,
    );
  });
});

describe("DNS metrics with an upstream", () => {
  test("a forwarded query counts in requests and upstream requests, and records a duration", async () => {
    await withUpstream("answer", async (p) => {
      const res = await udpAsk(p.dnsPort, query("www.example.org"));
      assert.equal(rcode(res), "NOERROR");
      const text = await scrape(p.metricsPort);
      const who = { request_query_type: "a", request_protocol: "udp", ...fromSleep };
      assert.equal(sample(text, "istio_dns_requests_total", who), 1);
      assert.equal(sample(text, "istio_dns_upstream_requests_total", who), 1);
      assert.equal(sample(text, "istio_dns_upstream_request_duration_seconds_count", who), 1);
      assert.equal(
        sample(text, "istio_dns_upstream_request_duration_seconds_bucket", { ...who, le: "+Inf" }),
        1,
      );
      assert.ok((sample(text, "istio_dns_upstream_request_duration_seconds_sum", who) ?? -1) >= 0);
      assert.deepEqual(samples(text, "istio_dns_upstream_failures_total"), [], "no failure");
    });
  });

  test("an upstream that does not answer counts a failure (client gets SERVFAIL)", async () => {
    await withUpstream("silent", async (p) => {
      const res = await tcpAsk(p.tcpPort, query("www.example.org"));
      assert.equal(rcode(res), "SERVFAIL");
      const text = await scrape(p.metricsPort);
      const who = { request_query_type: "a", request_protocol: "tcp", ...fromSleep };
      assert.equal(sample(text, "istio_dns_upstream_requests_total", who), 1);
      assert.equal(sample(text, "istio_dns_upstream_failures_total", who), 1);
      assert.equal(sample(text, "istio_dns_upstream_request_duration_seconds_count", who), 1);
    });
  });

  test("an upstream NXDOMAIN counts as a failure, as in ztunnel; cluster names never go upstream", async () => {
    await withUpstream("answer", async (p) => {
      assert.equal(rcode(await udpAsk(p.dnsPort, query("nope.example.org"))), "NXDOMAIN");
      assert.equal(rcode(await udpAsk(p.dnsPort, query("nothere.default.svc.cluster.local"))), "NXDOMAIN");
      const text = await scrape(p.metricsPort);
      const who = { request_query_type: "a", request_protocol: "udp", ...fromSleep };
      assert.equal(sample(text, "istio_dns_requests_total", who), 2);
      assert.equal(sample(text, "istio_dns_upstream_requests_total", who), 1);
      assert.equal(sample(text, "istio_dns_upstream_failures_total", who), 1);
    });
  });
});
