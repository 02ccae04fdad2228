import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import { AccessLog, type AccessLogEntry } from "../../../src/telemetry/index.js";

function capture(): { log: AccessLog; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const log = new AccessLog(pino({ level: "info" }, stream));
  return {
    log,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const inbound: AccessLogEntry = {
  direction: "inbound",
  src: {
    addr: "10.10.0.5:43122",
    workload: "sleep-1",
    namespace: "default",
    identity: "spiffe://cluster.local/ns/default/sa/sleep",
  },
  dst: {
    addr: "10.10.1.7:8080",
    hboneAddr: "10.10.1.7:15008",
    service: "httpbin.default.svc.cluster.local",
    workload: "httpbin-1",
    namespace: "default",
    identity: "spiffe://cluster.local/ns/default/sa/httpbin",
  },
  bytes: { sent: 900, received: 80 },
  durationMs: 12.4,
  decision: "allow",
  policy: "default/allow-sleep",
};

test("one JSON line per connection with ztunnel's field names", () => {
  const { log, lines } = capture();
  log.record(inbound);
  const [line, ...rest] = lines();
  assert.equal(rest.length, 0);
  assert.ok(line);
  assert.equal(line["level"], 30, "info");
  assert.equal(line["msg"], "connection complete");
  const { level: _l, time: _t, pid: _p, hostname: _h, msg: _m, ...fields } = line;
  assert.deepEqual(fields, {
    "src.addr": "10.10.0.5:43122",
    "src.workload": "sleep-1",
    "src.namespace": "default",
    "src.identity": "spiffe://cluster.local/ns/default/sa/sleep",
    "dst.addr": "10.10.1.7:8080",
    "dst.hbone_addr": "10.10.1.7:15008",
    "dst.service": "httpbin.default.svc.cluster.local",
    "dst.workload": "httpbin-1",
    "dst.namespace": "default",
    "dst.identity": "spiffe://cluster.local/ns/default/sa/httpbin",
    direction: "inbound",
    // inbound: the local server sent the response bytes
    bytes_sent: 900,
    bytes_recv: 80,
    duration: 12,
    decision: "allow",
    policy: "default/allow-sleep",
  });
});

test("outbound bytes are from the client's side; denials carry policy and reason; absent fields are left out", () => {
  const { log, lines } = capture();
  log.record({
    direction: "outbound",
    src: { addr: "10.10.0.5:43122", workload: "sleep-1", namespace: "default" },
    dst: { addr: "10.96.0.10:8000" },
    bytes: { sent: 900, received: 80 },
    durationMs: 3,
    decision: "allow",
  });
  log.record({
    direction: "inbound",
    src: { addr: "10.10.0.9:5000" },
    dst: { addr: "10.10.1.7:8080", workload: "httpbin-1", namespace: "default" },
    bytes: { sent: 0, received: 0 },
    durationMs: 0,
    decision: "deny",
    policy: "default/allow-sleep",
    reason: "allow policies exist, none matched",
  });
  const [out, denied] = lines();
  assert.equal(out?.["bytes_sent"], 80);
  assert.equal(out?.["bytes_recv"], 900);
  assert.equal("dst.workload" in (out ?? {}), false);
  assert.equal(denied?.["decision"], "deny");
  assert.equal(denied?.["policy"], "default/allow-sleep");
  assert.equal(denied?.["reason"], "allow policies exist, none matched");
});

test("nothing but the known fields is written, whatever the caller's objects carry", () => {
  const { log, lines } = capture();
  const sneaky = {
    ...inbound,
    src: { ...inbound.src, privateKey: "-----BEGIN PRIVATE KEY-----" },
    token: "secret-token",
  };
  log.record(sneaky as AccessLogEntry);
  const text = JSON.stringify(lines());
  assert.doesNotMatch(text, /PRIVATE KEY|secret-token/);
});
