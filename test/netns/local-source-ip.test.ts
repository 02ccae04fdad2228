/**
 * What an application behind the node proxy sees as its peer, in local mode: the client pod's own
 * IP, as in Istio ambient (the node proxy connects from it with a transparent socket; the node
 * agent routes the replies back to the proxy). httpbin's /ip answers with `origin`, the peer
 * address of the connection it served (no X-Forwarded-For from curl), so that is what the test
 * reads, for:
 *   (a) an enrolled client on the other node (HBONE across the fabric),
 *   (b) an enrolled client on httpbin's node (HBONE to the node's own 15008),
 *   (c) clients that are not enrolled (PERMISSIVE: plaintext through 15006), on both nodes,
 * and that a pod reaching itself through its Service still works. One cluster for the file, torn
 * down in `after`, leaving nothing with its prefix.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { netnsExec } from "../../src/node/exec.js";
import { POD_GATEWAY_ADDRESS } from "../../src/node/names.js";
import { startTestCluster, type TestCluster } from "./local-helpers/cluster.js";
import { curlIn } from "./local-helpers/proc.js";
import { accessLog, scrape, total } from "./local-helpers/telemetry.js";

const HTTPBIN = "docker.io/mccutchen/go-httpbin:v2.15.0";

function pod(name: string, namespace: string, node: string, server = false): string {
  const container = server
    ? `{ name: httpbin, image: ${HTTPBIN}, ports: [{ containerPort: 8080 }] }`
    : `{ name: client, image: curlimages/curl, command: ["/bin/sleep", "infinity"] }`;
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${namespace}, labels: { app: ${name} } }
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 0
  containers:
    - ${container}
`;
}

const CONFIG = [
  "apiVersion: v1\nkind: Namespace\nmetadata: { name: mesh, labels: { istio.io/dataplane-mode: ambient } }\n",
  "apiVersion: v1\nkind: Namespace\nmetadata: { name: outside }\n",
  `apiVersion: v1
kind: Service
metadata: { name: httpbin, namespace: mesh }
spec:
  ports: [{ name: http, port: 8000, targetPort: 8080 }]
  selector: { app: httpbin }
`,
  pod("httpbin", "mesh", "node-1", true),
  pod("near-client", "mesh", "node-1"),
  pod("far-client", "mesh", "node-2"),
  pod("plain-near", "outside", "node-1"),
  pod("plain-far", "outside", "node-2"),
].join("---\n");

const URL_IP = "http://httpbin.mesh.svc.cluster.local:8000/ip";
let c: TestCluster;
const ip: Record<string, string> = {};

before(async () => {
  c = await startTestCluster({ inputs: [{ name: "source-ip.yaml", text: CONFIG }] });
  for (const [ns, name] of [
    ["mesh", "httpbin"],
    ["mesh", "near-client"],
    ["mesh", "far-client"],
    ["outside", "plain-near"],
    ["outside", "plain-far"],
  ] as const) {
    ip[name] = (await c.pod(ns, name)).ip;
  }
});

after(async () => {
  await c?.close();
});

/** httpbin's /ip from a pod: the address the application saw as its peer. */
async function origin(namespace: string, name: string): Promise<string> {
  const r = await curlIn(c.netns(namespace, name), URL_IP);
  assert.equal(r.exit, 0, `${name}: curl failed: ${r.stderr}`);
  assert.equal(r.http, 200, `${name}: ${r.body}`);
  return (JSON.parse(r.body) as { origin: string }).origin;
}

describe("local mode: applications see their clients' pod IPs", () => {
  it("(a) cross-node HBONE: httpbin sees far-client's pod IP, and both proxies still report it", async () => {
    const before = await scrape(c.cluster.layout, "node-1");
    assert.equal(await origin("mesh", "far-client"), ip["far-client"]);
    const after = await scrape(c.cluster.layout, "node-1");
    const match = {
      reporter: "destination",
      source_workload: "far-client",
      destination_workload: "httpbin",
      connection_security_policy: "mutual_tls",
    };
    const opened = "istio_tcp_connections_opened_total";
    assert.ok(
      total(after, opened, match) > total(before, opened, match),
      "httpbin's node proxy counts the connection (reporter=destination, mutual_tls)",
    );
  });

  it("(b) same-node HBONE: httpbin sees near-client's pod IP", async () => {
    assert.equal(await origin("mesh", "near-client"), ip["near-client"]);
  });

  it("(c) clients outside the mesh (PERMISSIVE, through 15006), on either node: their own pod IPs", async () => {
    assert.equal(await origin("outside", "plain-far"), ip["plain-far"]);
    assert.equal(await origin("outside", "plain-near"), ip["plain-near"]);
    const line = accessLog(c.cluster.layout, "node-1")
      .reverse()
      .find((l) => l.direction === "inbound" && String(l["src.addr"]).startsWith(`${ip["plain-far"]}:`));
    assert.ok(line, "httpbin's node proxy logs the plaintext connection with plain-far's address");
  });

  it("a pod reaching itself through its Service still works (from the node's address, not its own)", async () => {
    assert.equal(await origin("mesh", "httpbin"), POD_GATEWAY_ADDRESS);
  });

  it("the node agent installed the reply routing in each node namespace", async () => {
    for (const n of c.record().nodes) {
      const rules = await netnsExec(n.netns, ["ip", "-4", "rule", "show"], { code: "T", what: "ip rule" });
      assert.match(rules, /fwmark 0x111\/0xfff lookup 100/);
      const mangle = await netnsExec(n.netns, ["iptables-save", "-t", "mangle"], { code: "T", what: "save" });
      assert.match(mangle, /-A PREROUTING -j AMBIT-PROXY-REPLIES/);
      assert.match(mangle, /-m socket --transparent -j MARK --set-xmark 0x111\/0xfff/);
    }
  });
});
