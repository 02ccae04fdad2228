import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { convertAuthorizationPolicy } from "../../../src/controlplane/registry/authorization.js";
import {
  l4Match,
  type Authorization,
  type L4Match,
  type Rule,
  type StringMatch,
} from "../../../src/model/authorization.js";
import { authz } from "./fixtures.js";

const m = l4Match;
const exact = (value: string): StringMatch => ({ kind: "exact", value });
const rule = (...clauses: L4Match[][]): Rule => ({ clauses: clauses.map((matches) => ({ matches })) });

function convert(
  spec: Record<string, unknown>,
  o: { ns?: string; annotations?: Record<string, string> } = {},
) {
  const out = convertAuthorizationPolicy(authz("p", spec, o), "istio-system");
  assert.ok(out, "policy is for the node proxy");
  return out;
}
const rulesOf = (spec: Record<string, unknown>): Rule[] => convert(spec).authorization?.rules ?? [];

describe("AuthorizationPolicy scope and binding", () => {
  const cases: {
    name: string;
    spec: Record<string, unknown>;
    ns?: string;
    scope: string;
    selector?: Record<string, string>;
  }[] = [
    { name: "namespace-wide", spec: {}, scope: "NAMESPACE" },
    { name: "root namespace is mesh-wide", spec: {}, ns: "istio-system", scope: "GLOBAL" },
    {
      name: "selector",
      spec: { selector: { matchLabels: { app: "a" } } },
      scope: "WORKLOAD_SELECTOR",
      selector: { app: "a" },
    },
    {
      name: "selector in the root namespace stays a selector",
      spec: { selector: { matchLabels: { app: "a" } } },
      ns: "istio-system",
      scope: "WORKLOAD_SELECTOR",
      selector: { app: "a" },
    },
    { name: "empty selector means no selector", spec: { selector: { matchLabels: {} } }, scope: "NAMESPACE" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = convert(c.spec, { ns: c.ns ?? "default" });
      assert.equal(out.authorization?.scope, c.scope);
      assert.deepEqual(out.selector, c.selector);
    });
  }

  it("targetRef and targetRefs policies are for waypoints, not the node proxy", () => {
    assert.equal(
      convertAuthorizationPolicy(
        authz("p", { targetRefs: [{ kind: "Gateway", name: "w" }] }),
        "istio-system",
      ),
      undefined,
    );
    assert.equal(
      convertAuthorizationPolicy(authz("p", { targetRef: { kind: "Service", name: "s" } }), "istio-system"),
      undefined,
    );
  });

  const actions: [string | undefined, string][] = [
    [undefined, "ALLOW"],
    ["ALLOW", "ALLOW"],
    ["DENY", "DENY"],
    ["AUDIT", "AUDIT"],
    ["CUSTOM", "CUSTOM"],
  ];
  for (const [given, want] of actions)
    it(`action ${given ?? "(absent)"} -> ${want}`, () =>
      assert.equal(convert(given ? { action: given } : {}).authorization?.action, want));

  it("an unknown action refuses the policy with a warning", () => {
    const out = convert({ action: "MAYBE" });
    assert.equal(out.authorization, undefined);
    assert.match(out.warnings[0] ?? "", /action "MAYBE"/);
  });

  const dryRuns: [string | undefined, boolean, boolean][] = [
    [undefined, false, false],
    ["true", true, false],
    ["True", true, false],
    ["1", true, false],
    ["false", false, false],
    ["yes", false, true],
  ];
  for (const [value, want, warns] of dryRuns) {
    it(`istio.io/dry-run=${value ?? "(absent)"}`, () => {
      const out = convert({}, { annotations: value === undefined ? {} : { "istio.io/dry-run": value } });
      assert.equal(out.authorization?.dryRun, want);
      assert.equal(out.warnings.length > 0, warns);
    });
  }
});

