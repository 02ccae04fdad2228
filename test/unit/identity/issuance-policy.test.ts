import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decideIssuance, type IssuanceDecision } from "../../../src/identity/issuance-policy.js";

const HTTPBIN = "spiffe://cluster.local/ns/default/sa/httpbin";
const SLEEP = "spiffe://cluster.local/ns/default/sa/sleep";
// node -> identities scheduled on it
const placement: Record<string, string[]> = { "node-a": [HTTPBIN], "node-b": [SLEEP] };
const mayIssue = (node: string, id: string): boolean => placement[node]?.includes(id) ?? false;

interface Case {
  name: string;
  node: string;
  impersonated?: string;
  sans: string[];
  want: IssuanceDecision | { allow: false; reason: "invalid" | "denied"; message: RegExp };
}

const cases: Case[] = [
  {
    name: "impersonation for a workload on the node",
    node: "node-a",
    impersonated: HTTPBIN,
    sans: [HTTPBIN],
    want: { allow: true, identity: HTTPBIN, impersonated: true },
  },
  {
    name: "impersonation with a CSR that has no SAN",
    node: "node-a",
    impersonated: HTTPBIN,
    sans: [],
    want: { allow: true, identity: HTTPBIN, impersonated: true },
  },
  {
    name: "no impersonation: the CSR's URI SAN",
    node: "node-a",
    sans: [HTTPBIN],
    want: { allow: true, identity: HTTPBIN, impersonated: false },
  },
  {
    name: "workload on another node",
    node: "node-a",
    impersonated: SLEEP,
    sans: [SLEEP],
    want: {
      allow: false,
      reason: "denied",
      message:
        /node node-a may not obtain a certificate for spiffe:\/\/cluster.local\/ns\/default\/sa\/sleep: no workload/,
    },
  },
  {
    name: "CSR SAN for another node's workload, no impersonation",
    node: "node-a",
    sans: [SLEEP],
    want: { allow: false, reason: "denied", message: /node node-a .*sa\/sleep/ },
  },
  {
    name: "unknown node",
    node: "node-z",
    impersonated: HTTPBIN,
    sans: [],
    want: { allow: false, reason: "denied", message: /node node-z/ },
  },
  {
    name: "foreign trust domain",
    node: "node-a",
    impersonated: "spiffe://other.td/ns/default/sa/httpbin",
    sans: [],
    want: { allow: false, reason: "denied", message: /trust domain is cluster.local/ },
  },
  {
    name: "CSR SAN disagrees with impersonation",
    node: "node-a",
    impersonated: HTTPBIN,
    sans: [SLEEP],
    want: { allow: false, reason: "invalid", message: /does not match the requested identity/ },
  },
  {
    name: "two URI SANs",
    node: "node-a",
    sans: [HTTPBIN, HTTPBIN],
    want: { allow: false, reason: "invalid", message: /exactly one SPIFFE ID/ },
  },
  {
    name: "no identity at all",
    node: "node-a",
    sans: [],
    want: { allow: false, reason: "invalid", message: /no identity requested/ },
  },
  {
    name: "malformed identity",
    node: "node-a",
    impersonated: "spiffe://cluster.local/default/httpbin",
    sans: [],
    want: { allow: false, reason: "invalid", message: /not a valid workload identity/ },
  },
];

describe("who may get a certificate for which identity", () => {
  for (const c of cases) {
    test(c.name, async () => {
      const got = await decideIssuance({
        node: c.node,
        impersonatedIdentity: c.impersonated,
        csrUriSans: c.sans,
        trustDomain: "cluster.local",
        mayIssue,
      });
      if (c.want.allow) {
        assert.deepEqual(got, c.want);
      } else {
        assert.equal(got.allow, false);
        if (got.allow) return;
        assert.equal(got.reason, c.want.reason);
        assert.match(got.message, c.want.message as RegExp);
      }
    });
  }

  test("mayIssue may be asynchronous", async () => {
    const got = await decideIssuance({
      node: "node-a",
      impersonatedIdentity: HTTPBIN,
      csrUriSans: [],
      trustDomain: "cluster.local",
      mayIssue: async (n, id) => mayIssue(n, id),
    });
    assert.equal(got.allow, true);
  });
});
