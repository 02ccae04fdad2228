import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AmbitError } from "../../../src/common/errors.js";
import { addressInCidr, cidrContains, fabricNodeIp, parseIpv4Cidr } from "../../../src/node/cidr.js";

const code = (c: string) => (e: unknown) => e instanceof AmbitError && e.code === c;

describe("IPv4 CIDR arithmetic", () => {
  test("node fabric addresses start at .10", () => {
    assert.equal(fabricNodeIp("10.250.0.0/24", 0), "10.250.0.10");
    assert.equal(fabricNodeIp("10.250.0.0/24", 3), "10.250.0.13");
    assert.equal(fabricNodeIp("192.168.64.0/20", 300), "192.168.65.54");
  });

  test("addresses outside the network are refused", () => {
    assert.throws(() => fabricNodeIp("10.250.0.0/28", 6), code("CIDR_EXHAUSTED"));
    assert.throws(() => addressInCidr("10.0.0.0/24", -1), code("CIDR_EXHAUSTED"));
  });

  test("parsing", () => {
    assert.deepEqual(parseIpv4Cidr("10.244.1.0/24"), { network: "10.244.1.0", prefixLen: 24 });
    for (const bad of ["10.244.1.1/24", "10.244.1.0", "10.244.1.0/33", "fd00::/64", "10.244.1/24"]) {
      assert.throws(() => parseIpv4Cidr(bad), code("BAD_CIDR"), bad);
    }
  });

  test("containment", () => {
    assert.ok(cidrContains("10.244.1.0/24", "10.244.1.255"));
    assert.ok(!cidrContains("10.244.1.0/24", "10.244.2.0"));
    assert.ok(cidrContains("0.0.0.0/0", "255.255.255.255"));
  });
});