describe("AuthorizationPolicy rules at L4", () => {
  const cases: { name: string; spec: Record<string, unknown>; want: Rule[] }[] = [
    { name: "no rules: nothing matches (ALLOW allows nothing)", spec: {}, want: [] },
    { name: "rules: [] is the same", spec: { rules: [] }, want: [] },
    { name: "a rule {} matches everything", spec: { rules: [{}] }, want: [rule()] },
    {
      name: "from: each source is one alternative; fields of a source all hold",
      spec: {
        rules: [
          {
            from: [
              { source: { principals: ["cluster.local/ns/a/sa/x"], namespaces: ["a"] } },
              {
                source: {
                  notNamespaces: ["b"],
                  ipBlocks: ["10.0.0.0/8", "1.2.3.4"],
                  notIpBlocks: ["10.9.0.0/16"],
                },
              },
            ],
          },
        ],
      },
      want: [
        rule([
          m({ principals: [exact("cluster.local/ns/a/sa/x")], namespaces: [exact("a")] }),
          m({
            notNamespaces: [exact("b")],
            sourceIps: [{ cidr: "10.0.0.0/8" }, { cidr: "1.2.3.4/32" }],
            notSourceIps: [{ cidr: "10.9.0.0/16" }],
          }),
        ]),
      ],
    },
    {
      name: "to and from are separate clauses (to first, as istiod orders them)",
      spec: {
        rules: [
          {
            from: [{ source: { namespaces: ["a"] } }],
            to: [{ operation: { ports: ["8080"], notPorts: ["9090"] } }],
          },
        ],
      },
      want: [
        rule(
          [m({ destinationPorts: [8080], notDestinationPorts: [9090] })],
          [m({ namespaces: [exact("a")] })],
        ),
      ],
    },
    {
      name: "each when condition is its own clause",
      spec: {
        rules: [
          {
            when: [
              { key: "source.ip", values: ["10.1.1.1"], notValues: ["10.1.1.2"] },
              { key: "source.namespace", values: ["a*"] },
              { key: "source.principal", notValues: ["*/sa/bad"] },
              { key: "destination.ip", values: ["10.96.0.0/12"] },
              { key: "destination.port", values: ["80", "443"] },
            ],
          },
        ],
      },
      want: [
        rule(
          [m({ sourceIps: [{ cidr: "10.1.1.1/32" }], notSourceIps: [{ cidr: "10.1.1.2/32" }] })],
          [m({ namespaces: [{ kind: "prefix", value: "a" }] })],
          [m({ notPrincipals: [{ kind: "suffix", value: "/sa/bad" }] })],
          [m({ destinationIps: [{ cidr: "10.96.0.0/12" }] })],
          [m({ destinationPorts: [80, 443] })],
        ),
      ],
    },
    {
      name: "serviceAccounts become principal suffixes; notServiceAccounts join notPrincipals",
      spec: {
        rules: [
          {
            from: [
              {
                source: {
                  serviceAccounts: ["other/api", "web"],
                  notServiceAccounts: ["ops/admin"],
                  notPrincipals: ["x"],
                },
              },
            ],
          },
        ],
      },
      want: [
        rule([
          m({
            principals: [
              { kind: "suffix", value: "/ns/other/sa/api" },
              { kind: "suffix", value: "/ns/default/sa/web" },
            ],
            notPrincipals: [exact("x"), { kind: "suffix", value: "/ns/ops/sa/admin" }],
          }),
        ]),
      ],
    },
    {
      name: "source.serviceAccount conditions become principal suffixes",
      spec: {
        rules: [{ when: [{ key: "source.serviceAccount", values: ["ops/admin"], notValues: ["bot"] }] }],
      },
      want: [
        rule([
          m({
            principals: [{ kind: "suffix", value: "/ns/ops/sa/admin" }],
            notPrincipals: [{ kind: "suffix", value: "/ns/default/sa/bot" }],
          }),
        ]),
      ],
    },
    {
      name: "several rules stay alternatives",
      spec: {
        rules: [{ from: [{ source: { namespaces: ["a"] } }] }, { to: [{ operation: { ports: ["1"] } }] }],
      },
      want: [rule([m({ namespaces: [exact("a")] })]), rule([m({ destinationPorts: [1] })])],
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(rulesOf(c.spec), c.want));
});

describe("string wildcards (istiod stringToMatch)", () => {
  const cases: [string, StringMatch][] = [
    ["*", { kind: "presence", value: "" }],
    ["*.example.com", { kind: "suffix", value: ".example.com" }],
    ["cluster.local/ns/a/*", { kind: "prefix", value: "cluster.local/ns/a/" }],
    ["*mid*", { kind: "suffix", value: "mid*" }],
    ["plain", exact("plain")],
  ];
  for (const [value, want] of cases) {
    it(value, () => {
      const rules = rulesOf({ rules: [{ from: [{ source: { principals: [value] } }] }] });
      assert.deepEqual(rules[0]?.clauses[0]?.matches[0]?.principals, [want]);
    });
  }
});

describe("HTTP attributes at the node proxy fail closed", () => {
  const cases: { name: string; action: string; rules: unknown[]; want: Rule[]; fields: string }[] = [
    {
      name: "ALLOW: a rule with methods is dropped, other rules stay",
      action: "ALLOW",
      rules: [
        { to: [{ operation: { methods: ["GET"], ports: ["80"] } }] },
        { from: [{ source: { namespaces: ["a"] } }] },
      ],
      want: [rule([m({ namespaces: [exact("a")] })])],
      fields: "methods",
    },
    {
      name: "ALLOW: only HTTP rules leave a policy that allows nothing",
      action: "ALLOW",
      rules: [
        { from: [{ source: { requestPrincipals: ["*"] } }] },
        { when: [{ key: "request.headers[x]", values: ["1"] }] },
      ],
      want: [],
      fields: "request.headers[x], requestPrincipals",
    },
    {
      name: "DENY: HTTP parts are removed, the L4 rest still applies",
      action: "DENY",
      rules: [
        {
          to: [{ operation: { methods: ["POST"], paths: ["/admin"], ports: ["8080"] } }],
          from: [{ source: { namespaces: ["dev"] } }],
        },
      ],
      want: [rule([m({ destinationPorts: [8080] })], [m({ namespaces: [exact("dev")] })])],
      fields: "methods, paths",
    },
    {
      name: "DENY: a rule with only HTTP parts denies everything in scope",
      action: "DENY",
      rules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }] }],
      want: [rule()],
      fields: "notRequestPrincipals",
    },
    {
      name: "DENY: one HTTP-only alternative makes its clause unconstrained",
      action: "DENY",
      rules: [
        {
          from: [{ source: { requestPrincipals: ["x"] } }, { source: { namespaces: ["a"] } }],
          to: [{ operation: { ports: ["22"] } }],
        },
      ],
      want: [rule([m({ destinationPorts: [22] })])],
      fields: "requestPrincipals",
    },
    {
      name: "DENY: an HTTP when key is dropped, L4 when keys stay",
      action: "DENY",
      rules: [
        {
          when: [
            { key: "request.auth.claims[iss]", values: ["x"] },
            { key: "destination.port", values: ["22"] },
          ],
        },
      ],
      want: [rule([m({ destinationPorts: [22] })])],
      fields: "request.auth.claims[iss]",
    },
    {
      name: "remoteIpBlocks and remote.ip need the HTTP layer (X-Forwarded-For)",
      action: "ALLOW",
      rules: [
        { from: [{ source: { remoteIpBlocks: ["1.2.3.4"] } }] },
        { when: [{ key: "remote.ip", values: ["1.2.3.4"] }] },
      ],
      want: [],
      fields: "remote.ip, remoteIpBlocks",
    },
    {
      name: "hosts, notHosts, notMethods, notPaths are HTTP too",
      action: "AUDIT",
      rules: [{ to: [{ operation: { hosts: ["a"], notHosts: ["b"], notMethods: ["c"], notPaths: ["d"] } }] }],
      want: [rule()],
      fields: "hosts, notHosts, notMethods, notPaths",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = convert({ action: c.action, rules: c.rules }).authorization as Authorization;
      assert.deepEqual(a.rules, c.want);
      assert.match(a.l7Warning ?? "", new RegExp(`\\(found: ${c.fields.replace(/[[\]().]/g, "\\$&")}\\)`));
      assert.match(a.l7Warning ?? "", /waypoint with targetRefs/);
      assert.match(
        a.l7Warning ?? "",
        c.action === "ALLOW" ? /allows less than written/ : /matches more connections/,
      );
    });
  }

  it("an L4-only policy has no l7Warning", () => {
    assert.equal(
      convert({ rules: [{ from: [{ source: { namespaces: ["a"] } }] }] }).authorization?.l7Warning,
      undefined,
    );
  });
});

