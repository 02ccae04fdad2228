import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { promises as dnsPromises } from "node:dns";
import * as packet from "dns-packet";
import { pino } from "pino";
import { DnsServer } from "../../../src/ztunnel/dns/index.js";
import { table } from "../../unit/dns/fixtures.js";
import { fakeUpstream, ips, query, rcode, tcpExchange, udpExchange } from "./peers.js";

const silent = pino({ level: "silent" });
const bigVips = Array.from({ length: 100 }, (_, i) => `10.200.${Math.floor(i / 250)}.${i % 250}`);
const meshTable = table([
  { hostname: "big.default.svc.cluster.local", namespace: "default", addresses: bigVips },
]);

describe("DnsServer without upstreams (local mode)", () => {
  const server = new DnsServer({ table: meshTable, host: "127.0.0.1", port: 0, log: silent });
  let udpPort = 0;
  let tcpPort = 0;
  before(async () => ({ udpPort, tcpPort } = await server.start()));
  after(() => server.close());

  test("Node's resolver (c-ares) resolves mesh names over UDP", async () => {
    const r = new dnsPromises.Resolver({ timeout: 2000, tries: 1 });
    r.setServers([`127.0.0.1:${udpPort}`]);
    assert.deepEqual(await r.resolve4("httpbin.default.svc.cluster.local"), ["10.96.0.10"]);
    assert.deepEqual(await r.resolve6("httpbin.default.svc.cluster.local"), ["fd00::10"]);
    assert.deepEqual(await r.resolve4("api.example.com"), ["240.240.0.1"]);
    assert.deepEqual(await r.resolve4("foo.wild.example.com"), ["240.240.0.2"]);
    await assert.rejects(r.resolve4("nothere.default.svc.cluster.local"), { code: "ENOTFOUND" });
    await assert.rejects(r.resolve4("www.example.org"), { code: "ENOTFOUND" });
    await assert.rejects(r.resolve6("v4only.default.svc.cluster.local"), { code: "ENODATA" });
  });

  test("a truncated UDP answer makes the client retry over TCP and get every address", async () => {
    const [udp] = await udpExchange(udpPort, [query("big.default.svc.cluster.local")]);
    assert.ok(udp);
    assert.equal(udp.flag_tc, true);
    assert.ok(ips(udp).length < 100);
    assert.equal(tcpPort, udpPort, "TCP on the same port as UDP");
    const r = new dnsPromises.Resolver({ timeout: 2000, tries: 1 });
    r.setServers([`127.0.0.1:${udpPort}`]);
    assert.deepEqual((await r.resolve4("big.default.svc.cluster.local")).sort(), [...bigVips].sort());
  });

  test("response header: ID echoed, AA for mesh names, RD copied, RA set, TTL 30", async () => {
    const q = query("httpbin.default.svc.cluster.local");
    const [res] = await udpExchange(udpPort, [q]);
    assert.ok(res);
    assert.equal(res.id, q.readUInt16BE(0));
    assert.equal(rcode(res), "NOERROR");
    assert.equal(res.flag_aa, true);
    assert.equal(res.flag_rd, true);
    assert.equal(res.flag_ra, true);
    const a = res.answers?.[0];
    assert.ok(a && "ttl" in a);
    assert.equal(a.ttl, 30);
    const [nx] = await udpExchange(udpPort, [query("www.example.org")]);
    assert.ok(nx);
    assert.equal(rcode(nx), "NXDOMAIN");
    assert.equal(nx.flag_aa, false, "not authoritative outside the mesh");
  });

  test("TCP: pipelined queries on one connection, no truncation", async () => {
    const replies = await tcpExchange(tcpPort, [
      query("httpbin.default.svc.cluster.local"),
      query("big.default.svc.cluster.local"),
      query("reviews.shop.svc.cluster.local", "AAAA"),
    ]);
    const byName = new Map(replies.map((r) => [r.questions?.[0]?.name, r]));
    assert.deepEqual(ips(byName.get("httpbin.default.svc.cluster.local")!), ["10.96.0.10"]);
    assert.equal(ips(byName.get("big.default.svc.cluster.local")!).length, 100);
    assert.equal(byName.get("big.default.svc.cluster.local")?.flag_tc, false);
    assert.equal(rcode(byName.get("reviews.shop.svc.cluster.local")!), "NOERROR");
    assert.deepEqual(ips(byName.get("reviews.shop.svc.cluster.local")!), []);
  });

  test("malformed packets get FORMERR or nothing, and the server keeps answering", async () => {
    const junk = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 0x41]);
    const tiny = Buffer.from([1, 2, 3]);
    const asResponse = packet.encode({ type: "response", id: 99, questions: [{ name: "a", type: "A" }] });
    const good = query("httpbin.default.svc.cluster.local");
    // Four sent, two answered: the junk (FORMERR) and the good query; the others are dropped.
    const replies = await udpExchange(udpPort, [tiny, asResponse, junk, good], 2);
    const formerr = replies.find((r) => r.id === 0xabcd);
    assert.ok(formerr);
    assert.equal(rcode(formerr), "FORMERR");
    const ok = replies.find((r) => r.id === good.readUInt16BE(0));
    assert.deepEqual(ok && ips(ok), ["10.96.0.10"]);
    assert.equal(
      replies.some((r) => r.id === 99),
      false,
    );
    // A TCP client sending garbage gets FORMERR too, framed.
    const [tcpFormerr] = await tcpExchange(tcpPort, [junk]);
    assert.equal(tcpFormerr && rcode(tcpFormerr), "FORMERR");
  });
});

