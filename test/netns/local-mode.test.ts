/**
 * Local mode's kernel side, for real: two node namespaces on a bridge, pods on both, the node
 * agent's iptables rules, and a fake node proxy that reports each connection's original
 * destination through the native addon. Everything carries a fresh cluster prefix and is torn
 * down in `after`, even when a test fails.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { applyNodeRules, readNodeRules } from "../../src/node/agent.js";
import { fabricNodeIp } from "../../src/node/cidr.js";
import { destroyAll, listLeftovers } from "../../src/node/leftovers.js";
import { newClusterPrefix, nodeNetns } from "../../src/node/names.js";
import { listNetns } from "../../src/node/netns.js";
import { checkPrerequisites } from "../../src/node/prereq.js";
import { nodeRules, type NodeRulesService } from "../../src/node/rules.js";
import {
  addNode,
  addPod,
  createFabric,
  removePod,
  type PodInfo,
  type PodSpec,
} from "../../src/node/topology.js";
import { dial, PROBE, runIn, startEchoServer, startFakeProxy, startIn, type Running } from "./harness.js";

const prefix = newClusterPrefix();
const SUBNET = "10.250.0.0/24";
const NODES = [
  { name: "a", fabricIp: fabricNodeIp(SUBNET, 0), podCidr: "10.244.0.0/24" },
  { name: "b", fabricIp: fabricNodeIp(SUBNET, 1), podCidr: "10.244.1.0/24" },
];
const PODS: Record<string, { node: string; spec: PodSpec }> = {
  clientA: { node: "a", spec: { namespace: "default", name: "client-a", ip: "10.244.0.2" } },
  serverA: { node: "a", spec: { namespace: "default", name: "server-a", ip: "10.244.0.3" } },
  serverB: { node: "b", spec: { namespace: "default", name: "server-b", ip: "10.244.1.2" } },
  clientB: { node: "b", spec: { namespace: "other", name: "client-b", ip: "10.244.1.3" } },
};
const VIP = "10.96.0.20"; // -> server-b:8080
const HAIRPIN_VIP = "10.96.0.21"; // -> server-a:8080, dialled by server-a itself
const SERVICES: NodeRulesService[] = [
  { vip: VIP, port: 80, endpoints: [{ ip: "10.244.1.2", port: 8080 }] },
  { vip: HAIRPIN_VIP, port: 80, endpoints: [{ ip: "10.244.0.3", port: 8080 }] },
];
const FAKE_PROXY_LISTENERS = ["15001@0.0.0.0", "15006@::", "15008@0.0.0.0", "dns=15053"];

const pods: Record<string, PodInfo> = {};
const fixtures: Running[] = []; // fake proxies and echo servers, up for the whole file
const running: Running[] = []; // anything else a test starts
const nsA = nodeNetns(prefix, "a");
const nsB = nodeNetns(prefix, "b");

/** Applies a node's rules with the given pods enrolled (by key in PODS). */
async function enroll(node: string, enrolled: readonly string[]): Promise<void> {
  const onNode = Object.entries(PODS).filter(([key, p]) => p.node === node && pods[key]);
  const text = nodeRules({
    pods: onNode.map(([key, p]) => ({
      ip: p.spec.ip,
      hostVeth: pods[key]!.hostVeth,
      enrolled: enrolled.includes(key),
    })),
    services: SERVICES,
  });
  await applyNodeRules(nodeNetns(prefix, node), text);
}

const ns = (key: string) => pods[key]!.netns;

before(async () => {
  checkPrerequisites();
  await createFabric(prefix, SUBNET);
  for (const n of NODES) {
    await addNode(
      prefix,
      n,
      NODES.filter((p) => p !== n),
    );
  }
  for (const [key, p] of Object.entries(PODS)) pods[key] = await addPod(prefix, p.node, p.spec);
  await Promise.all([enroll("a", []), enroll("b", [])]);
  fixtures.push(
    ...(await Promise.all([
      startFakeProxy(nsA, FAKE_PROXY_LISTENERS),
      startFakeProxy(nsB, FAKE_PROXY_LISTENERS),
      startEchoServer(ns("serverA"), 8080, "server-a"),
      startEchoServer(ns("serverB"), 8080, "server-b"),
    ])),
  );
});

after(async () => {
  for (const r of [...running, ...fixtures]) await r.stop();
  await destroyAll(prefix);
});

