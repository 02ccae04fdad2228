/**
 * Local mode end to end: who may talk in plaintext, and enrolling a running namespace.
 *  - mesh-wide PeerAuthentication STRICT (istio-system): a pod of a namespace that is not enrolled
 *    is refused by an enrolled server; switched to PERMISSIVE with `ambit apply`, it is served
 *    (security policy "none"). The server has no AuthorizationPolicy, so only mTLS decides.
 *  - `ambit label namespace flip istio.io/dataplane-mode=ambient` and back: the pods' traffic
 *    moves into the mesh and out again while their processes keep running.
 * One cluster for the file; torn down in `after`, leaving nothing with its prefix.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestCluster, type TestCluster } from "./local-helpers/cluster.js";
import { curlIn, droppedWithoutAnswer, netnsPids, waitFor } from "./local-helpers/proc.js";
import { accessLog, scrape, total } from "./local-helpers/telemetry.js";

const OPENED = "istio_tcp_connections_opened_total";

const pod = (ns: string, name: string, node: string, image: string, port?: number) => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${ns}, labels: { app: ${name} } }
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 0
  containers:
    - name: main
      image: ${image}
${port ? `      ports: [{ containerPort: ${port} }]\n` : "      command: [/bin/sleep, infinity]\n"}`;

const service = (ns: string, name: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${ns} }
spec:
  selector: { app: ${name} }
  ports: [{ name: http, port: 8000, targetPort: 8080 }]
`;

const peerAuth = (mode: string) => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec: { mtls: { mode: ${mode} } }
`;

const HTTPBIN = "docker.io/mccutchen/go-httpbin:v2.15.0";
const SLEEP = "curlimages/curl";

const CONFIG = [
  "apiVersion: v1\nkind: Namespace\nmetadata: { name: mesh, labels: { istio.io/dataplane-mode: ambient } }\n",
  "apiVersion: v1\nkind: Namespace\nmetadata: { name: outside }\n",
  "apiVersion: v1\nkind: Namespace\nmetadata: { name: flip }\n",
  peerAuth("STRICT"),
  pod("mesh", "web", "node-1", HTTPBIN, 8080),
  service("mesh", "web"),
  pod("outside", "outsider", "node-2", SLEEP),
  pod("outside", "outsider-near", "node-1", SLEEP),
  pod("flip", "flip-client", "node-1", SLEEP),
  pod("flip", "flip-server", "node-2", HTTPBIN, 8080),
  service("flip", "flip-server"),
].join("---\n");

let c: TestCluster;

before(async () => {
  c = await startTestCluster({ inputs: [{ name: "enrollment.yaml", text: CONFIG }] });
});

after(async () => {
  await c?.close();
});

describe("local mode: PeerAuthentication and enrolment on a running cluster", () => {
  it("mesh-wide STRICT refuses a client outside the mesh; PERMISSIVE (ambit apply) serves it", async () => {
    const far = c.netns("outside", "outsider");
    const near = c.netns("outside", "outsider-near");
    const logBefore = accessLog(c.cluster.layout, "node-1").length;
    for (const [who, netns] of [
      ["outsider (other node)", far],
      ["outsider-near (same node)", near],
    ] as const) {
      const r = await curlIn(netns, "http://web.mesh:8000/get");
      assert.equal(r.http, 0, `${who}: no HTTP response under STRICT`);
      assert.ok(
        droppedWithoutAnswer(r.exit),
        `${who}: connection dropped (curl exit ${r.exit}: ${r.stderr})`,
      );
    }
    const refusals = await waitFor("two refusals in web's node access log", async () => {
      const l = accessLog(c.cluster.layout, "node-1")
        .slice(logBefore)
        .filter((x) => x.direction === "inbound" && x.decision === "deny" && x["dst.workload"] === "web");
      return l.length >= 2 ? l : undefined;
    });
    for (const l of refusals)
      assert.match(String(l.reason), /istio-system\/default.*STRICT/, "the log names the PeerAuthentication");
    const desc = await c.cli(["describe", "pod", "mesh/web"]);
    assert.match(
      desc.stdout,
      /^mTLS mode: {2}port 8080: STRICT \(PeerAuthentication istio-system\/default\)/m,
    );

    const before = await scrape(c.cluster.layout, "node-1");
    const applied = await c.cli(["apply", "-f", "-"], peerAuth("PERMISSIVE"));
    assert.equal(applied.status, 0, applied.stderr);
    assert.match(applied.stdout, /PeerAuthentication istio-system\/default configured/);
    for (const netns of [far, near]) {
      const r = await waitFor("served under PERMISSIVE", async () => {
        const x = await curlIn(netns, "http://web.mesh:8000/get");
        return x.http === 200 ? x : undefined;
      });
      assert.equal(r.exit, 0);
    }
    const after = await scrape(c.cluster.layout, "node-1");
    const plain = {
      reporter: "destination",
      destination_workload: "web",
      connection_security_policy: "none",
      source_principal: "unknown",
    };
    assert.ok(
      total(after, OPENED, plain) - total(before, OPENED, plain) >= 2,
      "web's node proxy reports the plaintext connections (connection_security_policy=none)",
    );
  });

  it("labelling a running namespace moves its traffic into the mesh and back, without restarting pods", async () => {
    const client = await c.pod("flip", "flip-client");
    const server = await c.pod("flip", "flip-server");
    const clientNs = c.netns("flip", "flip-client");
    const pidsBefore = [await netnsPids(clientNs), await netnsPids(c.netns("flip", "flip-server"))];
    assert.ok(
      pidsBefore.every((p) => p.length > 0),
      "both pods have processes",
    );
    // httpbin's /ip is the peer it saw: the client itself, whether direct or delivered by the node
    // proxy (which connects from the client's IP, as in Istio ambient); whether the node proxies
    // carried a request shows in their metrics.
    const origin = async () => {
      const r = await curlIn(clientNs, "http://flip-server.flip:8000/ip");
      return r.http === 200 ? (JSON.parse(r.body) as { origin: string }).origin : `failed ${r.exit}`;
    };
    const until = (proxied: boolean) =>
      waitFor(
        `a request ${proxied ? "through" : "bypassing"} the node proxies`,
        async () => {
          const before = (await flipOpened()).source;
          const seen = await origin();
          const through = (await flipOpened()).source > before;
          return seen === client.ip && through === proxied ? true : undefined;
        },
        15_000,
      );
    const flipOpened = async () => {
      const [n1, n2] = [await scrape(c.cluster.layout, "node-1"), await scrape(c.cluster.layout, "node-2")];
      return {
        source: total(n1, OPENED, { reporter: "source", source_workload: "flip-client" }),
        mtls: total(n2, OPENED, {
          reporter: "destination",
          source_workload: "flip-client",
          destination_workload: "flip-server",
          connection_security_policy: "mutual_tls",
        }),
      };
    };

    assert.equal(await origin(), client.ip, "not enrolled: direct, the server sees the client's address");
    const m0 = await flipOpened();
    assert.deepEqual(m0, { source: 0, mtls: 0 }, "the node proxies saw none of it");

    const on = await c.cli(["label", "namespace", "flip", "istio.io/dataplane-mode=ambient"]);
    assert.equal(on.status, 0, on.stderr);
    await until(true);
    const m1 = await flipOpened();
    assert.ok(m1.source > 0 && m1.mtls > 0, "enrolled: through both node proxies, mutual_tls");
    const desc = await c.cli(["describe", "pod", "flip/flip-client"]);
    assert.match(
      desc.stdout,
      /^Enrolled:\s+yes — namespace flip has label istio.io\/dataplane-mode=ambient/m,
    );

    const off = await c.cli(["label", "namespace", "flip", "istio.io/dataplane-mode-"]);
    assert.equal(off.status, 0, off.stderr);
    await until(false);
    const m2 = await flipOpened();
    assert.equal(await origin(), client.ip);
    assert.deepEqual(await flipOpened(), m2, "un-enrolled: new connections bypass the node proxies again");

    assert.deepEqual(
      [await netnsPids(clientNs), await netnsPids(c.netns("flip", "flip-server"))],
      pidsBefore,
      "the same processes run in both pods (none restarted)",
    );
    for (const [name, was] of [
      ["flip-client", client],
      ["flip-server", server],
    ] as const) {
      const now = await c.pod("flip", name);
      assert.equal(now.restarts, 0, `${name}: restarts`);
      assert.equal(now.ip, was.ip, `${name}: same address`);
      assert.equal(now.phase, "Running");
    }
  });
});
