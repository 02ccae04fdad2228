/** The HBONE :authority is exactly "IP:port" ("[v6]:port"); anything else is refused with 400. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatAuthority, parseAuthority } from "../../../src/ztunnel/hbone/authority.js";

const valid: Array<[string, string, number]> = [
  ["10.244.1.7:8080", "10.244.1.7", 8080],
  ["127.0.0.1:1", "127.0.0.1", 1],
  ["[fd00::1]:443", "fd00::1", 443],
  ["[::ffff:10.0.0.1]:65535", "::ffff:10.0.0.1", 65535],
];
for (const [text, ip, port] of valid) {
  test(`accepts ${text}`, () => {
    assert.deepEqual(parseAuthority(text), { ip, port });
    assert.equal(formatAuthority(ip, port), text);
  });
}

const invalid = [
  undefined,
  "",
  "10.0.0.1",
  "10.0.0.1:",
  "10.0.0.1:0",
  "10.0.0.1:65536",
  "10.0.0.1:080",
  "10.0.0.256:80",
  "httpbin.default:80",
  "fd00::1:80",
  "[10.0.0.1]:80",
  "10.0.0.1:80/path",
  " 10.0.0.1:80",
  "user@10.0.0.1:80",
];
for (const text of invalid) {
  test(`refuses ${JSON.stringify(text)}`, () => assert.equal(parseAuthority(text), undefined));
}
