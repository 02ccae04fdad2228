import { test } from "node:test";
import assert from "node:assert/strict";
import * as packet from "dns-packet";
import { FrameReader, encode, frame, parseQuery, type DnsRecord } from "../../../src/ztunnel/dns/index.js";

function query(name: string, extra: Partial<packet.Packet> = {}): Buffer {
  return packet.encode({
    type: "query",
    id: 4242,
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type: "A" }],
    ...extra,
  });
}

function parsed(msg: Buffer) {
  const p = parseQuery(msg);
  assert.equal(p.kind, "query");
  return p;
}

test("parseQuery: a normal query, with and without EDNS", () => {
  const p = parsed(query("httpbin.default.svc.cluster.local"));
  assert.deepEqual(p.question, { name: "httpbin.default.svc.cluster.local", type: "A" });
  assert.equal(p.udpLimit, 512);
  assert.equal(p.edns, false);
  const opt: packet.Answer = {
    type: "OPT",
    name: ".",
    udpPayloadSize: 1400,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };
  const e = parsed(query("x.example", { additionals: [opt] }));
  assert.equal(e.udpLimit, 1400);
  assert.equal(e.edns, true);
});

test("parseQuery: what is dropped and what gets FORMERR / NOTIMP", () => {
  assert.deepEqual(parseQuery(Buffer.from([1, 2, 3])), { kind: "reject", why: "shorter than a DNS header" });
  const response = packet.encode({ type: "response", id: 1, questions: [{ name: "a", type: "A" }] });
  const r = parseQuery(response);
  assert.equal(r.kind, "reject");
  assert.equal(r.kind === "reject" ? r.reply : "x", undefined, "a response is never answered");

  const rcodeOf = (msg: Buffer) => {
    const p = parseQuery(msg);
    assert.equal(p.kind, "reject");
    const reply = p.kind === "reject" ? p.reply : undefined;
    assert.ok(reply);
    const d = packet.decode(reply);
    assert.equal(d.id, msg.readUInt16BE(0));
    assert.equal(d.type, "response");
    return (d as { rcode?: string }).rcode;
  };
  const garbage = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    Buffer.from([63]),
  ]);
  assert.equal(rcodeOf(garbage), "FORMERR");
  const two = packet.encode({
    type: "query",
    id: 7,
    questions: [
      { name: "a", type: "A" },
      { name: "b", type: "A" },
    ],
  });
  assert.equal(rcodeOf(two), "FORMERR");
  assert.equal(rcodeOf(packet.encode({ type: "query", id: 8, questions: [] })), "FORMERR");
  const notify = query("a");
  notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2); // opcode NOTIFY
  assert.equal(rcodeOf(notify), "NOTIMP");
  assert.equal(
    rcodeOf(
      packet.encode({
        type: "query",
        id: 9,
        questions: [{ name: "version.bind", type: "TXT", class: "CH" }],
      }),
    ),
    "NOTIMP",
  );
});

test("encode: flags, TTL and records", () => {
  const p = parsed(query("HttpBin.default.svc.cluster.local"));
  const records: DnsRecord[] = [{ name: "HttpBin.default.svc.cluster.local", type: "A", data: "10.96.0.10" }];
  const d = packet.decode(
    encode(p.packet, { rcode: "NOERROR", answer: { authoritative: true, records }, ttlSeconds: 30 }),
  );
  assert.equal(d.id, 4242);
  assert.equal(d.flag_qr, true);
  assert.equal(d.flag_aa, true);
  assert.equal(d.flag_rd, true, "RD copied");
  assert.equal(d.flag_ra, true);
  assert.equal(d.flag_tc, false);
  assert.deepEqual(d.questions, [{ name: "HttpBin.default.svc.cluster.local", type: "A", class: "IN" }]);
  assert.deepEqual(
    d.answers?.map((a) => ({
      name: a.name,
      type: a.type,
      ttl: "ttl" in a ? a.ttl : 0,
      data: "data" in a ? a.data : "",
    })),
    [{ name: "HttpBin.default.svc.cluster.local", type: "A", ttl: 30, data: "10.96.0.10" }],
  );
  const nx = packet.decode(
    encode(p.packet, { rcode: "NXDOMAIN", answer: { authoritative: false, records: [] } }),
  );
  assert.equal((nx as { rcode?: string }).rcode, "NXDOMAIN");
  assert.equal(nx.flag_aa, false);
});

test("encode: large UDP answers are truncated to whole records with TC; TCP is not", () => {
  const name = "big.default.svc.cluster.local";
  const records: DnsRecord[] = Array.from({ length: 60 }, (_, i) => ({
    name,
    type: "A",
    data: `10.200.0.${i}`,
  }));
  const p = parsed(query(name));
  const udp = encode(p.packet, {
    rcode: "NOERROR",
    answer: { authoritative: true, records },
    maxBytes: p.udpLimit,
  });
  assert.ok(udp.length <= 512);
  const du = packet.decode(udp);
  assert.equal(du.flag_tc, true);
  assert.ok((du.answers?.length ?? 0) > 0 && (du.answers?.length ?? 0) < 60);
  const tcp = packet.decode(encode(p.packet, { rcode: "NOERROR", answer: { authoritative: true, records } }));
  assert.equal(tcp.flag_tc, false);
  assert.equal(tcp.answers?.length, 60);
});

test("TCP framing: length prefixes, split and pipelined messages", () => {
  const a = Buffer.from("first message");
  const b = Buffer.from("second");
  const wire = Buffer.concat([frame(a), frame(b)]);
  const r = new FrameReader();
  assert.deepEqual(r.push(wire.subarray(0, 1)), []);
  assert.deepEqual(r.push(wire.subarray(1, 5)), []);
  assert.deepEqual(
    r.push(wire.subarray(5)).map((m) => m.toString()),
    ["first message", "second"],
  );
  assert.equal(r.pending, 0);
});
