/** Host resolution, the code table and the printed form of findings. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseText } from "../../../src/api/load.js";
import { validateAll } from "../../../src/api/validate.js";
import { allCodes, buildContext, formatAnalysisFinding } from "../../../src/analyze/index.js";
import { servicesForHost, toFqdn } from "../../../src/analyze/hosts.js";

test("toFqdn: short names resolve in the given namespace, anything with a dot is kept", () => {
  // [host, namespace, expected]
  const cases: [string, string, string][] = [
    ["reviews", "bookinfo", "reviews.bookinfo.svc.cluster.local"],
    ["Reviews", "bookinfo", "reviews.bookinfo.svc.cluster.local"],
    ["reviews.other", "bookinfo", "reviews.other"],
    ["reviews.other.svc.cluster.local", "bookinfo", "reviews.other.svc.cluster.local"],
    ["*.example.com", "bookinfo", "*.example.com"],
    ["*", "bookinfo", "*"],
  ];
  for (const [host, ns, want] of cases) assert.equal(toFqdn(host, ns, "cluster.local"), want, host);
});

test("servicesForHost: exact names, wildcard ServiceEntry hosts, wildcard lookups", () => {
  const { valid } = validateAll(
    parseText(
      `
apiVersion: v1
kind: Service
metadata: { name: api, namespace: app }
spec: { selector: { app: api }, ports: [{ port: 80 }] }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: wiki, namespace: app }
spec: { hosts: ["*.wikipedia.org"], ports: [{ number: 443, name: tls, protocol: TLS }] }
`,
      "t.yaml",
    ).documents,
  );
  const ctx = buildContext(valid);
  // [host, names of the services found]
  const cases: [string, string[]][] = [
    ["api.app.svc.cluster.local", ["api"]],
    ["API.app.svc.cluster.local", ["api"]],
    ["api.other.svc.cluster.local", []],
    ["en.wikipedia.org", ["wiki"]],
    ["wikipedia.org", []],
    ["*.app.svc.cluster.local", ["api"]],
    ["*.wikipedia.org", ["wiki"]],
  ];
  for (const [host, names] of cases)
    assert.deepEqual(
      servicesForHost(ctx, host).map((s) => s.name),
      names,
      host,
    );
});

test("codes: unique, well-formed, Istio's where Istio has one", () => {
  const codes = allCodes();
  assert.equal(new Set(codes.map((c) => c.code)).size, codes.length);
  for (const c of codes) assert.match(c.code, /^(IST|AMB)\d{4}$/);
  const byCode = new Map(codes.map((c) => [c.code, c]));
  // Istio's names and levels for the codes borrowed (pkg/config/analysis/msg/messages.yaml).
  assert.equal(byCode.get("IST0101")?.name, "ReferencedResourceNotFound");
  assert.equal(byCode.get("IST0101")?.severity, "error");
  assert.equal(byCode.get("IST0166")?.name, "IneffectiveSelector");
  assert.equal(byCode.get("IST0173")?.name, "DestinationRuleSubsetNotSelectPods");
  assert.equal(byCode.get("IST0173")?.severity, "error");
  assert.equal(byCode.get("IST0174")?.name, "UnknownDestinationRuleHost");
  assert.equal(byCode.get("IST0174")?.severity, "warning");
});

test("formatAnalysisFinding: analysis codes before the message, other findings as validate prints them", () => {
  const base = {
    file: "f.yaml",
    docIndex: 2,
    kind: "DestinationRule",
    namespace: "app",
    name: "dr",
    path: "spec.host",
  };
  const cases: [Parameters<typeof formatAnalysisFinding>[0], string][] = [
    [
      { ...base, severity: "warning", code: "IST0174", message: "host x matches nothing" },
      "f.yaml:2: DestinationRule app/dr: spec.host: warning: [IST0174] host x matches nothing",
    ],
    [
      { ...base, severity: "error", code: "AMB0001", message: "m" },
      "f.yaml:2: DestinationRule app/dr: spec.host: [AMB0001] m",
    ],
    [
      { ...base, severity: "error", code: "UNKNOWN_FIELD", message: 'unknown field "hots"' },
      'f.yaml:2: DestinationRule app/dr: spec.host: unknown field "hots"',
    ],
  ];
  for (const [f, want] of cases) assert.equal(formatAnalysisFinding(f), want);
});
