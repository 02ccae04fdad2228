import { test } from "node:test";
import assert from "node:assert/strict";
import { formatCidr, formatIp, parseCidr, parseIp } from "../../../src/common/ip.js";

const roundTrips: [string, string][] = [
  ["10.1.2.3", "10.1.2.3"],
  ["0.0.0.0", "0.0.0.0"],
  ["255.255.255.255", "255.255.255.255"],
  ["::1", "::1"],
  ["::", "::"],
  ["fd00::1", "fd00::1"],
  ["FD00:0:0:0:0:0:0:1", "fd00::1"],
  ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // first of two equal zero runs
  ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single zero group is not compressed
  ["2001:0db8::0001", "2001:db8::1"],
  ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
  ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
  ["1::", "1::"],
];

test("IP text -> bytes -> canonical text (RFC 5952)", () => {
  for (const [input, want] of roundTrips) {
    const bytes = parseIp(input);
    assert.ok(bytes, input);
    assert.equal(bytes.length, input.includes(":") ? 16 : 4, input);
    assert.equal(formatIp(bytes), want, input);
  }
});

test("invalid IPs are rejected", () => {
  for (const bad of ["", "10.0.0", "10.0.0.256", "fe80::1%eth0", "1:2:3", "host", "10.0.0.1/8"]) {
    assert.equal(parseIp(bad), undefined, bad);
  }
  for (const len of [0, 3, 5, 15, 17]) assert.equal(formatIp(new Uint8Array(len)), undefined, String(len));
});

test("CIDRs: bare IPs get a full-length prefix; lengths are bounded", () => {
  assert.deepEqual(parseCidr("10.0.0.0/8"), { address: Uint8Array.from([10, 0, 0, 0]), length: 8 });
  assert.equal(parseCidr("10.0.0.1")?.length, 32);
  assert.equal(parseCidr("fd00::1")?.length, 128);
  assert.equal(parseCidr("10.0.0.0/33"), undefined);
  assert.equal(parseCidr("fd00::/129"), undefined);
  assert.equal(parseCidr("10.0.0.0/x"), undefined);
  assert.equal(formatCidr(Uint8Array.from([10, 0, 0, 0]), 8), "10.0.0.0/8");
  assert.equal(formatCidr(Uint8Array.from([10, 0, 0, 0]), 40), undefined);
  assert.equal(formatCidr(new Uint8Array(5), 8), undefined);
});
