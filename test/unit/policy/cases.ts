/**
 * The shared table of authorization cases: Istio AuthorizationPolicy documents as a user writes
 * them, one connection, and what must happen. Written against the API (not Ambit's model) so the
 * same rows can run against every evaluator — the node proxy's L4 one now, the waypoint's later.
 * Runner: authorize.test.ts (convert with the control plane, compile, authorize).
 */

export interface PolicyDoc {
  name: string;
  /** Default "default"; "istio-system" makes a mesh-wide (GLOBAL) policy. */
  namespace?: string;
  spec: Record<string, unknown>;
  /** Value of the istio.io/dry-run annotation. */
  dryRun?: string;
}

export interface Conn {
  /** SPIFFE ID of the peer; absent for plaintext. */
  identity?: string;
  src: string;
  dst: string;
  port: number;
}

export interface Want {
  allowed: boolean;
  /** "ns/name" that decided, or null when no policy did. */
  by?: string | null;
  rule?: number;
  reason?: RegExp;
  audit?: string[];
  dryRun?: { policy: string; wouldAllow: boolean }[];
  dryRunAllowed?: boolean;
}

export interface AuthzCase {
  name: string;
  policies: PolicyDoc[];
  conn: Conn;
  want: Want;
}

export const SLEEP = "spiffe://cluster.local/ns/default/sa/sleep";
export const HTTPBIN = "spiffe://cluster.local/ns/default/sa/httpbin";
export const ROGUE = "spiffe://cluster.local/ns/rogue/sa/default";
export const FOO = "spiffe://cluster.local/ns/foo/sa/app";
export const OTHER_TD = "spiffe://other.domain/ns/default/sa/sleep";

const DST = "10.0.1.5";
const mtls = (identity: string, src = "10.0.2.7", port = 8080, dst = DST): Conn => ({
  identity,
  src,
  dst,
  port,
});
const plain = (src = "10.0.2.7", port = 8080, dst = DST): Conn => ({ src, dst, port });

const allow = (name: string, rules: unknown[], more: Partial<PolicyDoc> = {}): PolicyDoc => ({
  name,
  spec: { action: "ALLOW", rules },
  ...more,
});
const deny = (name: string, rules: unknown[], more: Partial<PolicyDoc> = {}): PolicyDoc => ({
  name,
  spec: { action: "DENY", rules },
  ...more,
});
const action = (act: string, name: string, rules: unknown[], more: Partial<PolicyDoc> = {}): PolicyDoc => ({
  name,
  spec: { action: act, rules, ...(act === "CUSTOM" ? { provider: { name: "ext" } } : {}) },
  ...more,
});
const from = (source: Record<string, unknown>) => ({ from: [{ source }] });
const to = (operation: Record<string, unknown>) => ({ to: [{ operation }] });
const when = (key: string, values: string[], notValues?: string[]) => ({
  when: [{ key, values, ...(notValues ? { notValues } : {}) }],
});

const sleepOnly = allow("allow-sleep", [from({ principals: ["cluster.local/ns/default/sa/sleep"] })]);

