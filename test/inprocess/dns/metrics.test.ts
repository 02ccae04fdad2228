/**
 * istio_dns_* as a user's Prometheus sees them: a real DnsServer counting into the same registry
 * as the proxy's TCP metrics, scraped over HTTP from /stats/prometheus.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect } from "node:net";
import { request } from "node:http";
import * as packet from "dns-packet";
import { pino } from "pino";
import { DnsServer, FrameReader, frame } from "../../../src/ztunnel/dns/index.js";
import {
  DnsMetrics,
  TcpMetrics,
  startTelemetryServer,
  type TelemetryServer,
} from "../../../src/telemetry/index.js";
import { table } from "../../unit/dns/fixtures.js";
import { sample, samples } from "../../unit/dns/prom-text.js";

const silent = pino({ level: "silent" });
/** Queries from 127.0.0.1 come from the "sleep" pod; other loopback addresses are unknown to the proxy. */
const sleepPod = { namespace: "default", canonicalName: "sleep", canonicalRevision: "v1" };
const meshTable = { ...table(), clientWorkload: (ip: string) => (ip === "127.0.0.1" ? sleepPod : undefined) };
const fromSleep = { source_canonical_service: "sleep", source_canonical_revision: "v1" };

let nextId = 1;
function query(name: string, type: packet.RecordType = "A"): Buffer {
  return packet.encode({
    type: "query",
    id: nextId++,
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type }],
  });
}

/** One query over UDP from `from`, its reply decoded (bounded wait). */
async function udpAsk(port: number, msg: Buffer, from = "127.0.0.1"): Promise<packet.DecodedPacket> {
  const sock = createSocket("udp4");
  try {
    await new Promise<void>((ok) => sock.bind(0, from, () => ok()));
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no DNS reply")), 5000);
      sock.on("message", (m) => {
        clearTimeout(timer);
        resolve(packet.decode(m));
      });
      sock.send(msg, port, "127.0.0.1");
    });
  } finally {
    sock.close();
  }
}

async function tcpAsk(port: number, msg: Buffer): Promise<packet.DecodedPacket> {
  const socket = connect(port, "127.0.0.1");
  const reader = new FrameReader();
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no TCP DNS reply")), 5000);
      socket.on("error", reject);
      socket.on("data", (chunk: Buffer) => {
        const [m] = reader.push(chunk);
        if (!m) return;
        clearTimeout(timer);
        resolve(packet.decode(m));
      });
      socket.write(frame(msg));
    });
  } finally {
    socket.destroy();
  }
}

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

const rcode = (p: packet.DecodedPacket) => (p as { rcode?: string }).rcode;

/** A fake upstream on 127.0.0.1 that answers www.example.org, says NXDOMAIN otherwise, or stays silent. */
async function fakeUpstream(behaviour: "answer" | "silent"): Promise<{ port: number; close(): void }> {
  const sock: UdpSocket = createSocket("udp4");
  sock.on("message", (msg, rinfo) => {
    if (behaviour === "silent") return;
    const q = packet.decode(msg);
    const name = q.questions?.[0]?.name ?? "";
    const known = name === "www.example.org";
    const reply = packet.encode({
      type: "response",
      id: q.id,
      flags: packet.RECURSION_AVAILABLE | (known ? 0 : 3),
      questions: q.questions,
      answers: known ? [{ name, type: "A", ttl: 60, data: "192.0.2.1" }] : [],
    });
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((ok) => sock.bind(0, "127.0.0.1", () => ok()));
  return { port: sock.address().port, close: () => sock.close() };
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
    const up = await fakeUpstream("answer");
    const p = await proxyDns([`127.0.0.1:${up.port}`]);
    try {
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
    } finally {
      await p.close();
      up.close();
    }
  });

  test("an upstream that does not answer counts a failure (client gets SERVFAIL)", async () => {
    const up = await fakeUpstream("silent");
    const p = await proxyDns([`127.0.0.1:${up.port}`]);
    try {
      const res = await tcpAsk(p.tcpPort, query("www.example.org"));
      assert.equal(rcode(res), "SERVFAIL");
      const text = await scrape(p.metricsPort);
      const who = { request_query_type: "a", request_protocol: "tcp", ...fromSleep };
      assert.equal(sample(text, "istio_dns_upstream_requests_total", who), 1);
      assert.equal(sample(text, "istio_dns_upstream_failures_total", who), 1);
      assert.equal(sample(text, "istio_dns_upstream_request_duration_seconds_count", who), 1);
    } finally {
      await p.close();
      up.close();
    }
  });

  test("an upstream NXDOMAIN counts as a failure, as in ztunnel; cluster names never go upstream", async () => {
    const up = await fakeUpstream("answer");
    const p = await proxyDns([`127.0.0.1:${up.port}`]);
    try {
      assert.equal(rcode(await udpAsk(p.dnsPort, query("nope.example.org"))), "NXDOMAIN");
      assert.equal(rcode(await udpAsk(p.dnsPort, query("nothere.default.svc.cluster.local"))), "NXDOMAIN");
      const text = await scrape(p.metricsPort);
      const who = { request_query_type: "a", request_protocol: "udp", ...fromSleep };
      assert.equal(sample(text, "istio_dns_requests_total", who), 2);
      assert.equal(sample(text, "istio_dns_upstream_requests_total", who), 1);
      assert.equal(sample(text, "istio_dns_upstream_failures_total", who), 1);
    } finally {
      await p.close();
      up.close();
    }
  });
});