test("the asking pod's namespace (looked up by its IP) enables short names and CNAMEs", async () => {
  const seen: string[] = [];
  const perPod = {
    ...meshTable,
    clientNamespace: (ip: string) => {
      seen.push(ip);
      return ip === "127.0.0.1" ? "default" : undefined;
    },
  };
  const server = new DnsServer({ table: perPod, host: "127.0.0.1", port: 0, log: silent });
  try {
    const { udpPort } = await server.start();
    const [short] = await udpExchange(udpPort, [query("httpbin")]);
    assert.deepEqual(short && ips(short), ["10.96.0.10"]);
    const [viaSearch] = await udpExchange(udpPort, [query("reviews.shop.default.svc.cluster.local")]);
    assert.deepEqual(
      viaSearch?.answers?.map((a) => a.type),
      ["CNAME", "A"],
    );
    assert.ok(seen.includes("127.0.0.1"));
  } finally {
    await server.close();
  }
});

describe("DnsServer with an upstream", () => {
  test("unknown outside names are forwarded; mesh and cluster-domain names never are", async () => {
    const up = await fakeUpstream("answer");
    const server = new DnsServer({
      table: meshTable,
      host: "127.0.0.1",
      port: 0,
      upstreams: [`127.0.0.1:${up.port}`],
      log: silent,
    });
    try {
      const { udpPort, tcpPort } = await server.start();
      const [fwd, nx, mesh, local] = await udpExchange(udpPort, [query("www.example.org")]).then(
        async (a) => [
          ...a,
          ...(await udpExchange(udpPort, [query("nope.example.org")])),
          ...(await udpExchange(udpPort, [query("httpbin.default.svc.cluster.local")])),
          ...(await udpExchange(udpPort, [query("nothere.default.svc.cluster.local")])),
        ],
      );
      assert.deepEqual(fwd && ips(fwd), ["192.0.2.1"]);
      assert.equal(fwd?.flag_aa, false);
      assert.equal(nx && rcode(nx), "NXDOMAIN");
      assert.deepEqual(mesh && ips(mesh), ["10.96.0.10"]);
      assert.equal(local && rcode(local), "NXDOMAIN");
      assert.deepEqual(up.seen, ["www.example.org", "nope.example.org"]);
      // Forwarding also serves TCP clients.
      const [viaTcp] = await tcpExchange(tcpPort, [query("www.example.org")]);
      assert.deepEqual(viaTcp && ips(viaTcp), ["192.0.2.1"]);
    } finally {
      await server.close();
      up.close();
    }
  });

  test("an upstream that stays silent or answers with a wrong ID gives SERVFAIL after the timeout", async () => {
    const silentUp = await fakeUpstream("silent");
    const spoofing = await fakeUpstream("wrong-id");
    const server = new DnsServer({
      table: meshTable,
      host: "127.0.0.1",
      port: 0,
      upstreams: [`127.0.0.1:${silentUp.port}`, `127.0.0.1:${spoofing.port}`],
      forwardTimeoutMs: 200,
      log: silent,
    });
    try {
      const { udpPort } = await server.start();
      const [res] = await udpExchange(udpPort, [query("www.example.org")]);
      assert.equal(res && rcode(res), "SERVFAIL");
      assert.deepEqual(silentUp.seen, ["www.example.org"], "first upstream tried");
      assert.deepEqual(spoofing.seen, ["www.example.org"], "then the next");
    } finally {
      await server.close();
      silentUp.close();
      spoofing.close();
    }
  });

  test("a port already in use makes start() fail, and close() still works", async () => {
    const first = new DnsServer({ table: meshTable, host: "127.0.0.1", port: 0, log: silent });
    const { udpPort } = await first.start();
    const second = new DnsServer({ table: meshTable, host: "127.0.0.1", port: udpPort, log: silent });
    try {
      await assert.rejects(second.start(), { code: "EADDRINUSE" });
      await second.close();
    } finally {
      await first.close();
    }
  });

  test("invalid upstreams are refused with a hint", () => {
    assert.throws(() => new DnsServer({ table: meshTable, upstreams: ["dns.google"], log: silent }), {
      code: "DNS_BAD_UPSTREAM",
    });
  });
});
