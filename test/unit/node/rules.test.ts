import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AmbitError } from "../../../src/common/errors.js";
import {
  endpointProbability,
  nodeRules,
  withMissingJumps,
  type NodeRulesInput,
} from "../../../src/node/rules.js";

const DNS_UDP = "-A AMBIT-PREROUTING -i av+ -p udp -m udp --dport 53 -j REDIRECT --to-ports 15053";
const DNS_TCP = "-A AMBIT-PREROUTING -i av+ -p tcp -m tcp --dport 53 -j REDIRECT --to-ports 15053";
const HEAD = [
  "*nat",
  ":AMBIT-PREROUTING - [0:0]",
  ":AMBIT-OUTPUT - [0:0]",
  ":AMBIT-SERVICES - [0:0]",
  ":AMBIT-POSTROUTING - [0:0]",
  DNS_UDP,
  DNS_TCP,
];

/** The rule lines (without the table header and COMMIT) of a chain, in order. */
function chain(text: string, name: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`-A ${name} `));
}

describe("nodeRules: the text iptables-restore gets", () => {
  test("an enrolled pod, a plain pod and a service with a local enrolled and a remote endpoint, in full", () => {
    const text = nodeRules({
      pods: [
        { ip: "10.244.0.2", hostVeth: "av0000000002", enrolled: true },
        { ip: "10.244.0.3", hostVeth: "av0000000003", enrolled: false },
      ],
      services: [
        {
          vip: "10.96.0.10",
          port: 80,
          endpoints: [
            { ip: "10.244.0.2", port: 8080 },
            { ip: "10.244.1.2", port: 8080 },
          ],
        },
      ],
    });
    assert.equal(
      text,
      [
        ...HEAD,
        "-A AMBIT-PREROUTING -i av0000000002 ! -d 169.254.1.1/32 -p tcp -j REDIRECT --to-ports 15001",
        "-A AMBIT-PREROUTING -d 10.244.0.2/32 -p tcp -m tcp --dport 15008 -j REDIRECT --to-ports 15008",
        "-A AMBIT-PREROUTING -d 10.244.0.2/32 -p tcp -j REDIRECT --to-ports 15006",
        "-A AMBIT-PREROUTING -j AMBIT-SERVICES",
        "-A AMBIT-OUTPUT -d 10.244.0.2/32 -p tcp -m tcp --dport 15008 -j REDIRECT --to-ports 15008",
        "-A AMBIT-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m statistic --mode random --probability 0.5000000000 -j REDIRECT --to-ports 15006",
        "-A AMBIT-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.1.2:8080",
        "-A AMBIT-POSTROUTING -s 10.244.0.2/32 -d 10.244.0.2/32 -j MASQUERADE",
        "-A AMBIT-POSTROUTING -s 10.244.0.3/32 -d 10.244.0.3/32 -j MASQUERADE",
        "COMMIT",
        "",
      ].join("\n"),
    );
  });

  const cases: Array<{ name: string; input: NodeRulesInput; chain: string; want: string[] }> = [
    {
      name: "no pods: DNS capture and the services jump only",
      input: { pods: [], services: [] },
      chain: "AMBIT-PREROUTING",
      want: [DNS_UDP, DNS_TCP, "-A AMBIT-PREROUTING -j AMBIT-SERVICES"],
    },
    {
      name: "a pod that is not enrolled is not captured (DNS still is, for every pod)",
      input: { pods: [{ ip: "10.244.0.9", hostVeth: "av9", enrolled: false }], services: [] },
      chain: "AMBIT-PREROUTING",
      want: [DNS_UDP, DNS_TCP, "-A AMBIT-PREROUTING -j AMBIT-SERVICES"],
    },
    {
      name: "every outbound rule comes before any inbound rule (a same-node enrolled client reaches 15001 first)",
      input: {
        pods: [
          { ip: "10.244.0.2", hostVeth: "ava", enrolled: true },
          { ip: "10.244.0.3", hostVeth: "avb", enrolled: true },
        ],
        services: [],
      },
      chain: "AMBIT-PREROUTING",
      want: [
        DNS_UDP,
        DNS_TCP,
        "-A AMBIT-PREROUTING -i ava ! -d 169.254.1.1/32 -p tcp -j REDIRECT --to-ports 15001",
        "-A AMBIT-PREROUTING -i avb ! -d 169.254.1.1/32 -p tcp -j REDIRECT --to-ports 15001",
        "-A AMBIT-PREROUTING -d 10.244.0.2/32 -p tcp -m tcp --dport 15008 -j REDIRECT --to-ports 15008",
        "-A AMBIT-PREROUTING -d 10.244.0.3/32 -p tcp -m tcp --dport 15008 -j REDIRECT --to-ports 15008",
        "-A AMBIT-PREROUTING -d 10.244.0.2/32 -p tcp -j REDIRECT --to-ports 15006",
        "-A AMBIT-PREROUTING -d 10.244.0.3/32 -p tcp -j REDIRECT --to-ports 15006",
        "-A AMBIT-PREROUTING -j AMBIT-SERVICES",
      ],
    },
    {
      name: "the proxy's own connections: OUTPUT redirects only HBONE to local enrolled pods",
      input: {
        pods: [
          { ip: "10.244.0.2", hostVeth: "ava", enrolled: true },
          { ip: "10.244.0.3", hostVeth: "avb", enrolled: false },
        ],
        services: [],
      },
      chain: "AMBIT-OUTPUT",
      want: ["-A AMBIT-OUTPUT -d 10.244.0.2/32 -p tcp -m tcp --dport 15008 -j REDIRECT --to-ports 15008"],
    },
    {
      name: "ports can be moved",
      input: {
        pods: [{ ip: "10.244.0.2", hostVeth: "ava", enrolled: true }],
        services: [],
        ports: { outbound: 25001, inbound: 25006, hbone: 25008, dns: 25053 },
      },
      chain: "AMBIT-PREROUTING",
      want: [
        "-A AMBIT-PREROUTING -i av+ -p udp -m udp --dport 53 -j REDIRECT --to-ports 25053",
        "-A AMBIT-PREROUTING -i av+ -p tcp -m tcp --dport 53 -j REDIRECT --to-ports 25053",
        "-A AMBIT-PREROUTING -i ava ! -d 169.254.1.1/32 -p tcp -j REDIRECT --to-ports 25001",
        "-A AMBIT-PREROUTING -d 10.244.0.2/32 -p tcp -m tcp --dport 25008 -j REDIRECT --to-ports 25008",
        "-A AMBIT-PREROUTING -d 10.244.0.2/32 -p tcp -j REDIRECT --to-ports 25006",
        "-A AMBIT-PREROUTING -j AMBIT-SERVICES",
      ],
    },
    {
      name: "one endpoint: a plain DNAT, no statistic match",
      input: {
        pods: [],
        services: [{ vip: "10.96.0.1", port: 443, endpoints: [{ ip: "10.244.1.5", port: 8443 }] }],
      },
      chain: "AMBIT-SERVICES",
      want: [
        "-A AMBIT-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j DNAT --to-destination 10.244.1.5:8443",
      ],
    },
    {
      name: "three endpoints: 1/3, then 1/2, then the rest",
      input: {
        pods: [],
        services: [
          {
            vip: "10.96.0.1",
            port: 80,
            endpoints: [
              { ip: "10.244.0.2", port: 80 },
              { ip: "10.244.0.3", port: 80 },
              { ip: "10.244.1.2", port: 80 },
            ],
          },
        ],
      },
      chain: "AMBIT-SERVICES",
      want: [
        "-A AMBIT-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -m statistic --mode random --probability 0.3333333333 -j DNAT --to-destination 10.244.0.2:80",
        "-A AMBIT-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -m statistic --mode random --probability 0.5000000000 -j DNAT --to-destination 10.244.0.3:80",
        "-A AMBIT-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.1.2:80",
      ],
    },
    {
      name: "a local enrolled endpoint is reached through the node proxy's inbound (15006), not a DNAT past it",
      input: {
        pods: [
          { ip: "10.244.0.2", hostVeth: "ava", enrolled: true },
          { ip: "10.244.0.3", hostVeth: "avb", enrolled: false },
        ],
        services: [
          {
            vip: "10.96.0.1",
            port: 80,
            endpoints: [
              { ip: "10.244.0.2", port: 8080 },
              { ip: "10.244.0.3", port: 8080 },
            ],
          },
        ],
        ports: { inbound: 25006 },
      },
      chain: "AMBIT-SERVICES",
      want: [
        "-A AMBIT-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -m statistic --mode random --probability 0.5000000000 -j REDIRECT --to-ports 25006",
        "-A AMBIT-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.0.3:8080",
      ],
    },
    {
      name: "a service without endpoints gets no rule (the VIP is unroutable: connections fail at once)",
      input: { pods: [], services: [{ vip: "10.96.0.1", port: 80, endpoints: [] }] },
      chain: "AMBIT-SERVICES",
      want: [],
    },
    {
      name: "hairpin masquerade for every pod, enrolled or not",
      input: {
        pods: [
          { ip: "10.244.0.2", hostVeth: "ava", enrolled: true },
          { ip: "10.244.0.3", hostVeth: "avb", enrolled: false },
        ],
        services: [],
      },
      chain: "AMBIT-POSTROUTING",
      want: [
        "-A AMBIT-POSTROUTING -s 10.244.0.2/32 -d 10.244.0.2/32 -j MASQUERADE",
        "-A AMBIT-POSTROUTING -s 10.244.0.3/32 -d 10.244.0.3/32 -j MASQUERADE",
      ],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const text = nodeRules(c.input);
      assert.deepEqual(chain(text, c.chain), c.want);
      assert.ok(text.startsWith(HEAD.slice(0, 5).join("\n")), "every chain is declared (which flushes it)");
      assert.ok(text.endsWith("COMMIT\n"));
    });
  }

  const bad: Array<{ name: string; input: NodeRulesInput; match: RegExp }> = [
    {
      name: "pod IP",
      input: { pods: [{ ip: "10.244.0", hostVeth: "ava", enrolled: true }], services: [] },
      match: /pod IP/,
    },
    {
      name: "an interface name that would inject a rule",
      input: {
        pods: [{ ip: "10.244.0.2", hostVeth: "ava\n-A OUTPUT -j DROP", enrolled: true }],
        services: [],
      },
      match: /interface name/,
    },
    {
      name: "an interface name longer than 15",
      input: { pods: [{ ip: "10.244.0.2", hostVeth: "av0123456789abcdef", enrolled: false }], services: [] },
      match: /interface name/,
    },
    {
      name: "IPv6 VIP",
      input: { pods: [], services: [{ vip: "fd00::1", port: 80, endpoints: [] }] },
      match: /VIP/,
    },
    {
      name: "endpoint port 0",
      input: {
        pods: [],
        services: [{ vip: "10.96.0.1", port: 80, endpoints: [{ ip: "10.244.0.2", port: 0 }] }],
      },
      match: /port 0/,
    },
    {
      name: "a listener port out of range",
      input: { pods: [], services: [], ports: { dns: 70000 } },
      match: /70000/,
    },
  ];
  for (const c of bad) {
    test(`rejects a bad ${c.name} with NODE_RULES_INVALID`, () => {
      assert.throws(
        () => nodeRules(c.input),
        (e: unknown) => e instanceof AmbitError && e.code === "NODE_RULES_INVALID" && c.match.test(e.message),
      );
    });
  }
});

