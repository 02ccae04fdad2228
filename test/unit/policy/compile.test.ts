/**
 * The compiled rule tree on model input the control plane never emits but xDS could carry
 * (empty matches and clauses), its printed form, and identity parsing — ztunnel's conventions
 * (src/rbac.rs).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { l4Match, type Authorization, type L4Match, type Rule } from "../../../src/model/authorization.js";
import { authorize, compilePolicy, connectionFacts } from "../../../src/policy/index.js";

const m = l4Match;
const rule = (...clauses: L4Match[][]): Rule => ({ clauses: clauses.map((matches) => ({ matches })) });
const policy = (rules: Rule[], more: Partial<Authorization> = {}): Authorization => ({
  name: "p",
  namespace: "ns",
  scope: "NAMESPACE",
  action: "ALLOW",
  rules,
  dryRun: false,
  ...more,
});
const conn = {
  sourceIdentity: "spiffe://td/ns/a/sa/b",
  sourceIp: "10.0.0.1",
  destinationIp: "10.0.0.2",
  destinationPort: 80,
};
const plain = { sourceIp: "10.0.0.1", destinationIp: "10.0.0.2", destinationPort: 80 };

describe("rule tree conventions (ztunnel rbac.rs)", () => {
  const rows: { name: string; rules: Rule[]; conn?: typeof plain; matches: boolean }[] = [
    { name: "no rules: matches nothing", rules: [], matches: false },
    { name: "a rule without clauses matches everything", rules: [rule()], matches: true },
    { name: "an empty clause holds", rules: [rule([])], matches: true },
    { name: "an empty match never holds", rules: [rule([m()])], matches: false },
    {
      name: "an empty match beside a real one is skipped",
      rules: [rule([m(), m({ destinationPorts: [80] })])],
      matches: true,
    },
    {
      name: "clauses are ANDed",
      rules: [rule([m({ destinationPorts: [80] })], [m({ destinationPorts: [81] })])],
      matches: false,
    },
    {
      name: "matches of a clause are ORed",
      rules: [rule([m({ destinationPorts: [81] }), m({ destinationPorts: [80] })])],
      matches: true,
    },
    {
      name: "an unparsable CIDR matches nothing",
      rules: [rule([m({ sourceIps: [{ cidr: "bogus" }] })])],
      matches: false,
    },
    {
      name: "an unparsable CIDR excludes nothing",
      rules: [rule([m({ notSourceIps: [{ cidr: "bogus" }] })])],
      matches: true,
    },
    {
      name: "plaintext: an empty prefix namespace matches the empty namespace, as in ztunnel",
      rules: [rule([m({ namespaces: [{ kind: "prefix", value: "" }] })])],
      conn: plain,
      matches: true,
    },
    {
      name: "plaintext: an empty prefix principal still needs an identity",
      rules: [rule([m({ principals: [{ kind: "prefix", value: "" }] })])],
      conn: plain,
      matches: false,
    },
    {
      name: "destination CIDR /0 of the right family",
      rules: [rule([m({ destinationIps: [{ cidr: "0.0.0.0/0" }] })])],
      matches: true,
    },
    {
      name: "notDestinationIps",
      rules: [rule([m({ notDestinationIps: [{ cidr: "10.0.0.2/32" }] })])],
      matches: false,
    },
  ];
  for (const r of rows) {
    it(r.name, () => assert.equal(compilePolicy(policy(r.rules)).matches(r.conn ?? conn), r.matches));
  }
});

describe("peer identity", () => {
  it("principal is the SPIFFE ID without its scheme; namespace from /ns/", () => {
    const f = connectionFacts(conn);
    assert.equal(f.principal, "td/ns/a/sa/b");
    assert.equal(f.namespace, "a");
  });
  it("an identity that is not spiffe:// matches no principal and has no namespace", () => {
    const f = connectionFacts({ ...plain, sourceIdentity: "td/ns/a/sa/b" });
    assert.equal(f.principal, undefined);
    assert.equal(f.namespace, "");
    const p = compilePolicy(policy([rule([m({ principals: [{ kind: "presence", value: "" }] })])]));
    assert.equal(p.matches(f), false);
  });
  it("a SPIFFE ID of another shape has a principal but no namespace", () => {
    const f = connectionFacts({ ...plain, sourceIdentity: "spiffe://td/workload/x" });
    assert.equal(f.principal, "td/workload/x");
    assert.equal(f.namespace, "");
  });
});

describe("printing", () => {
  it("prints each rule in Istio's notation, with scope, dry-run and warning", () => {
    const p = compilePolicy(
      policy(
        [
          rule(
            [
              m({
                principals: [
                  { kind: "exact", value: "td/ns/a/sa/b" },
                  { kind: "suffix", value: "/sa/c" },
                ],
              }),
            ],
            [
              m({ destinationPorts: [80] }),
              m({ notDestinationPorts: [81], sourceIps: [{ cidr: "10.0.0.0/8" }] }),
            ],
          ),
          rule(),
        ],
        { action: "DENY", dryRun: true, l7Warning: "HTTP fields left out" },
      ),
    );
    assert.equal(
      p.toString(),
      [
        "DENY ns/p (NAMESPACE, dry-run)",
        "  rule 0: principals in [td/ns/a/sa/b, */sa/c] and ((ports in [80]) or (source.ip in [10.0.0.0/8] and ports not in [81]))",
        "  rule 1: any connection",
        "  warning: HTTP fields left out",
      ].join("\n"),
    );
  });
  it("says a policy without rules matches nothing", () => {
    assert.match(compilePolicy(policy([])).toString(), /no rules: matches no connection/);
  });
  it("names namespaces, presence and prefix patterns as written", () => {
    const p = compilePolicy(
      policy([
        rule([
          m({
            namespaces: [{ kind: "prefix", value: "prod-" }],
            notPrincipals: [{ kind: "presence", value: "" }],
            notDestinationIps: [{ cidr: "fd00::/8" }],
          }),
        ]),
      ]),
    );
    assert.equal(
      p.toString().split("\n")[1],
      "  rule 0: principals not in [*] and namespaces in [prod-*] and destination.ip not in [fd00::/8]",
    );
  });
});