describe(`local mode topology and node agent rules (${prefix})`, () => {
  test("pods on different nodes reach each other directly, source address intact", async () => {
    assert.deepEqual(await dial(ns("clientA"), "10.244.1.2", 8080), {
      server: "server-b",
      peer: "10.244.0.2",
    });
    assert.deepEqual(await dial(ns("clientB"), "10.244.0.3", 8080), {
      server: "server-a",
      peer: "10.244.1.3",
    });
    assert.deepEqual(await dial(ns("clientA"), "10.244.0.3", 8080), {
      server: "server-a",
      peer: "10.244.0.2",
    });
  });

  test("nothing routes outside the fixtures", async () => {
    const r = await dial(ns("clientA"), "192.0.2.1", 80);
    assert.match(String(r.error), /UNREACH/);
  });

  test("a pod gets its own hosts file and resolv.conf, removed with the pod", async () => {
    assert.equal(
      (await runIn(ns("clientA"), [process.execPath, PROBE, "lookup", "client-a"])).stdout,
      "10.244.0.2",
    );
    const resolv = (await runIn(ns("clientB"), ["cat", "/etc/resolv.conf"])).stdout;
    assert.match(resolv, /^nameserver 169\.254\.1\.1$/m);
    assert.match(resolv, /^search other\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
    assert.notEqual(readFileSync("/etc/resolv.conf", "utf8"), resolv, "the machine's own file is untouched");
  });

  test("DNS from any pod reaches the node proxy's DNS on 15053, through the search list", async () => {
    // getaddrinfo (glibc) applies resolv.conf's search list: client-a (namespace default) asking
    // for "server-b" tries server-b.default.svc.cluster.local first, which the fake DNS knows.
    const lookup = (key: string, name: string) => runIn(ns(key), [process.execPath, PROBE, "lookup", name]);
    assert.equal((await lookup("clientA", "server-b")).stdout, "10.96.0.99");
    // client-b (namespace other, on node b): other.svc... is NXDOMAIN, then svc.cluster.local matches.
    assert.equal((await lookup("clientB", "server-b.default")).stdout, "10.96.0.99");
    // c-ares (dns.resolve*) reads the nameserver from the pod's resolv.conf too.
    const fqdn = await runIn(ns("clientB"), [
      process.execPath,
      PROBE,
      "resolve",
      "server-b.default.svc.cluster.local",
    ]);
    assert.deepEqual(JSON.parse(fqdn.stdout), ["10.96.0.99"]);
  });

  test("a pod that is not enrolled reaches a Service VIP through DNAT, also back to itself", async () => {
    assert.deepEqual(await dial(ns("clientA"), VIP, 80), { server: "server-b", peer: "10.244.0.2" });
    // Hairpin: masqueraded to the gateway address, or the kernel would drop the reply as martian.
    assert.deepEqual(await dial(ns("serverA"), HAIRPIN_VIP, 80), { server: "server-a", peer: "169.254.1.1" });
  });

  test("an enrolled pod's outbound TCP reaches 15001 with the destination it dialled", async () => {
    await enroll("a", ["clientA"]);
    assert.deepEqual(await dial(ns("clientA"), "10.244.1.2", 8080), {
      via: 15001,
      original: "10.244.1.2:8080",
      family: 4,
      peer: "10.244.0.2",
    });
    // A VIP is captured before the service rules: the proxy sees the VIP, and picks the endpoint.
    assert.deepEqual(await dial(ns("clientA"), VIP, 80), {
      via: 15001,
      original: `${VIP}:80`,
      family: 4,
      peer: "10.244.0.2",
    });
    // Other pods on the node are not affected.
    assert.deepEqual(await dial(ns("serverA"), "10.244.1.2", 8080), {
      server: "server-b",
      peer: "10.244.0.3",
    });
  });

  test("enrolment changes apply to new connections; an established one keeps its path", async () => {
    await enroll("a", []);
    // `hold` prints the server's greeting first, then echoes what it is sent over the same connection.
    const conn = await startIn(
      ns("clientA"),
      [process.execPath, PROBE, "hold", "10.244.1.2", "8080"],
      JSON.stringify({ server: "server-b", peer: "10.244.0.2" }),
    );
    running.push(conn);
    await enroll("a", ["clientA"]);
    conn.send("still direct?");
    assert.deepEqual(JSON.parse(await conn.nextLine()), { echo: "still direct?" });
    assert.equal((await dial(ns("clientA"), "10.244.1.2", 8080)).via, 15001, "a new connection is captured");
    await enroll("a", []);
    assert.deepEqual(await dial(ns("clientA"), "10.244.1.2", 8080), {
      server: "server-b",
      peer: "10.244.0.2",
    });
    await conn.stop();
  });

  test("inbound plaintext to an enrolled pod reaches 15006 with its original destination", async () => {
    await enroll("b", ["serverB"]);
    assert.deepEqual(await dial(ns("clientA"), "10.244.1.2", 8080), {
      via: 15006,
      original: "10.244.1.2:8080",
      family: 4, // accepted on a dual-stack listener: an IPv4 connection as ::ffff:a.b.c.d
      peer: "::ffff:10.244.0.2",
    });
    // Same node: client-b -> server-b also goes to 15006.
    assert.equal((await dial(ns("clientB"), "10.244.1.2", 8080)).via, 15006);
  });

  test("HBONE to an enrolled pod's 15008 reaches the node proxy: from another node and from its own", async () => {
    assert.deepEqual(await dial(nsA, "10.244.1.2", 15008), {
      via: 15008,
      original: "10.244.1.2:15008",
      family: 4,
      peer: NODES[0]!.fabricIp,
    });
    // The proxy dialling a pod on its own node (OUTPUT chain).
    const local = await dial(nsB, "10.244.1.2", 15008);
    assert.equal(local.via, 15008);
    assert.equal(local.original, "10.244.1.2:15008");
  });

  test("the node proxy's own connections to pods are never captured", async () => {
    // From the node namespace (where the proxy runs) straight to the enrolled pod's app port.
    assert.deepEqual(await dial(nsB, "10.244.1.2", 8080), { server: "server-b", peer: "169.254.1.1" });
  });

  test("a same-node enrolled client goes to outbound (15001) before the enrolled server's inbound", async () => {
    await enroll("a", ["clientA", "serverA"]);
    assert.deepEqual(await dial(ns("clientA"), "10.244.0.3", 8080), {
      via: 15001,
      original: "10.244.0.3:8080",
      family: 4,
      peer: "10.244.0.2",
    });
    const saved = await readNodeRules(nsA);
    assert.equal(saved.split("\n").filter((l) => l === "-A PREROUTING -j AMBIT-PREROUTING").length, 1);
  });

  test("a plaintext client reaching a same-node enrolled pod through a VIP is still captured (15006)", async () => {
    await enroll("a", ["serverA"]);
    // The node proxy gets the VIP and picks one of the Service's enrolled endpoints on its node.
    assert.deepEqual(await dial(ns("clientA"), HAIRPIN_VIP, 80), {
      via: 15006,
      original: `${HAIRPIN_VIP}:80`,
      family: 4,
      peer: "::ffff:10.244.0.2",
    });
  });

  test("removing a pod leaves the node's other pods working", async () => {
    await removePod(prefix, "a", PODS.serverA!.spec);
    delete pods.serverA;
    assert.ok(!existsSync(`/etc/netns/${prefix}-pod-default-server-a`));
    await Promise.all([enroll("a", []), enroll("b", [])]);
    // The gateway address 169.254.1.1 was also on the removed veth; DNS to it still works.
    const r = await runIn(ns("clientA"), [process.execPath, PROBE, "lookup", "server-b"]);
    assert.equal(r.stdout, "10.96.0.99");
    assert.deepEqual(await dial(ns("clientA"), "10.244.1.2", 8080), {
      server: "server-b",
      peer: "10.244.0.2",
    });
  });

  test("destroyAll ends the processes inside and leaves nothing with the prefix", async () => {
    const before = listLeftovers(prefix);
    assert.ok(before.pids.length >= 3, `processes in the namespaces: ${before.pids.join(",")}`);
    await destroyAll(prefix);
    const left = listLeftovers(prefix);
    assert.deepEqual(left, { prefixes: [], netns: [], etcNetns: [], pids: [] });
    assert.ok(!listNetns().some((n) => n.startsWith(`${prefix}-`)));
    // The fixtures' processes were ended by destroyAll (SIGTERM), not by this test.
    await Promise.all(fixtures.map((r) => r.stop()));
    for (const r of fixtures) assert.equal(r.child.signalCode, "SIGTERM");
    await destroyAll(prefix); // idempotent
  });
});
