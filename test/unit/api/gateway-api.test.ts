/**
 * gateway.networking.k8s.io validation: defaults the data plane relies on, listener rules,
 * path and filter rules as tables, served versions.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { formatFinding } from "../../../src/api/findings.js";
import { parseText } from "../../../src/api/load.js";
import { validateAll } from "../../../src/api/validate.js";
import { gwDurationMs } from "../../../src/api/kinds/gateway-api-common.js";
import type { HTTPRouteSpec } from "../../../src/api/kinds/gateway-api.js";

function validate(yaml: string) {
  const loaded = parseText(yaml, "t.yaml");
  const r = validateAll(loaded.documents);
  return { lines: [...loaded.findings, ...r.findings].map(formatFinding), valid: r.valid };
}
const strip = (lines: string[]) => lines.map((l) => l.replace(/^t\.yaml:\d+: \w+ [\w-]+\/[\w-]+: /, ""));

const route = (rules: string, apiVersion = "gateway.networking.k8s.io/v1") =>
  `apiVersion: ${apiVersion}\nkind: HTTPRoute\nmetadata: { name: r, namespace: ns }\nspec:\n  parentRefs: [{ name: gw }]\n  rules:\n${rules}`;

describe("HTTPRoute", () => {
  test("defaults: a rule matching PathPrefix / and backends of kind Service with weight 1", () => {
    const { lines, valid } = validate(
      `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: r, namespace: ns }\nspec:\n  parentRefs: [{ name: gw }]`,
    );
    // No rules means one rule matching everything; with no backend it answers 500, so say so.
    assert.deepEqual(strip(lines), [
      "spec.rules[0]: warning: no backendRefs and no RequestRedirect: matching requests get a 500 error",
    ]);
    const spec = valid[0]!.resource.spec as HTTPRouteSpec;
    assert.deepEqual(spec.rules, [{ matches: [{ path: { type: "PathPrefix", value: "/" } }] }]);
    assert.deepEqual(spec.parentRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" }]);

    const r2 = validate(
      route(
        "    - matches: [{ headers: [{ name: x, value: y }] }]\n      backendRefs: [{ name: web, port: 80 }]",
      ),
    );
    const rule = (r2.valid[0]!.resource.spec as HTTPRouteSpec).rules[0]!;
    assert.deepEqual(rule.matches[0], {
      path: { type: "PathPrefix", value: "/" },
      headers: [{ type: "Exact", name: "x", value: "y" }],
    });
    assert.deepEqual(rule.backendRefs, [{ group: "", kind: "Service", name: "web", port: 80, weight: 1 }]);
  });

  test("redirect status code defaults to 302", () => {
    const { valid } = validate(
      route("    - filters: [{ type: RequestRedirect, requestRedirect: { scheme: https } }]"),
    );
    const f = (valid[0]!.resource.spec as HTTPRouteSpec).rules[0]!.filters![0] as {
      requestRedirect: { statusCode: number };
    };
    assert.equal(f.requestRedirect.statusCode, 302);
  });

  const paths: [string, string, string | undefined][] = [
    ["PathPrefix", "/", undefined],
    ["Exact", "/a/b-c_d.e~f", undefined],
    ["PathPrefix", "/caf%C3%A9", undefined],
    ["PathPrefix", "foo", 'must start with "/"'],
    ["Exact", "/a/./b", 'must not contain "/./"'],
    ["Exact", "/a/../b", 'must not contain "/../"'],
    ["PathPrefix", "/a%2Fb", 'must not contain "%2F"'],
    ["PathPrefix", "/a#frag", 'must not contain "#"'],
    ["PathPrefix", "/a/..", 'must not end with "/." or "/.."'],
    ["PathPrefix", "/a b", "must be percent-encoded"],
    ["RegularExpression", "/items/[0-9]+", undefined],
    ["RegularExpression", "/items/[0-9+", "invalid regular expression"],
  ];
  for (const [type, value, error] of paths)
    test(`path ${type} ${JSON.stringify(value)} ${error ? "is rejected" : "is accepted"}`, () => {
      const { lines } = validate(
        route(
          `    - matches: [{ path: { type: ${type}, value: ${JSON.stringify(value)} } }]\n      backendRefs: [{ name: web, port: 80 }]`,
        ),
      );
      if (!error) assert.deepEqual(lines, []);
      else {
        assert.equal(lines.length, 1, lines.join("\n"));
        assert.ok(lines[0]!.includes(error), lines[0]);
      }
    });

  const filters: [string, string][] = [
    ["{ type: RequestMirror }", "filter type RequestMirror needs requestMirror"],
    [
      "{ type: URLRewrite, requestRedirect: { scheme: https } }",
      "requestRedirect does not belong in a filter of type URLRewrite",
    ],
    ["{ type: CORS }", "filter type CORS needs cors"],
    ["{ type: ExtensionRef }", "filter type ExtensionRef needs extensionRef"],
    [
      "{ type: URLRewrite, urlRewrite: { path: { type: ReplaceFullPath, replacePrefixMatch: /x } } }",
      "type ReplaceFullPath needs replaceFullPath",
    ],
    [
      "{ type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: a, value: b }], remove: [A] } }",
      'header "A" is already in set: only one action per header',
    ],
    [
      '{ type: CORS, cors: { allowOrigins: ["*", "https://a.example.com"] } }',
      '"*" cannot be combined with other values',
    ],
  ];
  for (const [filter, error] of filters)
    test(`filter ${filter} is rejected`, () => {
      const { lines } = validate(
        route(`    - filters: [${filter}]\n      backendRefs: [{ name: web, port: 80 }]`),
      );
      assert.ok(lines.length >= 1 && lines.some((l) => l.includes(error)), lines.join("\n"));
    });

  test("v1beta1 is served, v1alpha2 is not", () => {
    const ok = validate(
      route("    - backendRefs: [{ name: web, port: 80 }]", "gateway.networking.k8s.io/v1beta1"),
    );
    assert.deepEqual(ok.lines, []);
    const bad = validate(
      route("    - backendRefs: [{ name: web, port: 80 }]", "gateway.networking.k8s.io/v1alpha2"),
    );
    assert.match(bad.lines[0]!, /HTTPRoute is not served as gateway\.networking\.k8s\.io\/v1alpha2/);
  });

  test("a request timeout of 0s disables it, so any backendRequest is allowed", () => {
    const { lines } = validate(
      route(
        "    - backendRefs: [{ name: web, port: 80 }]\n      timeouts: { request: 0s, backendRequest: 1h }",
      ),
    );
    assert.deepEqual(lines, []);
  });

  test("parentRefs to the same Gateway must name different sections", () => {
    const refs = (list: string) =>
      strip(
        validate(
          `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: r, namespace: ns }\nspec:\n  parentRefs: ${list}\n  rules: [{ backendRefs: [{ name: web, port: 80 }] }]`,
        ).lines,
      );
    assert.deepEqual(refs("[{ name: gw, sectionName: http }, { name: gw, sectionName: https }]"), []);
    assert.deepEqual(refs("[{ name: gw, sectionName: http }, { name: gw }]"), [
      'spec.parentRefs[1]: parentRefs to Gateway "gw" must all set sectionName (or port), or none of them',
    ]);
    assert.deepEqual(refs("[{ name: gw }, { name: gw, namespace: other }]"), []);
  });
});

describe("Gateway", () => {
  const gw = (listeners: string, cls = "istio") =>
    `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: g, namespace: ns }\nspec:\n  gatewayClassName: ${cls}\n  listeners:\n${listeners}`;

  test("a waypoint is an HBONE listener on 15008; its defaults allow routes from the same namespace", () => {
    const { lines, valid } = validate(
      gw("    - { name: mesh, port: 15008, protocol: HBONE }", "istio-waypoint"),
    );
    assert.deepEqual(lines, []);
    const spec = valid[0]!.resource.spec as { listeners: { allowedRoutes: unknown }[] };
    assert.deepEqual(spec.listeners[0]!.allowedRoutes, { namespaces: { from: "Same" } });
  });

  test("core protocols are case-insensitive", () => {
    assert.deepEqual(validate(gw("    - { name: web, port: 80, protocol: http }")).lines, []);
  });

  test("TLS listeners need a mode; Passthrough needs no certificate", () => {
    assert.deepEqual(
      validate(gw("    - { name: t, port: 443, protocol: TLS, tls: { mode: Passthrough } }")).lines,
      [],
    );
    assert.deepEqual(strip(validate(gw("    - { name: t, port: 443, protocol: TLS }")).lines), [
      "spec.listeners[0].tls: protocol TLS needs tls (the certificates, or mode Passthrough for TLS)",
    ]);
  });

  test("HBONE on an ingress class warns", () => {
    assert.deepEqual(strip(validate(gw("    - { name: mesh, port: 15008, protocol: HBONE }")).lines), [
      "spec.listeners[0].protocol: warning: HBONE listeners are for waypoints (gatewayClassName istio-waypoint)",
    ]);
  });

  test("listeners distinct by hostname are fine", () => {
    const { lines } = validate(
      gw(
        "    - { name: a, port: 80, protocol: HTTP, hostname: a.example.com }\n    - { name: b, port: 80, protocol: HTTP, hostname: b.example.com }",
      ),
    );
    assert.deepEqual(lines, []);
  });
});

describe("GRPCRoute", () => {
  test("v1alpha2 is still read, with a warning", () => {
    const { lines } = validate(`apiVersion: gateway.networking.k8s.io/v1alpha2
kind: GRPCRoute
metadata: { name: g, namespace: ns }
spec:
  parentRefs: [{ name: gw }]
  rules: [{ backendRefs: [{ name: greeter, port: 50051 }] }]`);
    assert.deepEqual(strip(lines), [
      "apiVersion: warning: GRPCRoute v1alpha2 is deprecated (Gateway API v1.1+): use gateway.networking.k8s.io/v1",
    ]);
  });
});

test("GEP-2257 durations in milliseconds", () => {
  assert.equal(gwDurationMs("1h30m"), 5_400_000);
  assert.equal(gwDurationMs("1s500ms"), 1500);
  assert.equal(gwDurationMs("0s"), 0);
  assert.equal(gwDurationMs("250ms"), 250);
});
