/**
 * security.istio.io kinds: the L7-attribute helper the analyzer relies on, the value rules
 * (wildcards, path templates, condition keys, JWKS), defaults and warnings.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { formatFinding } from "../../../src/api/findings.js";
import { parseText } from "../../../src/api/load.js";
import { validateAll } from "../../../src/api/validate.js";
import {
  classifyWhenKey,
  jwksProblem,
  l7Attributes,
  pathProblem,
  wildcardProblem,
  type AuthorizationPolicySpec,
} from "../../../src/api/kinds/security.js";

function validate(yaml: string) {
  const loaded = parseText(yaml, "test.yaml");
  const r = validateAll(loaded.documents);
  return { lines: [...loaded.findings, ...r.findings].map(formatFinding), valid: r.valid };
}

function spec(rules: AuthorizationPolicySpec["rules"]): AuthorizationPolicySpec {
  return { action: "ALLOW", rules };
}

test("l7Attributes: what only a waypoint can evaluate", () => {
  // rules -> [attribute, path] pairs expected
  const cases: [AuthorizationPolicySpec["rules"], [string, string][]][] = [
    [undefined, []],
    [[{}], []],
    [
      [
        {
          from: [
            {
              source: {
                principals: ["cluster.local/ns/a/sa/b"],
                namespaces: ["a"],
                ipBlocks: ["10.0.0.0/8"],
              },
            },
          ],
          to: [{ operation: { ports: ["8080"], notPorts: ["9090"] } }],
          when: [
            { key: "source.ip", values: ["10.1.0.0/16"] },
            { key: "destination.port", values: ["80"] },
            { key: "source.principal", values: ["*"] },
            { key: "source.namespace", values: ["a"] },
            { key: "destination.ip", values: ["10.0.0.1"] },
          ],
        },
      ],
      [],
    ],
    [
      [
        {
          from: [{ source: { requestPrincipals: ["*"], remoteIpBlocks: ["1.2.3.4"] } }],
          to: [{ operation: { paths: ["/x"], methods: ["GET"], hosts: ["a.b"], notPaths: ["/admin*"] } }],
        },
      ],
      [
        ["requestPrincipals", "spec.rules.0.from.0.source.requestPrincipals"],
        ["remoteIpBlocks", "spec.rules.0.from.0.source.remoteIpBlocks"],
        ["hosts", "spec.rules.0.to.0.operation.hosts"],
        ["methods", "spec.rules.0.to.0.operation.methods"],
        ["paths", "spec.rules.0.to.0.operation.paths"],
        ["notPaths", "spec.rules.0.to.0.operation.notPaths"],
      ],
    ],
    [
      [
        {},
        {
          when: [
            { key: "request.headers[x-user]", values: ["a"] },
            { key: "request.auth.claims[iss]", values: ["b"] },
            { key: "connection.sni", values: ["c"] },
            { key: "remote.ip", values: ["1.2.3.4"] },
            { key: "experimental.envoy.filters.network.mysql_proxy[db.table]", values: ["[update]"] },
            { key: "source.ip", values: ["1.2.3.4"] },
          ],
        },
      ],
      [
        ["request.headers[x-user]", "spec.rules.1.when.0.key"],
        ["request.auth.claims[iss]", "spec.rules.1.when.1.key"],
        ["connection.sni", "spec.rules.1.when.2.key"],
        ["remote.ip", "spec.rules.1.when.3.key"],
        ["experimental.envoy.filters.network.mysql_proxy[db.table]", "spec.rules.1.when.4.key"],
      ],
    ],
  ];
  for (const [rules, expected] of cases)
    assert.deepEqual(
      l7Attributes(spec(rules)).map((u) => [u.attribute, u.path.join(".")]),
      expected,
    );
});

test("wildcards: only as the whole value or at one end", () => {
  for (const ok of ["*", "abc", "*abc", "abc*", "cluster.local/ns/default/sa/*", "*/ns/a/sa/b"])
    assert.equal(wildcardProblem(ok), undefined, ok);
  for (const bad of ["a*b", "*abc*", "**", "a**", "cluster.local/ns/*/sa/x"])
    assert.match(wildcardProblem(bad) ?? "", /wildcard only/, bad);
});

test("paths: string matches and URI templates", () => {
  const ok = [
    "/",
    "/info*",
    "*/admin",
    "/foo/{*}",
    "/foo/{**}",
    "/foo/{*}/bar/{**}",
    "/foo/{**}/",
    "/a-b.c~d/{*}",
  ];
  for (const p of ok) assert.equal(pathProblem(p), undefined, p);
  const bad: [string, RegExp][] = [
    ["", /empty/],
    ["/a/*/b", /wildcard only/],
    ["/{**}/foo/{*}", /last operator/],
    ["/foo/{*}.txt", /whole segment/],
    ["/*/baz/{*}", /not a plain literal/],
    ["/foo/{bar}/{*}", /whole segment/],
  ];
  for (const [p, re] of bad) assert.match(pathProblem(p) ?? "", re, p);
});

