/**
 * networking.istio.io validation: the helpers as tables, and whole documents where the rule
 * needs one (defaults, warnings, served versions).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { formatFinding } from "../../../src/api/findings.js";
import { parseText } from "../../../src/api/load.js";
import { validateAll } from "../../../src/api/validate.js";
import { hostCovers, re2Error, wildcardDomainError } from "../../../src/api/kinds/networking-common.js";

function validate(yaml: string) {
  const loaded = parseText(yaml, "t.yaml");
  const r = validateAll(loaded.documents);
  return { lines: [...loaded.findings, ...r.findings].map(formatFinding), valid: r.valid };
}

function vs(spec: string, apiVersion = "networking.istio.io/v1"): string {
  return `apiVersion: ${apiVersion}\nkind: VirtualService\nmetadata: { name: r, namespace: ns }\nspec:\n${spec}`;
}

describe("host names (Istio ValidateWildcardDomain)", () => {
  const cases: [string, boolean][] = [
    ["reviews", true],
    ["reviews.bookinfo.svc.cluster.local", true],
    ["*.example.com", true],
    ["*", true],
    ["*foo.example.com", true], // partial wildcards pass here; ServiceEntry and Gateway add their own rule
    ["istio.io.", true],
    ["Reviews.Example.com", true],
    ["foo.*.com", false],
    ["foo_bar.com", false],
    ["example.123", false],
    ["", false],
    ["-bad.example.com", false],
    [`${"a".repeat(64)}.com`, false],
  ];
  for (const [host, ok] of cases)
    test(`${JSON.stringify(host)} is ${ok ? "valid" : "invalid"}`, () => {
      assert.equal(wildcardDomainError(host) === undefined, ok, wildcardDomainError(host));
    });

  test("wildcard coverage", () => {
    assert.ok(hostCovers("*.example.com", "a.b.example.com"));
    assert.ok(hostCovers("*", "anything"));
    assert.ok(!hostCovers("*.example.com", "example.com"));
    assert.ok(!hostCovers("a.example.com", "*.example.com"));
  });
});

describe("regular expressions (RE2, as Envoy compiles them)", () => {
  const cases: [string, boolean][] = [
    ["^/api/v[0-9]+/.*$", true],
    ["(?i)^/Legacy", true],
    ["(?P<id>[0-9]+)", true],
    ["\\Astart.*end\\z", true],
    ["[[:alpha:]]+", true],
    ["\\pL+", true],
    ["(a|b", false],
    ["x(?=y)", false],
    ["(?<!a)b", false],
    ["(a)\\1", false],
    ["a".repeat(1025), false],
  ];
  for (const [re, ok] of cases)
    test(`${JSON.stringify(re.slice(0, 30))} is ${ok ? "accepted" : "rejected"}`, () => {
      assert.equal(re2Error(re) === undefined, ok, re2Error(re));
    });
});

describe("VirtualService", () => {
  test("is served as v1, v1beta1 and v1alpha3, not v2", () => {
    for (const v of ["v1", "v1beta1", "v1alpha3"])
      assert.deepEqual(
        validate(
          vs("  hosts: [a]\n  http: [{ route: [{ destination: { host: a } }] }]", `networking.istio.io/${v}`),
        ).lines,
        [],
      );
    const { lines } = validate(vs("  hosts: [a]", "networking.istio.io/v2"));
    assert.match(
      lines[0]!,
      /VirtualService is not served as networking\.istio\.io\/v2; use one of networking\.istio\.io\/v1,/,
    );
  });

  const retryOn: [string, string | undefined][] = [
    ["5xx,gateway-error,reset,connect-failure,retriable-4xx,refused-stream", undefined],
    ["retriable-status-codes,503,429", undefined],
    ["cancelled,deadline-exceeded,internal,resource-exhausted,unavailable", undefined],
    ["envoy-ratelimited,http3-post-connect-failure,reset-before-request,retriable-headers", undefined],
    ["5xx,conect-failure", '"conect-failure" is not a retryOn policy'],
    ["999", '"999" is not a retryOn policy'],
    ["5xx, reset", "has spaces"],
  ];
  for (const [value, error] of retryOn)
    test(`retryOn ${JSON.stringify(value)} ${error ? "is rejected" : "is accepted"}`, () => {
      const { lines } = validate(
        vs(
          `  hosts: [a]\n  http:\n    - route: [{ destination: { host: a } }]\n      retries: { attempts: 2, retryOn: "${value}" }`,
        ),
      );
      if (error === undefined) assert.deepEqual(lines, []);
      else {
        assert.equal(lines.length, 1, lines.join("\n"));
        assert.ok(lines[0]!.includes(error), lines[0]);
      }
    });

  test("a rule after a rule without match is reported as never used", () => {
    const { lines } = validate(
      vs(`  hosts: [a]
  http:
    - route: [{ destination: { host: a } }]
    - match: [{ uri: { prefix: /x } }]
      route: [{ destination: { host: b } }]`),
    );
    assert.deepEqual(lines, [
      "t.yaml:0: VirtualService ns/r: spec.http[1]: warning: never used: http[0] has no match condition and takes every request first",
    ]);
  });

  test("mirrorPercentage without mirror, legacy gateway names and weights on a single destination warn", () => {
    const { lines } = validate(
      vs(`  hosts: [a.example.com]
  gateways: [gw.istio-system]
  http:
    - route: [{ destination: { host: a }, weight: 50 }]
      mirrorPercentage: { value: 10 }`),
    );
    assert.deepEqual(lines, [
      't.yaml:0: VirtualService ns/r: spec.gateways[0]: warning: "gw.istio-system" is the legacy gateway name form; write "istio-system/gw"',
      "t.yaml:0: VirtualService ns/r: spec.http[0].route[0].weight: warning: a single destination receives all traffic; weight 50 has no effect",
      "t.yaml:0: VirtualService ns/r: spec.http[0].mirrorPercentage: warning: mirrorPercentage has no effect without mirror",
    ]);
  });

  test("the authority is rewritten in one place only", () => {
    const { lines } = validate(
      vs(`  hosts: [a]
  http:
    - route: [{ destination: { host: a } }]
      rewrite: { authority: b.example.com }
      headers:
        request:
          set: { ":authority": c.example.com }`),
    );
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /spec\.http\[0\]\.headers: the authority is rewritten more than once/);
  });

  test("header operations cannot touch pseudo-headers or Host", () => {
    const { lines } = validate(
      vs(`  hosts: [a]
  http:
    - route: [{ destination: { host: a } }]
      headers:
        request: { set: { ":path": /x }, remove: [host] }
        response: { add: { Host: x } }`),
    );
    assert.deepEqual(
      lines.map((l) => l.replace(/^t\.yaml:0: VirtualService ns\/r: /, "")),
      [
        'spec.http[0].headers.request.set.:path: pseudo-header ":path" cannot be changed',
        'spec.http[0].headers.request.remove[0]: header "host" cannot be changed here',
        'spec.http[0].headers.response.add.Host: header "Host" cannot be changed here',
      ],
    );
  });

  test("exportTo: '.' and the own namespace are the same entry", () => {
    const { lines } = validate(
      vs(`  hosts: [a]\n  exportTo: [".", ns]\n  http: [{ route: [{ destination: { host: a } }] }]`),
    );
    assert.deepEqual(lines, [
      't.yaml:0: VirtualService ns/r: spec.exportTo: "." and "ns" are the same namespace; keep one',
    ]);
  });
});

describe("DestinationRule, ServiceEntry, WorkloadEntry", () => {
  test("ServiceEntry defaults location and resolution", () => {
    const { lines, valid } = validate(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: se, namespace: ns }
spec:
  hosts: ["*.example.com"]
  ports: [{ number: 443, name: tls, protocol: tls }]`);
    assert.deepEqual(lines, []);
    const spec = valid[0]!.resource.spec as { location: string; resolution: string };
    assert.equal(spec.location, "MESH_EXTERNAL");
    assert.equal(spec.resolution, "NONE");
  });

  test("ServiceEntry STATIC with nothing to send to warns", () => {
    const { lines } = validate(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: se, namespace: ns }
spec:
  hosts: [db.internal]
  ports: [{ number: 5432, name: tcp, protocol: TCP }]
  resolution: STATIC`);
    assert.deepEqual(lines, [
      "t.yaml:0: ServiceEntry ns/se: spec.resolution: warning: resolution STATIC with no endpoints and no workloadSelector has nowhere to send traffic",
    ]);
  });

  test("WorkloadEntry accepts unix sockets without ports and rejects them with ports", () => {
    const we = (spec: string) =>
      validate(
        `apiVersion: networking.istio.io/v1beta1\nkind: WorkloadEntry\nmetadata: { name: we, namespace: ns }\nspec:\n${spec}`,
      ).lines;
    assert.deepEqual(we("  address: unix:///var/run/app.sock"), []);
    assert.deepEqual(we("  address: unix:///var/run/app.sock\n  ports: { http: 80 }"), [
      "t.yaml:0: WorkloadEntry ns/we: spec.ports: a unix socket endpoint takes no ports",
    ]);
    assert.deepEqual(we("  network: remote-net"), [
      't.yaml:0: WorkloadEntry ns/we: spec.address: warning: no address: reached through network "remote-net"\'s gateway',
    ]);
  });

  test("consecutiveErrors is accepted with a deprecation warning wherever the outlier detection is", () => {
    const { lines } = validate(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: dr, namespace: ns }
spec:
  host: a
  subsets:
    - name: v1
      trafficPolicy:
        portLevelSettings:
          - port: { number: 80 }
            outlierDetection: { consecutiveErrors: 3 }`);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /spec\.subsets\[0\]\.trafficPolicy\.portLevelSettings\[0\]\.outlierDetection\.consecutiveErrors: warning: .*deprecated/,
    );
  });

  test("locality distribute weights add up to 100", () => {
    const { lines } = validate(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: dr, namespace: ns }
spec:
  host: a
  trafficPolicy:
    loadBalancer:
      localityLbSetting:
        distribute:
          - from: us-east1/*
            to: { "us-east1/*": 80, "us-west1/*": 10 }`);
    assert.deepEqual(lines, [
      "t.yaml:0: DestinationRule ns/dr: spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to: the weights add up to 90, not 100",
    ]);
  });
});