export const cases: AuthzCase[] = [
  // ---- no policy ----
  {
    name: "no policy: allowed",
    policies: [],
    conn: mtls(ROGUE),
    want: { allowed: true, by: null, reason: /no authorization policy applies/ },
  },
  { name: "no policy: plaintext allowed", policies: [], conn: plain(), want: { allowed: true, by: null } },

  // ---- ALLOW: principals ----
  {
    name: "ALLOW exact principal: that peer is allowed",
    policies: [sleepOnly],
    conn: mtls(SLEEP),
    want: { allowed: true, by: "default/allow-sleep", rule: 0 },
  },
  {
    name: "ALLOW exact principal: another peer is denied",
    policies: [sleepOnly],
    conn: mtls(ROGUE),
    want: { allowed: false, by: null, reason: /no ALLOW policy matched \(applies: default\/allow-sleep\)/ },
  },
  {
    name: "ALLOW exact principal: plaintext is denied",
    policies: [sleepOnly],
    conn: plain(),
    want: { allowed: false, by: null },
  },
  {
    name: "ALLOW principal of another trust domain does not match",
    policies: [sleepOnly],
    conn: mtls(OTHER_TD),
    want: { allowed: false },
  },
  {
    name: "ALLOW principal prefix wildcard",
    policies: [allow("p", [from({ principals: ["cluster.local/ns/default/*"] })])],
    conn: mtls(HTTPBIN),
    want: { allowed: true, by: "default/p" },
  },
  {
    name: "ALLOW principal prefix wildcard: other namespace denied",
    policies: [allow("p", [from({ principals: ["cluster.local/ns/default/*"] })])],
    conn: mtls(ROGUE),
    want: { allowed: false },
  },
  {
    name: "ALLOW principal suffix wildcard matches any trust domain",
    policies: [allow("p", [from({ principals: ["*/ns/default/sa/sleep"] })])],
    conn: mtls(OTHER_TD),
    want: { allowed: true },
  },
  {
    name: "ALLOW principal suffix wildcard: other account denied",
    policies: [allow("p", [from({ principals: ["*/sa/sleep"] })])],
    conn: mtls(HTTPBIN),
    want: { allowed: false },
  },
  {
    name: "ALLOW principals * admits any authenticated peer",
    policies: [allow("p", [from({ principals: ["*"] })])],
    conn: mtls(ROGUE),
    want: { allowed: true },
  },
  {
    name: "ALLOW principals * refuses plaintext",
    policies: [allow("p", [from({ principals: ["*"] })])],
    conn: plain(),
    want: { allowed: false },
  },
  {
    name: "ALLOW serviceAccounts in the policy's namespace",
    policies: [allow("p", [from({ serviceAccounts: ["sleep"] })])],
    conn: mtls(SLEEP),
    want: { allowed: true },
  },
  {
    name: "ALLOW serviceAccounts ignore the trust domain",
    policies: [allow("p", [from({ serviceAccounts: ["default/sleep"] })])],
    conn: mtls(OTHER_TD),
    want: { allowed: true },
  },
  {
    name: "ALLOW serviceAccounts of another namespace",
    policies: [allow("p", [from({ serviceAccounts: ["foo/sleep"] })])],
    conn: mtls(SLEEP),
    want: { allowed: false },
  },
  {
    name: "ALLOW notPrincipals: a listed peer is denied",
    policies: [allow("p", [from({ notPrincipals: ["cluster.local/ns/rogue/sa/default"] })])],
    conn: mtls(ROGUE),
    want: { allowed: false },
  },
  {
    name: "ALLOW notPrincipals: an unlisted peer is allowed",
    policies: [allow("p", [from({ notPrincipals: ["cluster.local/ns/rogue/sa/default"] })])],
    conn: mtls(SLEEP),
    want: { allowed: true },
  },
  {
    name: "ALLOW notPrincipals: plaintext has no principal, so it is not excluded",
    policies: [allow("p", [from({ notPrincipals: ["cluster.local/ns/rogue/sa/default"] })])],
    conn: plain(),
    want: { allowed: true },
  },
  {
    name: "ALLOW notPrincipals * admits only plaintext",
    policies: [allow("p", [from({ notPrincipals: ["*"] })])],
    conn: plain(),
    want: { allowed: true },
  },
  {
    name: "ALLOW notPrincipals * refuses mTLS peers",
    policies: [allow("p", [from({ notPrincipals: ["*"] })])],
    conn: mtls(SLEEP),
    want: { allowed: false },
  },

  // ---- ALLOW: namespaces ----
  {
    name: "ALLOW namespaces: same namespace",
    policies: [allow("p", [from({ namespaces: ["default"] })])],
    conn: mtls(SLEEP),
    want: { allowed: true },
  },
  {
    name: "ALLOW namespaces: other namespace",
    policies: [allow("p", [from({ namespaces: ["default"] })])],
    conn: mtls(ROGUE),
    want: { allowed: false },
  },
  {
    name: "ALLOW namespaces prefix",
    policies: [allow("p", [from({ namespaces: ["def*"] })])],
    conn: mtls(SLEEP),
    want: { allowed: true },
  },
  {
    name: "ALLOW namespaces suffix",
    policies: [allow("p", [from({ namespaces: ["*ault"] })])],
    conn: mtls(SLEEP),
    want: { allowed: true },
  },
  {
    name: "ALLOW namespaces * refuses plaintext",
    policies: [allow("p", [from({ namespaces: ["*"] })])],
    conn: plain(),
    want: { allowed: false },
  },
  {
    name: "ALLOW namespaces * admits any mTLS peer",
    policies: [allow("p", [from({ namespaces: ["*"] })])],
    conn: mtls(FOO),
    want: { allowed: true },
  },
  {
    name: "ALLOW notNamespaces excludes that namespace",
    policies: [allow("p", [from({ notNamespaces: ["rogue"] })])],
    conn: mtls(ROGUE),
    want: { allowed: false },
  },
  {
    name: "ALLOW notNamespaces admits the others",
    policies: [allow("p", [from({ notNamespaces: ["rogue"] })])],
    conn: mtls(FOO),
    want: { allowed: true },
  },
  {
    name: "ALLOW notNamespaces admits plaintext (no namespace)",
    policies: [allow("p", [from({ notNamespaces: ["rogue"] })])],
    conn: plain(),
    want: { allowed: true },
  },

  // ---- ALLOW: addresses ----
  {
    name: "ALLOW ipBlocks CIDR contains the source",
    policies: [allow("p", [from({ ipBlocks: ["10.0.0.0/16"] })])],
    conn: plain("10.0.3.4"),
    want: { allowed: true },
  },
  {
    name: "ALLOW ipBlocks CIDR excludes the source",
    policies: [allow("p", [from({ ipBlocks: ["10.0.0.0/16"] })])],
    conn: plain("10.1.0.1"),
    want: { allowed: false },
  },
  {
    name: "ALLOW ipBlocks bare address is /32",
    policies: [allow("p", [from({ ipBlocks: ["10.0.2.7"] })])],
    conn: plain("10.0.2.8"),
    want: { allowed: false },
  },
  {
    name: "ALLOW ipBlocks bare address matches itself",
    policies: [allow("p", [from({ ipBlocks: ["10.0.2.7"] })])],
    conn: plain("10.0.2.7"),
    want: { allowed: true },
  },
  {
    name: "ALLOW ipBlocks IPv6 CIDR contains the source",
    policies: [allow("p", [from({ ipBlocks: ["fd00:1::/64"] })])],
    conn: plain("fd00:1::5", 8080, "fd00:9::1"),
    want: { allowed: true },
  },
  {
    name: "ALLOW ipBlocks IPv6 CIDR excludes the source",
    policies: [allow("p", [from({ ipBlocks: ["fd00:1::/64"] })])],
    conn: plain("fd00:1:0:1::5", 8080, "fd00:9::1"),
    want: { allowed: false },
  },
  {
    name: "ALLOW ipBlocks IPv6 non-byte-aligned prefix",
    policies: [allow("p", [from({ ipBlocks: ["fd00:10::/28"] })])],
    conn: plain("fd00:1f::1", 8080, "fd00:9::1"),
    want: { allowed: true },
  },
  {
    name: "ALLOW ipBlocks never match across families",
    policies: [allow("p", [from({ ipBlocks: ["::/0"] })])],
    conn: plain("10.0.2.7"),
    want: { allowed: false },
  },
  {
    name: "ALLOW ipBlocks see an IPv4-mapped source as IPv4",
    policies: [allow("p", [from({ ipBlocks: ["10.0.2.0/24"] })])],
    conn: plain("::ffff:10.0.2.7"),
    want: { allowed: true },
  },
  {
    name: "ALLOW notIpBlocks excludes that range",
    policies: [allow("p", [from({ notIpBlocks: ["10.0.9.0/24"] })])],
    conn: plain("10.0.9.1"),
    want: { allowed: false },
  },
  {
    name: "ALLOW notIpBlocks admits the rest",
    policies: [allow("p", [from({ notIpBlocks: ["10.0.9.0/24"] })])],
    conn: plain("10.0.3.4"),
    want: { allowed: true },
  },
  {
    name: "ALLOW invalid ipBlocks only: can never match",
    policies: [allow("p", [from({ ipBlocks: ["not-an-ip"] })])],
    conn: plain(),
    want: { allowed: false },
  },

  // ---- ALLOW: ports ----
  {
    name: "ALLOW ports: listed port",
    policies: [allow("p", [to({ ports: ["80", "8080"] })])],
    conn: plain(),
    want: { allowed: true },
  },
  {
    name: "ALLOW ports: other port",
    policies: [allow("p", [to({ ports: ["80"] })])],
    conn: plain(),
    want: { allowed: false },
  },
  {
    name: "ALLOW notPorts: other port admitted",
    policies: [allow("p", [to({ notPorts: ["9090"] })])],
    conn: plain(),
    want: { allowed: true },
  },
  {
    name: "ALLOW notPorts: listed port refused",
    policies: [allow("p", [to({ notPorts: ["8080"] })])],
    conn: plain(),
    want: { allowed: false },
  },
  {
    name: "ALLOW non-numeric port only: can never match",
    policies: [allow("p", [to({ ports: ["http"] })])],
    conn: plain(),
    want: { allowed: false },
  },

  // ---- ALLOW: combinations ----
  {
    name: "from and to must both hold",
    policies: [
      allow("p", [
        { ...from({ principals: ["cluster.local/ns/default/sa/sleep"] }), ...to({ ports: ["9090"] }) },
      ]),
    ],
    conn: mtls(SLEEP),
    want: { allowed: false },
  },
  {
    name: "from and to both hold",
    policies: [
      allow("p", [
        { ...from({ principals: ["cluster.local/ns/default/sa/sleep"] }), ...to({ ports: ["8080"] }) },
      ]),
    ],
    conn: mtls(SLEEP),
    want: { allowed: true },
  },
  {
    name: "fields of one source are ANDed",
    policies: [allow("p", [from({ namespaces: ["default"], ipBlocks: ["10.9.0.0/16"] })])],
    conn: mtls(SLEEP),
    want: { allowed: false },
  },
  {
    name: "two sources are ORed",
    policies: [
      allow("p", [
        {
          from: [
            { source: { principals: ["cluster.local/ns/default/sa/sleep"] } },
            { source: { namespaces: ["foo"] } },
          ],
        },
      ]),
    ],
    conn: mtls(FOO),
    want: { allowed: true },
  },
  {
    name: "two rules are ORed; the decision names the rule",
    policies: [
      allow("p", [to({ ports: ["9090"] }), from({ principals: ["cluster.local/ns/default/sa/sleep"] })]),
    ],
    conn: mtls(SLEEP),
    want: { allowed: true, by: "default/p", rule: 1 },
  },
  {
    name: "positive and negative lists of one field both apply",
    policies: [
      allow("p", [
        from({
          principals: ["cluster.local/ns/default/*"],
          notPrincipals: ["cluster.local/ns/default/sa/httpbin"],
        }),
      ]),
    ],
    conn: mtls(HTTPBIN),
    want: { allowed: false },
  },
  {
    name: "allow-nothing (no rules)",
    policies: [{ name: "allow-nothing", spec: {} }],
    conn: mtls(SLEEP),
    want: { allowed: false, reason: /no ALLOW policy matched/ },
  },
  {
    name: "allow-all (one empty rule)",
    policies: [allow("allow-all", [{}])],
    conn: plain(),
    want: { allowed: true, by: "default/allow-all", rule: 0 },
  },
  {
    name: "the second ALLOW policy matches",
    policies: [allow("a", [to({ ports: ["1"] })]), allow("b", [to({ ports: ["8080"] })])],
    conn: plain(),
    want: { allowed: true, by: "default/b" },
  },
  {
    name: "a mesh-wide ALLOW counts with a namespace one",
    policies: [allow("mesh", [from({ namespaces: ["foo"] })], { namespace: "istio-system" }), sleepOnly],
    conn: mtls(FOO),
    want: { allowed: true, by: "istio-system/mesh" },
  },

  // ---- when (lowered to L4 fields) ----
  {
    name: "when source.ip",
    policies: [allow("p", [when("source.ip", ["10.0.2.0/24"])])],
    conn: plain("10.0.2.9"),
    want: { allowed: true },
  },
  {
    name: "when source.ip notValues",
    policies: [allow("p", [when("source.ip", [], ["10.0.2.0/24"])])],
    conn: plain("10.0.2.9"),
    want: { allowed: false },
  },
  {
    name: "when source.namespace",
    policies: [allow("p", [when("source.namespace", ["foo"])])],
    conn: mtls(FOO),
    want: { allowed: true },
  },
  {
    name: "when source.principal",
    policies: [allow("p", [when("source.principal", ["cluster.local/ns/default/sa/sleep"])])],
    conn: mtls(HTTPBIN),
    want: { allowed: false },
  },
  {
    name: "when destination.ip",
    policies: [allow("p", [when("destination.ip", ["10.0.1.0/24"])])],
    conn: plain(),
    want: { allowed: true },
  },
  {
    name: "when destination.ip IPv6",
    policies: [allow("p", [when("destination.ip", ["fd00::/8"])])],
    conn: plain("fd01::1", 8080, "fd00::5"),
    want: { allowed: true },
  },
  {
    name: "when destination.port",
    policies: [allow("p", [when("destination.port", ["9090"])])],
    conn: plain(),
    want: { allowed: false },
  },
  {
    name: "when source.serviceAccount",
    policies: [allow("p", [when("source.serviceAccount", ["default/sleep"])])],
    conn: mtls(SLEEP),
    want: { allowed: true },
  },
  {
    name: "ALLOW rule with an HTTP condition allows nothing (fail closed)",
    policies: [
      allow("p", [
        {
          ...from({ principals: ["cluster.local/ns/default/sa/sleep"] }),
          ...when("request.headers[x-user]", ["a"]),
        },
      ]),
    ],
    conn: mtls(SLEEP),
    want: { allowed: false, reason: /cannot check HTTP attributes/ },
  },

  // ---- DENY ----
  {
    name: "DENY matching namespace",
    policies: [deny("deny-rogue", [from({ namespaces: ["rogue"] })])],
    conn: mtls(ROGUE),
    want: {
      allowed: false,
      by: "default/deny-rogue",
      rule: 0,
      reason: /denied by DENY policy default\/deny-rogue/,
    },
  },
  {
    name: "DENY not matching: allowed (no ALLOW policy)",
    policies: [deny("deny-rogue", [from({ namespaces: ["rogue"] })])],
    conn: mtls(SLEEP),
    want: { allowed: true, by: null, reason: /no ALLOW policy applies/ },
  },
  {
    name: "DENY wins over a matching ALLOW",
    policies: [sleepOnly, deny("deny-8080", [to({ ports: ["8080"] })])],
    conn: mtls(SLEEP),
    want: { allowed: false, by: "default/deny-8080" },
  },
  {
    name: "DENY and ALLOW: ALLOW decides when DENY does not match",
    policies: [sleepOnly, deny("deny-rogue", [from({ namespaces: ["rogue"] })])],
    conn: mtls(SLEEP),
    want: { allowed: true, by: "default/allow-sleep" },
  },
  {
    name: "DENY without rules denies nothing",
    policies: [{ name: "d", spec: { action: "DENY" } }],
    conn: mtls(ROGUE),
    want: { allowed: true },
  },
  {
    name: "DENY with one empty rule denies everything",
    policies: [deny("d", [{}])],
    conn: mtls(SLEEP),
    want: { allowed: false, by: "default/d" },
  },
  {
    name: "DENY notNamespaces catches plaintext",
    policies: [deny("d", [from({ notNamespaces: ["default"] })])],
    conn: plain(),
    want: { allowed: false },
  },
  {
    name: "DENY notPrincipals * refuses plaintext",
    policies: [deny("require-mtls", [from({ notPrincipals: ["*"] })])],
    conn: plain(),
    want: { allowed: false, by: "default/require-mtls" },
  },
  {
    name: "DENY notPrincipals * lets mTLS through",
    policies: [deny("require-mtls", [from({ notPrincipals: ["*"] })])],
    conn: mtls(SLEEP),
    want: { allowed: true },
  },
  {
    name: "DENY ipBlocks IPv6",
    policies: [deny("d", [from({ ipBlocks: ["2001:db8::/32"] })])],
    conn: plain("2001:db8:1::1", 8080, "fd00::5"),
    want: { allowed: false },
  },
  {
    name: "DENY with only HTTP fields matches everything (fail closed)",
    policies: [deny("d", [to({ paths: ["/admin"] })])],
    conn: mtls(SLEEP),
    want: { allowed: false, by: "default/d", reason: /note: .*cannot check HTTP attributes/ },
  },
  {
    name: "DENY with HTTP fields keeps its L4 part",
    policies: [deny("d", [to({ paths: ["/admin"], ports: ["9090"] })])],
    conn: mtls(SLEEP),
    want: { allowed: true },
  },

  // ---- CUSTOM ----
  {
    name: "CUSTOM matching fails closed",
    policies: [action("CUSTOM", "ext", [to({ ports: ["8080"] })])],
    conn: mtls(SLEEP),
    want: { allowed: false, by: "default/ext", reason: /no external authorizer.*fail closed/ },
  },
  {
    name: "CUSTOM not matching: allowed",
    policies: [action("CUSTOM", "ext", [to({ ports: ["9090"] })])],
    conn: mtls(SLEEP),
    want: { allowed: true, by: null },
  },
  {
    name: "CUSTOM is checked before DENY",
    policies: [deny("d", [{}]), action("CUSTOM", "ext", [{}])],
    conn: mtls(SLEEP),
    want: { allowed: false, by: "default/ext" },
  },
  {
    name: "CUSTOM does not count as an ALLOW policy",
    policies: [action("CUSTOM", "ext", [to({ ports: ["1"] })]), sleepOnly],
    conn: mtls(SLEEP),
    want: { allowed: true, by: "default/allow-sleep" },
  },

  // ---- AUDIT ----
  {
    name: "AUDIT matching is reported, never decides",
    policies: [action("AUDIT", "audit", [to({ ports: ["8080"] })])],
    conn: mtls(ROGUE),
    want: { allowed: true, by: null, audit: ["default/audit"] },
  },
  {
    name: "AUDIT not matching is not reported",
    policies: [action("AUDIT", "audit", [to({ ports: ["9090"] })])],
    conn: mtls(ROGUE),
    want: { allowed: true, audit: [] },
  },
  {
    name: "AUDIT is reported even when the connection is denied",
    policies: [sleepOnly, action("AUDIT", "audit", [{}])],
    conn: mtls(ROGUE),
    want: { allowed: false, audit: ["default/audit"] },
  },
  {
    name: "AUDIT is not an ALLOW policy",
    policies: [action("AUDIT", "audit", [from({ namespaces: ["foo"] })])],
    conn: mtls(ROGUE),
    want: { allowed: true, audit: [] },
  },

  // ---- dry-run ----
  {
    name: "dry-run DENY matching: allowed, reported as would deny",
    policies: [deny("d", [{}], { dryRun: "true" })],
    conn: mtls(SLEEP),
    want: {
      allowed: true,
      by: null,
      dryRun: [{ policy: "default/d", wouldAllow: false }],
      dryRunAllowed: false,
    },
  },
  {
    name: "dry-run DENY not matching",
    policies: [deny("d", [from({ namespaces: ["rogue"] })], { dryRun: "true" })],
    conn: mtls(SLEEP),
    want: { allowed: true, dryRun: [{ policy: "default/d", wouldAllow: true }], dryRunAllowed: true },
  },
  {
    name: "dry-run ALLOW not matching: allowed, would deny",
    policies: [allow("a", [from({ namespaces: ["foo"] })], { dryRun: "1" })],
    conn: mtls(SLEEP),
    want: { allowed: true, dryRun: [{ policy: "default/a", wouldAllow: false }], dryRunAllowed: false },
  },
  {
    name: "dry-run ALLOW matching",
    policies: [allow("a", [from({ namespaces: ["default"] })], { dryRun: "True" })],
    conn: mtls(SLEEP),
    want: { allowed: true, dryRun: [{ policy: "default/a", wouldAllow: true }], dryRunAllowed: true },
  },
  {
    name: "dry-run DENY next to an enforced ALLOW",
    policies: [sleepOnly, deny("d", [{}], { dryRun: "true" })],
    conn: mtls(SLEEP),
    want: { allowed: true, by: "default/allow-sleep", dryRunAllowed: false },
  },
  {
    name: "dry-run ALLOW does not make enforced ALLOWs stricter",
    policies: [allow("dry", [to({ ports: ["1"] })], { dryRun: "true" })],
    conn: mtls(ROGUE),
    want: { allowed: true, by: null },
  },
  {
    name: "an enforced DENY still denies next to a dry-run ALLOW",
    policies: [deny("d", [{}]), allow("dry", [{}], { dryRun: "true" })],
    conn: mtls(SLEEP),
    want: { allowed: false, by: "default/d", dryRunAllowed: false },
  },
  {
    name: "dry-run annotation false: enforced",
    policies: [deny("d", [{}], { dryRun: "false" })],
    conn: mtls(SLEEP),
    want: { allowed: false, by: "default/d", dryRun: [] },
  },
  {
    name: "dry-run CUSTOM matching: allowed, would deny",
    policies: [action("CUSTOM", "ext", [{}], { dryRun: "true" })],
    conn: mtls(SLEEP),
    want: { allowed: true, dryRun: [{ policy: "default/ext", wouldAllow: false }] },
  },
  {
    name: "dry-run AUDIT: not in audit, would allow",
    policies: [action("AUDIT", "audit", [{}], { dryRun: "true" })],
    conn: mtls(SLEEP),
    want: { allowed: true, audit: [], dryRun: [{ policy: "default/audit", wouldAllow: true }] },
  },
];
