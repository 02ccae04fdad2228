import { test } from "node:test";
import assert from "node:assert/strict";
import { forwardedFor, hboneHeaders } from "../../../src/ztunnel/headers.js";
import { hostPort, normalizeIp } from "../../../src/ztunnel/ip.js";

test("forwarded for= is parsed per RFC 7239, garbage is ignored", () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    ["for=10.244.1.5", "10.244.1.5"],
    ['for="[fd00::5]"', "fd00::5"],
    ["proto=https;for=10.0.0.1;by=10.0.0.2", "10.0.0.1"],
    ["for=10.0.0.1, for=10.0.0.2", "10.0.0.1"],
    ["for=unknown", undefined],
    ["for=_hidden", undefined],
    ["by=1.2.3.4", undefined],
    ["", undefined],
    [undefined, undefined],
  ];
  for (const [h, want] of cases) assert.equal(forwardedFor(h), want, String(h));
});

test("HBONE request headers carry the source address, baggage and a fresh traceparent", () => {
  const h = hboneHeaders("10.244.1.5", {
    namespace: "default",
    workloadName: "sleep",
    canonicalName: "sleep",
    canonicalRevision: "v1",
  } as never);
  assert.equal(forwardedFor(h.forwarded), "10.244.1.5");
  assert.match(h.baggage!, /k8s\.namespace\.name=default/);
  assert.match(h.baggage!, /service\.version=v1/);
  assert.match(h.traceparent!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  assert.equal(forwardedFor(hboneHeaders("fd00::1", {} as never).forwarded), "fd00::1");
});

test("addresses: IPv4-mapped IPv6 is normalized, IPv6 authorities are bracketed", () => {
  assert.equal(normalizeIp("::ffff:10.1.2.3"), "10.1.2.3");
  assert.equal(normalizeIp("fd00::1"), "fd00::1");
  assert.equal(hostPort("10.1.2.3", 80), "10.1.2.3:80");
  assert.equal(hostPort("fd00::1", 80), "[fd00::1]:80");
});