test("condition keys: layer, value checks and errors", () => {
  const layer = (k: string) => {
    const c = classifyWhenKey(k);
    return "error" in c ? `error: ${c.error}` : c.l7 ? "L7" : "L4";
  };
  assert.equal(layer("source.ip"), "L4");
  assert.equal(layer("source.serviceAccount"), "L4");
  assert.equal(layer("destination.port"), "L4");
  assert.equal(layer("request.headers[User-Agent]"), "L7");
  assert.equal(layer("request.auth.claims[groups]"), "L7");
  assert.equal(layer("request.auth.claims[nested][key]"), "L7");
  assert.match(layer("request.headers"), /must have the form request.headers\[<name>\]/);
  assert.match(layer("request.headers[]"), /must have the form/);
  assert.match(layer("destination.namespace"), /policy's namespace/);
  assert.match(layer("destination.user"), /v1alpha1/);
  assert.match(layer("source.user"), /unknown condition key/);
  const ip = classifyWhenKey("source.ip");
  assert.ok("check" in ip);
  assert.equal(ip.check("10.0.0.0/8"), undefined);
  assert.match(ip.check("10.0.0.0/40") ?? "", /not an IP address or CIDR/);
  const port = classifyWhenKey("destination.port");
  assert.ok("check" in port);
  assert.match(port.check("65536") ?? "", /not a port/);
});

test("jwks: parsed as a key set", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" });
  const ec = generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey.export({ format: "jwk" });
  const ed = generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" });
  assert.equal(jwksProblem(JSON.stringify({ keys: [rsa, ec, ed] })), undefined);
  assert.equal(jwksProblem(JSON.stringify(rsa)), undefined, "a single bare key is accepted, as by Istio");
  assert.equal(jwksProblem(JSON.stringify({ keys: [{ kty: "oct", k: "c2VjcmV0" }] })), undefined);
  assert.match(jwksProblem("{") ?? "", /not valid JSON/);
  assert.match(jwksProblem("[]") ?? "", /JSON object/);
  assert.match(jwksProblem('{"keys": {}}') ?? "", /array/);
  assert.match(jwksProblem('{"keys": []}') ?? "", /no keys/);
  assert.match(jwksProblem('{"keys": [{"kty": "DSA"}]}') ?? "", /unsupported kty "DSA"/);
  assert.match(jwksProblem(JSON.stringify({ keys: [{ ...ec, x: "AAAA" }] })) ?? "", /not a valid key/);
});

test("defaults: ALLOW, UNSET modes, spec-less policies", () => {
  const { lines, valid } = validate(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: a, namespace: n}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: p, namespace: n}
spec:
  selector: {matchLabels: {app: x}}
  mtls: {}
  portLevelMtls: {"80": {}}
`);
  assert.deepEqual(lines, []);
  assert.deepEqual(valid[0]?.resource.spec, { action: "ALLOW" });
  assert.deepEqual(valid[1]?.resource.spec, {
    selector: { matchLabels: { app: "x" } },
    mtls: { mode: "UNSET" },
    portLevelMtls: { "80": { mode: "UNSET" } },
  });
});

test("warnings: what Istio or ambient mode does differently from what is written", () => {
  const { lines } = validate(`
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: off, namespace: n}
spec:
  selector: {matchLabels: {app: legacy}}
  mtls: {mode: DISABLE}
  portLevelMtls: {"8080": {mode: DISABLE}}
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: keys-only, namespace: n}
spec:
  selector: {}
  jwtRules:
    - jwksUri: https://idp.example.com/keys
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: lower, namespace: n}
spec:
  targetRefs: [{kind: Service, name: api}]
  rules:
    - to: [{operation: {methods: [get], ports: ["80"]}}]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: old-spelling, namespace: n}
spec:
  targetRef: {kind: Service, name: api}
  jwtRules:
    - issuer: https://idp.example.com
      jwks_uri: https://idp.example.com/keys
`);
  assert.deepEqual(lines, [
    "test.yaml:0: PeerAuthentication n/off: spec.mtls.mode: warning: DISABLE acts as PERMISSIVE in ambient mode: mesh traffic stays mutual TLS and plaintext is also accepted",
    "test.yaml:0: PeerAuthentication n/off: spec.portLevelMtls.8080.mode: warning: DISABLE acts as PERMISSIVE in ambient mode: mesh traffic stays mutual TLS and plaintext is also accepted",
    "test.yaml:1: RequestAuthentication n/keys-only: spec.selector: warning: selector has no labels, so it selects every workload in the namespace; remove it or add matchLabels",
    "test.yaml:1: RequestAuthentication n/keys-only: spec.jwtRules[0]: warning: no issuer: tokens from any issuer are accepted when the keys at jwksUri verify them; set issuer",
    'test.yaml:2: AuthorizationPolicy n/lower: spec.rules[0].to[0].operation.methods[0]: warning: HTTP methods are case-sensitive: "get" does not match "GET" requests',
    "test.yaml:3: RequestAuthentication n/old-spelling: spec.targetRef: warning: targetRef is the older single-target form: use targetRefs (a list)",
    "test.yaml:3: RequestAuthentication n/old-spelling: spec.jwtRules[0].jwks_uri: warning: jwks_uri is the proto spelling: write jwksUri",
  ]);
});

test("DENY with HTTP-only attributes warns; with ports or L4 sources it does not", () => {
  const doc = (rule: string) => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: d, namespace: n}
spec:
  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}]
  action: DENY
  rules: [${rule}]
`;
  const warns = (rule: string) =>
    validate(doc(rule)).lines.some((l) => l.includes("uses only HTTP attributes"));
  assert.equal(warns("{to: [{operation: {methods: [POST]}}]}"), true);
  assert.equal(warns("{from: [{source: {requestPrincipals: ['*']}}]}"), true);
  assert.equal(warns("{to: [{operation: {methods: [POST], ports: ['8080']}}]}"), false);
  assert.equal(warns("{from: [{source: {namespaces: [dev]}}]}"), false);
  assert.equal(
    warns("{from: [{source: {notNamespaces: [dev]}}], to: [{operation: {ports: ['80'], paths: [/x]}}]}"),
    false,
  );
});