describe("values that can never match", () => {
  const cases: { name: string; spec: Record<string, unknown>; want: Rule[]; warning: RegExp }[] = [
    {
      name: "bad ports are ignored, good ones kept",
      spec: { rules: [{ to: [{ operation: { ports: ["80", "http", "70000"] } }] }] },
      want: [rule([m({ destinationPorts: [80] })])],
      warning: /"http", "70000" can never match/,
    },
    {
      name: "a source whose only ipBlocks are invalid can never match: the rule is gone",
      spec: { action: "DENY", rules: [{ from: [{ source: { ipBlocks: ["nope"] } }] }] },
      want: [],
      warning: /spec\.rules\[0\]\.from\[0\]\.source\.ipBlocks: "nope"/,
    },
    {
      name: "an invalid not-value excludes nothing",
      spec: { rules: [{ from: [{ source: { namespaces: ["a"], notIpBlocks: ["nope"] } }] }] },
      want: [rule([m({ namespaces: [exact("a")] })])],
      warning: /notIpBlocks/,
    },
    {
      name: "an empty source matches any source (Istio's validation rejects it)",
      spec: { rules: [{ from: [{ source: {} }], to: [{ operation: { ports: ["1"] } }] }] },
      want: [rule([m({ destinationPorts: [1] })])],
      warning: /is empty; it is treated as matching any source/,
    },
    {
      name: "serviceAccounts together with principals fail closed",
      spec: { rules: [{ from: [{ source: { principals: ["a"], serviceAccounts: ["b"] } }] }] },
      want: [],
      warning: /serviceAccounts together with principals/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = convert(c.spec);
      assert.deepEqual(out.authorization?.rules, c.want);
      assert.ok(
        out.warnings.some((w) => c.warning.test(w) && w.startsWith("AuthorizationPolicy default/p: ")),
        out.warnings.join("\n"),
      );
    });
  }
});