describe("decision details", () => {
  it("the reason of an ALLOW decision notes the policy's HTTP warning", () => {
    const p = compilePolicy(policy([rule()], { l7Warning: "paths left out" }));
    const d = authorize([p], conn);
    assert.equal(d.allowed, true);
    assert.match(d.reason, /allowed by ALLOW policy ns\/p \(rule 0\); note: paths left out/);
  });
  it("the same compiled policy serves many connections", () => {
    const p = compilePolicy(policy([rule([m({ destinationPorts: [80] })])]));
    assert.deepEqual(
      [80, 81, 80].map((destinationPort) => authorize([p], { ...conn, destinationPort }).allowed),
      [true, false, true],
    );
  });
});

describe("addresses", () => {
  const rows: { cidr: string; ip: string; want: boolean }[] = [
    { cidr: "10.0.0.0/8", ip: "10.255.0.1", want: true },
    { cidr: "10.0.0.5/8", ip: "10.1.2.3", want: true },
    { cidr: "10.0.0.0/31", ip: "10.0.0.1", want: true },
    { cidr: "10.0.0.0/31", ip: "10.0.0.2", want: false },
    { cidr: "0.0.0.0/0", ip: "fd00::1", want: false },
    { cidr: "::ffff:10.0.0.0/104", ip: "10.0.0.9", want: true },
    { cidr: "::ffff:10.0.0.0/104", ip: "11.0.0.9", want: false },
    { cidr: "fd00::/7", ip: "fdff::1", want: true },
    { cidr: "fd00::/7", ip: "fe00::1", want: false },
    { cidr: "2001:db8::1/128", ip: "2001:DB8:0:0:0:0:0:1", want: true },
  ];
  for (const r of rows) {
    it(`${r.ip} in ${r.cidr}: ${r.want}`, () => {
      const p = compilePolicy(policy([rule([m({ sourceIps: [{ cidr: r.cidr }] })])]));
      assert.equal(p.matches({ ...plain, sourceIp: r.ip }), r.want);
    });
  }
});
