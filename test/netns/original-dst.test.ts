/**
 * originalDestination() against real NAT in a namespace: IPv6, IPv4 on a dual-stack listener, and
 * a connection that was not redirected at all.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { netnsExec } from "../../src/node/exec.js";
import { destroyAll } from "../../src/node/leftovers.js";
import { newClusterPrefix } from "../../src/node/names.js";
import { checkPrerequisites, findExecutable } from "../../src/node/prereq.js";
import { addNode, createFabric } from "../../src/node/topology.js";
import { dial, startFakeProxy, type Running } from "./harness.js";

const prefix = newClusterPrefix();
let proxy: Running | undefined;
let netns = "";

const rules = (lo: string) =>
  ["*nat", `-A OUTPUT -d ${lo} -p tcp -m tcp --dport 7000 -j REDIRECT --to-ports 7001`, "COMMIT", ""].join(
    "\n",
  );

before(async () => {
  const tools = checkPrerequisites();
  await createFabric(prefix);
  netns = (await addNode(prefix, { name: "v6", fabricIp: "10.250.0.10", podCidr: "10.244.0.0/24" })).netns;
  const ip6 = findExecutable("ip6tables-restore");
  assert.ok(ip6, "ip6tables-restore is part of the iptables package");
  const opts = { code: "TEST", what: "test rules" };
  await netnsExec(netns, [ip6, "--noflush"], { ...opts, input: rules("::1/128") });
  await netnsExec(netns, [tools.iptablesRestore, "--noflush"], { ...opts, input: rules("127.0.0.1/32") });
  proxy = await startFakeProxy(netns, ["7001@::"]);
});

after(async () => {
  await proxy?.stop();
  await destroyAll(prefix);
});

describe("SO_ORIGINAL_DST through the native addon", () => {
  test("IPv6: IP6T_SO_ORIGINAL_DST", async () => {
    assert.deepEqual(await dial(netns, "::1", 7000), {
      via: 7001,
      original: "::1:7000",
      family: 6,
      peer: "::1",
    });
  });

  test("IPv4 accepted on a dual-stack listener (::ffff:a.b.c.d) is asked at the IPv4 level", async () => {
    assert.deepEqual(await dial(netns, "127.0.0.1", 7000), {
      via: 7001,
      original: "127.0.0.1:7000",
      family: 4,
      peer: "::ffff:127.0.0.1",
    });
  });

  test("a connection that was not redirected reports the address it was sent to", async () => {
    assert.deepEqual(await dial(netns, "::1", 7001), {
      via: 7001,
      original: "::1:7001",
      family: 6,
      peer: "::1",
    });
  });
});
