/** The node agent's reply routing for the node proxy's transparent connections (rules.ts, pure). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  JUMPS,
  missingJumps,
  nodeRules,
  REPLY_JUMPS,
  replyMarkRules,
  replyRoutingCommands,
  withMissingJumps,
} from "../../../src/node/rules.js";

// What `ip -4 rule show` prints in a fresh namespace, and once the agent has added its rule.
const FRESH_RULES =
  "0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n";
const PREPARED_RULES =
  "0:\tfrom all lookup local\n32764:\tfrom all fwmark 0x111/0xfff lookup 100\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n";

describe("replyMarkRules: the mangle table text", () => {
  test("marks TCP from pod veths that belongs to a transparent socket, nothing else", () => {
    assert.equal(
      replyMarkRules(),
      [
        "*mangle",
        ":AMBIT-PROXY-REPLIES - [0:0]",
        "-A AMBIT-PROXY-REPLIES -i av+ -p tcp -m socket --transparent -j MARK --set-xmark 0x111/0xfff",
        "COMMIT",
        "",
      ].join("\n"),
    );
  });

  test("a fresh mangle table gets the jump from PREROUTING, first, in the same transaction", () => {
    const out = withMissingJumps(
      replyMarkRules(),
      "*mangle\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n",
      REPLY_JUMPS,
    );
    assert.ok(out.endsWith("-I PREROUTING 1 -j AMBIT-PROXY-REPLIES\nCOMMIT\n"));
  });

  test("jumps are told apart by table: the nat jumps do not count for mangle, nor the reverse", () => {
    const natOnly = ["*nat", ...JUMPS.map(([f, t]) => `-A ${f} -j ${t}`), "COMMIT"].join("\n");
    assert.deepEqual(missingJumps(natOnly), []);
    assert.deepEqual(missingJumps(natOnly, REPLY_JUMPS), [["PREROUTING", "AMBIT-PROXY-REPLIES"]]);
    const both = `${natOnly}\n*mangle\n-A PREROUTING -j AMBIT-PROXY-REPLIES\nCOMMIT\n`;
    assert.deepEqual(missingJumps(both, REPLY_JUMPS), []);
    assert.equal(withMissingJumps(replyMarkRules(), both, REPLY_JUMPS), replyMarkRules());
    const mangleOnly = "*mangle\n-A PREROUTING -j AMBIT-PROXY-REPLIES\nCOMMIT\n";
    assert.equal(missingJumps(mangleOnly).length, JUMPS.length);
  });

  test("the nat rules are unchanged by it: OUTPUT still redirects only local enrolled pods' 15008", () => {
    const text = nodeRules({
      pods: [{ ip: "10.244.0.2", hostVeth: "av0000000002", enrolled: true }],
      services: [],
    });
    assert.ok(!text.includes("mangle") && !text.includes("socket"));
    assert.deepEqual(
      text.split("\n").filter((l) => l.startsWith("-A AMBIT-OUTPUT ")),
      ["-A AMBIT-OUTPUT -d 10.244.0.2/32 -p tcp -m tcp --dport 15008 -j REDIRECT --to-ports 15008"],
    );
  });
});

describe("replyRoutingCommands: the `ip -batch` lines", () => {
  test("a fresh namespace gets the local route and the fwmark rule", () => {
    assert.deepEqual(replyRoutingCommands(FRESH_RULES), [
      "route replace local 0.0.0.0/0 dev lo table 100",
      "rule add fwmark 0x111/0xfff lookup 100 pref 32764",
    ]);
  });

  test("a namespace that has the rule only gets the (idempotent) route again: no duplicate rule", () => {
    assert.deepEqual(replyRoutingCommands(PREPARED_RULES), [
      "route replace local 0.0.0.0/0 dev lo table 100",
    ]);
  });

  test("a rule for another mark or table is not ours", () => {
    const other =
      "32764:\tfrom all fwmark 0x111/0xfff lookup 1000\n32765:\tfrom all fwmark 0x1111/0xffff lookup 100\n";
    assert.equal(replyRoutingCommands(other).length, 2);
  });
});
