import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isAmbitError } from "../../../src/common/errors.js";
import { checkTrustDomain, formatSpiffeId, isSpiffeId, parseSpiffeId } from "../../../src/identity/spiffe.js";

describe("SPIFFE IDs", () => {
  const valid: Array<[string, string, string, string]> = [
    ["spiffe://cluster.local/ns/default/sa/httpbin", "cluster.local", "default", "httpbin"],
    ["spiffe://example.org/ns/kube-system/sa/ztunnel", "example.org", "kube-system", "ztunnel"],
    ["spiffe://td_with-chars.1/ns/a/sa/b.c-d", "td_with-chars.1", "a", "b.c-d"],
  ];
  for (const [id, td, ns, sa] of valid) {
    test(`parses ${id}`, () => {
      assert.deepEqual(parseSpiffeId(id), { trustDomain: td, namespace: ns, serviceAccount: sa });
      assert.equal(formatSpiffeId({ trustDomain: td, namespace: ns, serviceAccount: sa }), id);
      assert.equal(isSpiffeId(id), true);
    });
  }

  const invalid: Array<[string, RegExp]> = [
    ["", /must start with "spiffe:\/\/"/],
    ["https://cluster.local/ns/a/sa/b", /must start with "spiffe:\/\/"/],
    ["SPIFFE://cluster.local/ns/a/sa/b", /must start with "spiffe:\/\/"/],
    ["spiffe:///ns/a/sa/b", /trust domain is empty/],
    ["spiffe://Cluster.Local/ns/a/sa/b", /only lowercase letters/],
    ["spiffe://user@cluster.local/ns/a/sa/b", /userinfo and port/],
    ["spiffe://cluster.local:8443/ns/a/sa/b", /userinfo and port/],
    ["spiffe://cluster.local", /path .* is missing/],
    ["spiffe://cluster.local/", /path must be/],
    ["spiffe://cluster.local/ns/a", /path must be/],
    ["spiffe://cluster.local/ns/a/sa/b/extra", /path must be/],
    ["spiffe://cluster.local/sa/b/ns/a", /path must be/],
    ["spiffe://cluster.local/ns//sa/b", /namespace "" is not a valid/],
    ["spiffe://cluster.local/ns/a/sa/", /service account "" is not a valid/],
    ["spiffe://cluster.local/ns/../sa/b", /namespace "\.\." is not a valid/],
    ["spiffe://cluster.local/ns/Default/sa/b", /namespace "Default"/],
    ["spiffe://cluster.local/ns/a/sa/b?x=1", /query and fragment/],
    ["spiffe://cluster.local/ns/a/sa/b#frag", /query and fragment/],
    [`spiffe://cluster.local/ns/a/sa/${"b".repeat(2100)}`, /longer than 2048 bytes/],
  ];
  for (const [id, why] of invalid) {
    test(`rejects ${JSON.stringify(id.slice(0, 60))}`, () => {
      assert.throws(
        () => parseSpiffeId(id),
        (e: unknown) => isAmbitError(e) && e.code === "SPIFFE_ID_INVALID" && why.test(e.message),
      );
      assert.equal(isSpiffeId(id), false);
    });
  }

  test("format refuses parts that would not parse back", () => {
    assert.throws(() =>
      formatSpiffeId({ trustDomain: "cluster.local", namespace: "a/b", serviceAccount: "c" }),
    );
  });

  test("trust domain check", () => {
    checkTrustDomain("cluster.local");
    assert.throws(() => checkTrustDomain("Cluster.local"), /TRUST_DOMAIN_INVALID|trust domain/);
    assert.throws(() => checkTrustDomain(""), /trust domain/);
  });
});
