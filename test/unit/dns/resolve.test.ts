import { test } from "node:test";
import assert from "node:assert/strict";
import { resolve, type DnsAnswer, type DnsRecord } from "../../../src/ztunnel/dns/index.js";
import { table } from "./fixtures.js";

const A = (name: string, data: string): DnsRecord => ({ name, type: "A", data });

interface Case {
  name: string;
  q: string;
  type?: string;
  ns?: string;
  want: Partial<DnsAnswer>;
}

const served = { rcode: "NOERROR", authoritative: true, forward: false } as const;
const nodata: Partial<DnsAnswer> = { rcode: "NOERROR", authoritative: true, records: [] };

const cases: Case[] = [
  {
    name: "service FQDN -> its IPv4 VIP",
    q: "httpbin.default.svc.cluster.local",
    want: { ...served, records: [A("httpbin.default.svc.cluster.local", "10.96.0.10")] },
  },
  {
    name: "case-insensitive, trailing dot tolerated, owner spelled as asked",
    q: "HTTPBIN.Default.svc.cluster.local.",
    want: { ...served, records: [A("HTTPBIN.Default.svc.cluster.local", "10.96.0.10")] },
  },
  {
    name: "AAAA -> the IPv6 VIP",
    q: "httpbin.default.svc.cluster.local",
    type: "AAAA",
    want: {
      ...served,
      records: [{ name: "httpbin.default.svc.cluster.local", type: "AAAA", data: "fd00::10" }],
    },
  },
  {
    name: "IPv4-only service, AAAA -> NODATA",
    q: "v4only.default.svc.cluster.local",
    type: "AAAA",
    want: nodata,
  },
  { name: "IPv6-only service, A -> NODATA", q: "v6only.default.svc.cluster.local", want: nodata },
  {
    name: "<svc>.<ns>",
    q: "httpbin.default",
    want: { ...served, records: [A("httpbin.default", "10.96.0.10")] },
  },
  {
    name: "<svc>.<ns>.svc",
    q: "httpbin.default.svc",
    want: { ...served, records: [A("httpbin.default.svc", "10.96.0.10")] },
  },
  {
    name: "<svc> alone, client namespace known",
    q: "httpbin",
    ns: "default",
    want: { ...served, records: [A("httpbin", "10.96.0.10")] },
  },
  {
    name: "<svc> alone from another namespace is not ours",
    q: "httpbin",
    ns: "shop",
    want: { rcode: "NXDOMAIN", authoritative: false, forward: true },
  },
  {
    name: "search domain appended to <svc>.<ns> -> CNAME + A",
    q: "reviews.shop.default.svc.cluster.local",
    ns: "default",
    want: {
      ...served,
      records: [
        { name: "reviews.shop.default.svc.cluster.local", type: "CNAME", data: "reviews.shop" },
        A("reviews.shop", "10.96.1.1"),
      ],
    },
  },
  {
    name: "ServiceEntry host",
    q: "api.example.com",
    want: { ...served, records: [A("api.example.com", "240.240.0.1")] },
  },
  {
    name: "ServiceEntry host with svc.<suffix> appended -> CNAME + A (no client namespace needed)",
    q: "api.example.com.svc.cluster.local",
    want: {
      ...served,
      records: [
        { name: "api.example.com.svc.cluster.local", type: "CNAME", data: "api.example.com" },
        A("api.example.com", "240.240.0.1"),
      ],
    },
  },
  {
    name: "wildcard ServiceEntry",
    q: "foo.wild.example.com",
    want: { ...served, records: [A("foo.wild.example.com", "240.240.0.2")] },
  },
  {
    name: "the most specific wildcard wins",
    q: "x.b.wild.example.com",
    want: { ...served, records: [A("x.b.wild.example.com", "240.240.0.3")] },
  },
  {
    name: "wildcard found through a search domain: no CNAME to a wildcard",
    q: "foo.wild.example.com.default.svc.cluster.local",
    ns: "default",
    want: { ...served, records: [A("foo.wild.example.com.default.svc.cluster.local", "240.240.0.2")] },
  },
  {
    name: "same host in several namespaces: first",
    q: "shared.io",
    want: { records: [A("shared.io", "240.0.0.1")] },
  },
  {
    name: "same host in several namespaces: the client's",
    q: "shared.io",
    ns: "b",
    want: { records: [A("shared.io", "240.0.0.2")] },
  },
  {
    name: "headless Service -> endpoint IPs",
    q: "headless.default.svc.cluster.local",
    want: {
      ...served,
      records: [
        A("headless.default.svc.cluster.local", "10.1.0.6"),
        A("headless.default.svc.cluster.local", "10.1.0.5"),
      ],
    },
  },
  {
    name: "VIP-less ServiceEntry is left to the upstream",
    q: "noip.example.com",
    want: { rcode: "NXDOMAIN", authoritative: false, forward: true },
  },
  {
    name: "unknown name in the cluster domain: authoritative NXDOMAIN, never forwarded",
    q: "nothere.default.svc.cluster.local",
    want: { rcode: "NXDOMAIN", authoritative: true, forward: false, records: [] },
  },
  {
    name: "empty non-terminal in the cluster domain -> NODATA, not NXDOMAIN",
    q: "default.svc.cluster.local",
    want: { ...nodata, forward: false },
  },
  {
    name: "unknown outside name -> forward (or NXDOMAIN without upstream)",
    q: "www.google.com",
    want: { rcode: "NXDOMAIN", authoritative: false, forward: true, result: "unknown name" },
  },
  {
    name: "other record type for a mesh name -> NODATA",
    q: "httpbin.default.svc.cluster.local",
    type: "MX",
    want: { ...nodata, forward: false, result: "unsupported type" },
  },
  {
    name: "other record type for a ServiceEntry host -> forwarded when there is an upstream",
    q: "api.example.com",
    type: "TXT",
    want: { ...nodata, forward: true },
  },
];

test("resolve(): mesh names, short forms, wildcards, families, unknowns", () => {
  for (const c of cases) {
    const got = resolve(table(), { name: c.q, type: c.type ?? "A" }, c.ns ? { clientNamespace: c.ns } : {});
    for (const [k, v] of Object.entries(c.want)) {
      assert.deepEqual(got[k as keyof DnsAnswer], v, `${c.name}: ${k}`);
    }
  }
});

test("resolve(): a headless Service without endpoints answers NODATA", () => {
  const t = {
    domainSuffix: "cluster.local",
    services: () => [{ hostname: "h.ns.svc.cluster.local", namespace: "ns", addresses: [] }],
  };
  assert.deepEqual(resolve(t, { name: "h.ns.svc.cluster.local", type: "A" }).records, []);
  assert.equal(resolve(t, { name: "h.ns.svc.cluster.local", type: "A" }).rcode, "NOERROR");
});

test("resolve(): another cluster domain", () => {
  const t = {
    domainSuffix: "corp.internal",
    services: () => [{ hostname: "db.data.svc.corp.internal", namespace: "data", addresses: ["10.0.0.9"] }],
  };
  assert.deepEqual(resolve(t, { name: "db.data", type: "A" }).records, [A("db.data", "10.0.0.9")]);
  assert.equal(resolve(t, { name: "db.data.svc.cluster.local", type: "A" }).forward, true);
});
