import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as der from "../../../src/identity/der.js";
import { ipBytes } from "../../../src/identity/x509-encode.js";

describe("DER building blocks", () => {
  test("times: UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)", () => {
    assert.equal(der.time(new Date("2049-12-31T23:59:59Z")).toString("latin1").slice(2), "491231235959Z");
    assert.equal(der.time(new Date("2049-12-31T23:59:59Z"))[0], der.TAG.UTC_TIME);
    assert.equal(der.time(new Date("2050-01-01T00:00:00Z")).toString("latin1").slice(2), "20500101000000Z");
    assert.equal(der.time(new Date("2050-01-01T00:00:00Z"))[0], der.TAG.GENERALIZED_TIME);
  });

  test("OIDs round-trip", () => {
    for (const o of ["2.5.29.17", "1.2.840.10045.4.3.2", "1.3.6.1.5.5.7.3.1", "1.2.840.113549.1.9.14"]) {
      const enc = der.oid(o);
      assert.equal(der.readOid(enc, der.readRoot(enc)), o);
    }
  });

  test("lengths above 127 use the long form", () => {
    const big = der.octets(Buffer.alloc(300));
    const n = der.readRoot(big);
    assert.equal(n.end - n.contentStart, 300);
  });

  test("the reader refuses lengths that run past the data", () => {
    assert.throws(() => der.readRoot(Buffer.from([0x30, 0x05, 0x01])), /DER|past the end/);
    assert.throws(() => der.readRoot(Buffer.from([0x30, 0x80])), /indefinite/);
    assert.throws(() => der.readRoot(Buffer.from([0x30, 0x00, 0x00])), /trailing/);
  });

  test("positive integers get a leading zero only when needed", () => {
    assert.deepEqual(der.uintBytes(Buffer.from([0x7f])), Buffer.from([0x02, 0x01, 0x7f]));
    assert.deepEqual(der.uintBytes(Buffer.from([0x80])), Buffer.from([0x02, 0x02, 0x00, 0x80]));
    assert.deepEqual(der.uintBytes(Buffer.from([0x00, 0x00, 0x05])), Buffer.from([0x02, 0x01, 0x05]));
  });

  const ips: Array<[string, string]> = [
    ["127.0.0.1", "7f000001"],
    ["::1", "00000000000000000000000000000001"],
    ["fd00::abcd:1", "fd0000000000000000000000abcd0001"],
    ["2001:db8::", "20010db8000000000000000000000000"],
    ["::ffff:10.1.2.3", "00000000000000000000ffff0a010203"],
    ["1:2:3:4:5:6:7:8", "00010002000300040005000600070008"],
  ];
  for (const [ip, hex] of ips) {
    test(`IP SAN bytes for ${ip}`, () => assert.equal(ipBytes(ip).toString("hex"), hex));
  }
  test("a non-IP is refused", () => assert.throws(() => ipBytes("localhost"), /not an IP address/));
});
