import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  formatCidr,
  formatIp,
  parseCidr,
  parseIp,
  normalizeIpBlock,
} from "../../../src/controlplane/registry/cidr.js";
import { AddressPool } from "../../../src/controlplane/registry/ipam.js";

describe("IP parsing and formatting", () => {
  const cases: [string, string | undefined][] = [
    ["10.0.0.1", "10.0.0.1"],
    ["255.255.255.255", "255.255.255.255"],
    ["010.0.0.1", undefined], // leading zeros are refused, as netip does
    ["10.0.0", undefined],
    ["2001:db8::1", "2001:db8::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80::1%eth0", undefined],
    ["::ffff:10.1.2.3", "::ffff:10.1.2.3"],
    ["::ffff:a01:203", "::ffff:10.1.2.3"],
    ["1:0:0:1:0:0:0:1", "1:0:0:1::1"], // longest zero run is compressed
    ["1:0:0:2:3:4:5:6", "1::2:3:4:5:6"],
    ["1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"], // a single zero group is not compressed
    ["not-an-ip", undefined],
  ];
  for (const [input, want] of cases) {
    it(`${input} -> ${want ?? "invalid"}`, () => {
      const ip = parseIp(input);
      assert.equal(ip ? formatIp(ip) : undefined, want);
    });
  }
});

describe("CIDR parsing", () => {
  const cases: [string, string | undefined][] = [
    ["10.244.1.0/24", "10.244.1.0/24"],
    ["10.244.1.7/24", "10.244.1.0/24"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["10.0.0.0/33", undefined],
    ["10.0.0.0", undefined],
    ["fd00::5/64", "fd00::/64"],
    ["10.0.0.0/x", undefined],
  ];
  for (const [input, want] of cases) {
    it(`${input} -> ${want ?? "invalid"}`, () => {
      const c = parseCidr(input);
      assert.equal(c ? formatCidr(c) : undefined, want);
    });
  }
});

describe("normalizeIpBlock (AuthorizationPolicy ipBlocks)", () => {
  const cases: [string, string | undefined][] = [
    ["1.2.3.4", "1.2.3.4/32"],
    ["10.1.0.0/16", "10.1.0.0/16"],
    ["10.1.2.3/16", "10.1.0.0/16"],
    ["2001:db8::1", "2001:db8::1/128"],
    ["", undefined],
    ["1.2.3.4/40", undefined],
  ];
  for (const [input, want] of cases)
    it(`${JSON.stringify(input)}`, () => assert.equal(normalizeIpBlock(input), want));
});

describe("AddressPool", () => {
  it("pod pools skip the network address and the gateway (.1); service pools only the network", () => {
    const pods = new AddressPool("10.244.1.0/24", "pod");
    assert.equal(pods.allocate("a"), "10.244.1.2");
    const svcs = new AddressPool("10.96.0.0/16", "service");
    assert.equal(svcs.allocate("a"), "10.96.0.1");
  });
  it("hands out the lowest free address, reusing freed ones", () => {
    const pool = new AddressPool("10.0.0.0/29", "pod");
    assert.equal(pool.reserve("10.0.0.2", "x"), true);
    assert.equal(pool.allocate("y"), "10.0.0.3");
    assert.equal(pool.reserve("10.0.0.3", "z"), false, "owned by y");
    assert.equal(pool.reserve("10.0.0.3", "y"), true, "same owner may re-reserve");
    assert.equal(pool.holds("10.0.0.7"), false, "broadcast");
    assert.equal(pool.holds("10.0.0.1"), false, "gateway");
  });
  it("reports full pools", () => {
    const pool = new AddressPool("10.0.0.0/30", "pod"); // .0 network, .1 gateway, .2 usable, .3 broadcast
    assert.equal(pool.capacity(), 1n);
    assert.equal(pool.allocate("a"), "10.0.0.2");
    assert.equal(pool.hasFree(), false);
    assert.equal(pool.allocate("b"), undefined);
  });
  it("works for IPv6", () => {
    const pool = new AddressPool("fd00:10::/64", "pod");
    assert.equal(pool.allocate("a"), "fd00:10::2");
  });
  it("rejects a bad CIDR with a coded error", () => {
    assert.throws(() => new AddressPool("10.0.0.0", "pod"), { code: "REGISTRY_BAD_CIDR" });
  });
});
