/**
 * Leftovers after a crash: everything is found by its prefix and removed, processes included,
 * and removal is idempotent. Also the errors a second cluster with the same names would get.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, describe, test } from "node:test";
import { AmbitError } from "../../src/common/errors.js";
import { applyNodeRules, readNodeRules } from "../../src/node/agent.js";
import { run } from "../../src/node/exec.js";
import { destroyAll, listLeftovers } from "../../src/node/leftovers.js";
import { fabricNetns, newClusterPrefix } from "../../src/node/names.js";
import { checkPrerequisites } from "../../src/node/prereq.js";
import { nodeRules } from "../../src/node/rules.js";
import { addNode, addPod, createFabric, removeNode, removePod } from "../../src/node/topology.js";
import { startEchoServer, startIn, type Running } from "./harness.js";

const prefix = newClusterPrefix();
const started: Running[] = [];

after(async () => {
  for (const r of started) await r.stop();
  await destroyAll(prefix);
});

const code = (c: string) => (e: unknown) => e instanceof AmbitError && e.code === c;

describe(`teardown (${prefix})`, () => {
  test("names already taken, or missing parents, are clear errors", async () => {
    checkPrerequisites();
    await createFabric(prefix);
    await assert.rejects(createFabric(prefix), code("NETNS_EXISTS"));
    await assert.rejects(
      addPod(prefix, "nowhere", { namespace: "default", name: "x", ip: "10.244.0.2" }),
      code("NO_NODE"),
    );
    await addNode(prefix, { name: "a", fabricIp: "10.250.0.10", podCidr: "10.244.0.0/24" });
    await assert.rejects(
      addNode(prefix, { name: "a", fabricIp: "10.250.0.10", podCidr: "10.244.0.0/24" }),
      code("NETNS_EXISTS"),
    );
  });

  test("after a crash, listLeftovers finds every name and process, destroyAll removes them", async () => {
    const a = await addPod(prefix, "a", { namespace: "default", name: "web", ip: "10.244.0.2" });
    const b = await addPod(prefix, "a", { namespace: "default", name: "stubborn", ip: "10.244.0.3" });
    const web = await startEchoServer(a.netns, 8080, "web");
    // A process that ignores SIGTERM: destroyAll must escalate to SIGKILL.
    const stubborn = await startIn(
      b.netns,
      [
        process.execPath,
        "-e",
        "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)",
      ],
      "up",
    );
    started.push(web, stubborn);

    const all = listLeftovers();
    assert.ok(all.prefixes.includes(prefix));
    const mine = listLeftovers(prefix);
    assert.deepEqual(mine.netns, [
      `${prefix}-fabric`,
      `${prefix}-node-a`,
      `${prefix}-pod-default-stubborn`,
      `${prefix}-pod-default-web`,
    ]);
    assert.deepEqual(mine.etcNetns, [`${prefix}-pod-default-stubborn`, `${prefix}-pod-default-web`]);
    assert.deepEqual(
      mine.pids,
      [web.pid, stubborn.pid].sort((x, y) => x - y),
    );

    const removed = await destroyAll(prefix);
    assert.deepEqual(removed.netns, mine.netns);
    assert.deepEqual(listLeftovers(prefix), { prefixes: [], netns: [], etcNetns: [], pids: [] });
    await Promise.all([web.stop(), stubborn.stop()]);
    assert.equal(web.child.signalCode, "SIGTERM");
    assert.equal(stubborn.child.signalCode, "SIGKILL");
    assert.ok(!existsSync(`/etc/netns/${prefix}-pod-default-web`));
    // Idempotent: nothing left to do is not an error.
    assert.deepEqual((await destroyAll(prefix)).netns, []);
  });

  test("rules applied concurrently; removePod and removeNode clean up their parts and can be repeated", async () => {
    await createFabric(prefix);
    const node = await addNode(prefix, { name: "a", fabricIp: "10.250.0.10", podCidr: "10.244.0.0/24" });
    const pod = await addPod(prefix, "a", { namespace: "default", name: "p", ip: "10.244.0.2" });
    const { ip } = checkPrerequisites();
    const links = async (netns: string) => (await run(ip, ["-n", netns, "-o", "link"])).stdout;

    assert.match(await links(node.netns), new RegExp(pod.hostVeth));

    // Two applies at once on a fresh node: the jumps are installed once and the last rules stay.
    const rules = (enrolled: boolean) =>
      nodeRules({ pods: [{ ip: "10.244.0.2", hostVeth: pod.hostVeth, enrolled }], services: [] });
    await Promise.all([applyNodeRules(node.netns, rules(true)), applyNodeRules(node.netns, rules(false))]);
    const saved = (await readNodeRules(node.netns)).split("\n");
    assert.equal(saved.filter((l) => l === "-A PREROUTING -j AMBIT-PREROUTING").length, 1);
    assert.ok(!saved.some((l) => l.includes("--to-ports 15001")), "the second apply (not enrolled) won");

    await removePod(prefix, "a", { namespace: "default", name: "p" });
    await removePod(prefix, "a", { namespace: "default", name: "p" });
    assert.doesNotMatch(await links(node.netns), new RegExp(pod.hostVeth));
    assert.deepEqual(listLeftovers(prefix).etcNetns, []);

    assert.match(await links(fabricNetns(prefix)), new RegExp(node.fabricVeth));
    await removeNode(prefix, "a");
    await removeNode(prefix, "a");
    assert.doesNotMatch(await links(fabricNetns(prefix)), new RegExp(node.fabricVeth));
    assert.deepEqual(listLeftovers(prefix).netns, [fabricNetns(prefix)]);
    await destroyAll(prefix);
  });
});