describe("endpointProbability", () => {
  test("each of n endpoints gets 1/n of new connections", () => {
    for (const n of [1, 2, 3, 5, 8]) {
      let remaining = 1; // share of connections not yet matched by an earlier rule
      const shares: number[] = [];
      for (let i = 0; i < n; i++) {
        const p = endpointProbability(i, n);
        const taken = remaining * (p === undefined ? 1 : Number(p));
        shares.push(taken);
        remaining -= taken;
      }
      for (const s of shares) assert.ok(Math.abs(s - 1 / n) < 1e-9, `n=${n}: ${shares.join(", ")}`);
      assert.equal(endpointProbability(n - 1, n), undefined, "the last rule always matches");
    }
  });
});

describe("withMissingJumps", () => {
  const rules = nodeRules({ pods: [], services: [] });
  test("a fresh nat table gets all three jumps, inserted first, inside the same transaction", () => {
    const out = withMissingJumps(rules, "*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n");
    assert.deepEqual(
      out.split("\n").filter((l) => l.startsWith("-I ")),
      [
        "-I PREROUTING 1 -j AMBIT-PREROUTING",
        "-I OUTPUT 1 -j AMBIT-OUTPUT",
        "-I POSTROUTING 1 -j AMBIT-POSTROUTING",
      ],
    );
    assert.ok(out.endsWith("-I POSTROUTING 1 -j AMBIT-POSTROUTING\nCOMMIT\n"));
  });
  test("jumps already installed are not added again", () => {
    const saved = [
      "*nat",
      "-A PREROUTING -j AMBIT-PREROUTING",
      "-A OUTPUT -j AMBIT-OUTPUT",
      "-A POSTROUTING -j AMBIT-POSTROUTING",
      "COMMIT",
    ].join("\n");
    assert.equal(withMissingJumps(rules, saved), rules);
    const partial = withMissingJumps(rules, "-A PREROUTING -j AMBIT-PREROUTING\n");
    assert.deepEqual(
      partial.split("\n").filter((l) => l.startsWith("-I ")),
      ["-I OUTPUT 1 -j AMBIT-OUTPUT", "-I POSTROUTING 1 -j AMBIT-POSTROUTING"],
    );
  });
});
