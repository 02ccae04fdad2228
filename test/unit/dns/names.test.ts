import { test } from "node:test";
import assert from "node:assert/strict";
import { aliases, kubeExpansions, normalizeName, wildcards } from "../../../src/ztunnel/dns/index.js";

test("names are matched lower-case without the trailing dot", () => {
  assert.equal(normalizeName("HttpBin.Default.SVC.cluster.local."), "httpbin.default.svc.cluster.local");
  assert.equal(normalizeName("."), "");
});

test("wildcards go from the name to ever shorter *.parents (ztunnel get_wildcards)", () => {
  assert.deepEqual(wildcards("svc1"), ["svc1"]);
  assert.deepEqual(wildcards("svc1.ns1.svc.cluster.local"), [
    "svc1.ns1.svc.cluster.local",
    "*.ns1.svc.cluster.local",
    "*.svc.cluster.local",
    "*.cluster.local",
    "*.local",
  ]);
});

test("partial names expand to the Kubernetes FQDNs ztunnel tries (to_kube_fqdns)", () => {
  const cases: [string, string | undefined, string[]][] = [
    ["name", "ns1", ["name.ns1.svc.cluster.local"]],
    ["name", undefined, []],
    ["name.ns2", "ns1", ["name.ns2.svc.cluster.local", "name.ns2.ns1.svc.cluster.local"]],
    ["name.ns2.svc", "ns1", ["name.ns2.svc.cluster.local", "name.ns2.svc.svc.cluster.local"]],
    ["name.ns2.not-svc", "ns1", ["name.ns2.not-svc.svc.cluster.local"]],
    ["pod.sub-domain.ns.svc", "ns1", ["pod.sub-domain.ns.svc.cluster.local"]],
    ["pod.sub-domain.ns.not-svc", "ns1", []],
    ["name.ns2.svc.cluster", "ns1", []],
    ["name.ns2.svc.cluster.local", "ns1", []],
    ["www.google.com", "ns1", ["www.google.com.svc.cluster.local"]],
  ];
  for (const [name, ns, want] of cases)
    assert.deepEqual(kubeExpansions(name, "cluster.local", ns), want, name);
});

test("aliases strip the pod's search domains and remember what was stripped", () => {
  const got = aliases("reviews.shop.default.svc.cluster.local", "cluster.local", "default");
  assert.deepEqual(got[0], { name: "reviews.shop.default.svc.cluster.local" });
  assert.ok(got.some((a) => a.name === "reviews.shop.svc.cluster.local" && a.stripped === "reviews.shop"));
  // Without the client's namespace only the namespace-independent domains are stripped.
  const anon = aliases("api.example.com.svc.cluster.local", "cluster.local");
  assert.ok(anon.some((a) => a.name === "api.example.com" && a.stripped === "api.example.com"));
  assert.equal(new Set(got.map((a) => a.name)).size, got.length, "no duplicates");
});
