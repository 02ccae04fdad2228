import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DNS_LABEL,
  DNS_LABEL_UNBOUNDED,
  DNS_SUBDOMAIN_LOOSE,
  DNS_SUBDOMAIN_UNBOUNDED,
} from "../../../src/common/dns-names.js";

const accepts = (re: RegExp, values: string[]) => {
  for (const v of values) assert.ok(re.test(v), `${re} should accept ${JSON.stringify(v)}`);
};
const rejects = (re: RegExp, values: string[]) => {
  for (const v of values) assert.ok(!re.test(v), `${re} should reject ${JSON.stringify(v)}`);
};

const malformed = ["", "-a", "a-", "A", "a_b", "a b", "a\n", "\na", ".a", "a.", "a/b"];

test("DNS_LABEL: RFC 1123 label of 1-63 characters", () => {
  accepts(DNS_LABEL, ["a", "0", "a-b", "a--b", "istio-system", "a".repeat(63)]);
  rejects(DNS_LABEL, [...malformed, "a.b", "a".repeat(64)]);
  accepts(DNS_LABEL_UNBOUNDED, ["a", "a-b", "a".repeat(64), "a".repeat(300)]);
  rejects(DNS_LABEL_UNBOUNDED, [...malformed, "a.b"]);
});

test("DNS_SUBDOMAIN_UNBOUNDED: dot-joined labels, any length", () => {
  accepts(DNS_SUBDOMAIN_UNBOUNDED, ["a", "a.b", "a-b.c-d", "gateway.networking.k8s.io", "a".repeat(254)]);
  rejects(DNS_SUBDOMAIN_UNBOUNDED, [...malformed, "a..b", "a.-b"]);
});

test("DNS_SUBDOMAIN_LOOSE: also accepts empty labels and labels with '-' at an end", () => {
  accepts(DNS_SUBDOMAIN_LOOSE, ["a", "a.b", "a..b", "a.-b", "a-.b", "a".repeat(253)]);
  rejects(DNS_SUBDOMAIN_LOOSE, [...malformed, "a".repeat(254)]);
});
