/**
 * Local mode end to end, as a new user checks it after the README's command: the demo
 * (examples/demo: httpbin, sleep, rogue, an ALLOW policy for sleep) on two nodes, real processes
 * in network namespaces, the machine's curl inside the pods, node proxies carrying HBONE mTLS.
 * Two extra clients with the sleep identity are pinned next to httpbin and on the other node, so
 * both the same-node and the cross-node path are exercised whatever the scheduler picked.
 * One cluster for the file; torn down in `after`, leaving nothing with its prefix.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { captureWhile, startsWithTlsRecord, type TcpPacket } from "./local-helpers/capture.js";
import { demoInputs, startTestCluster, type TestCluster } from "./local-helpers/cluster.js";
import {
  curlIn,
  droppedWithoutAnswer,
  holdConnection,
  liveConnections,
  waitFor,
  type LiveConnection,
} from "./local-helpers/proc.js";
import { accessLog, scrape, total, type Sample } from "./local-helpers/telemetry.js";

const OPENED = "istio_tcp_connections_opened_total";
const SLEEP_ID = "spiffe://cluster.local/ns/demo/sa/sleep";
const HTTPBIN_ID = "spiffe://cluster.local/ns/demo/sa/httpbin";
const HTTPBIN_SVC = "httpbin.demo.svc.cluster.local";

let c: TestCluster;
const pods = { sleep: "", httpbin: "", rogue: "" };
const nodeOf: Record<string, string> = {};
let otherNode = "";

/** A client pod with the sleep identity (so the demo's policy admits it), pinned to a node. */
function clientPod(name: string, node: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: demo, labels: { app: ${name} } }
spec:
  nodeName: ${node}
  serviceAccountName: sleep
  terminationGracePeriodSeconds: 0
  containers:
    - { name: client, image: curlimages/curl, command: ["/bin/sleep", "infinity"] }
`;
}

const ns = (pod: string) => c.netns("demo", pod);
const sum = (samples: Sample[][], match: Record<string, string>) =>
  samples.reduce((a, s) => a + total(s, OPENED, match), 0);
const bytes = (packets: readonly TcpPacket[]) => Buffer.concat(packets.map((p) => p.payload));

before(async () => {
  c = await startTestCluster({ inputs: demoInputs() });
  for (const k of Object.keys(pods) as Array<keyof typeof pods>) {
    const p = await c.pod("demo", k);
    pods[k] = p.name;
    nodeOf[k] = p.node;
  }
  otherNode = c.record().nodes.find((n) => n.name !== nodeOf.httpbin)!.name;
  await c.apply(`${clientPod("near-client", nodeOf.httpbin!)}---\n${clientPod("far-client", otherNode)}`, [
    "demo/near-client",
    "demo/far-client",
  ]);
  nodeOf["near-client"] = nodeOf.httpbin!;
  nodeOf["far-client"] = otherNode;
});

after(async () => {
  await c?.close();
});

describe("local mode: the demo, end to end", () => {
  it("README path: sleep reaches httpbin by short and long names; both proxies report mutual_tls", async () => {
    const before = await Promise.all(c.record().nodes.map((n) => scrape(c.cluster.layout, n.name)));
    const urls = [
      "http://httpbin:8000/get",
      "http://httpbin.demo:8000/get",
      `http://${HTTPBIN_SVC}:8000/get`,
    ];
    for (const url of urls) {
      const r = await curlIn(ns(pods.sleep), url);
      assert.equal(r.exit, 0, `${url}: curl failed: ${r.stderr}`);
      assert.equal(r.http, 200, url);
      assert.equal((JSON.parse(r.body) as { url: string }).url, url, "httpbin echoes the URL it served");
    }
    const afterS = await Promise.all(c.record().nodes.map((n) => scrape(c.cluster.layout, n.name)));
    const idx = (node: string) => c.record().nodes.findIndex((n) => n.name === node);
    const labels = {
      source_workload: "sleep",
      source_workload_namespace: "demo",
      source_principal: SLEEP_ID,
      destination_workload: "httpbin",
      destination_workload_namespace: "demo",
      destination_principal: HTTPBIN_ID,
      connection_security_policy: "mutual_tls",
    };
    const delta = (node: string, match: Record<string, string>) =>
      sum([afterS[idx(node)]!], match) - sum([before[idx(node)]!], match);
    assert.ok(
      delta(nodeOf.sleep!, { ...labels, reporter: "source" }) >= urls.length,
      "the sleep pod's node proxy reports the connections (reporter=source, mutual_tls, sleep -> httpbin)",
    );
    assert.ok(
      delta(nodeOf.httpbin!, { ...labels, reporter: "destination" }) >= urls.length,
      "httpbin's node proxy reports them too (reporter=destination, mutual_tls, sleep -> httpbin)",
    );
    // Both sides name the Service: Istio's service dashboards query reporter="destination" by
    // destination_service (ztunnel guesses it inbound: proxy.rs guess_inbound_service).
    assert.ok(
      delta(nodeOf.sleep!, { ...labels, reporter: "source", destination_service: HTTPBIN_SVC }) >=
        urls.length,
      "reporter=source carries destination_service",
    );
    assert.ok(
      delta(nodeOf.httpbin!, { ...labels, reporter: "destination", destination_service: HTTPBIN_SVC }) >=
        urls.length,
      `reporter=destination carries destination_service="${HTTPBIN_SVC}"`,
    );
  });

  it("cross-node traffic is TLS on 15008 between the nodes; no plaintext HTTP on the wire", async () => {
    const marker = `m${randomBytes(6).toString("hex")}`;
    const fabric = `${c.prefix}-fabric`;
    const { packets, result } = await captureWhile(fabric, "br0", () =>
      curlIn(ns("far-client"), `http://httpbin.demo:8000/get?marker=${marker}`),
    );
    assert.equal(result.http, 200, `far-client -> httpbin: ${result.stderr}`);
    const httpbinIp = (await c.pod("demo", "httpbin")).ip;
    const tunnel = packets.filter(
      (p) => (p.dst === httpbinIp && p.dport === 15008) || (p.src === httpbinIp && p.sport === 15008),
    );
    assert.ok(
      tunnel.some((p) => p.payload.length > 0),
      "data crossed the fabric to httpbin's 15008",
    );
    assert.ok(
      tunnel.some((p) => startsWithTlsRecord(p.payload)),
      "the 15008 payload is TLS records (content type 20-23, version 3.x)",
    );
    assert.deepEqual(
      packets.filter((p) => [8000, 8080].includes(p.dport) || [8000, 8080].includes(p.sport)),
      [],
      "nothing on the application ports crossed the fabric",
    );
    const wire = bytes(packets);
    assert.equal(wire.includes(marker), false, "the request's marker never appears in clear on the wire");
    assert.equal(wire.includes("GET /get"), false, "no plaintext HTTP request line on the wire");
    assert.equal(wire.includes("HTTP/1.1 200"), false, "no plaintext HTTP response on the wire");
  });

  it("same-node traffic is tunnelled too: HBONE mTLS over the node's 15008, reported as such", async () => {
    const node = nodeOf.httpbin!;
    const nodeNs = c.record().nodes.find((n) => n.name === node)!.netns;
    const marker = `m${randomBytes(6).toString("hex")}`;
    const logBefore = accessLog(c.cluster.layout, node).length;
    const before = await scrape(c.cluster.layout, node);
    // Same-node HBONE is redirected to the node's own 15008 (OUTPUT -> 127.0.0.1): capture on lo.
    const { packets, result } = await captureWhile(nodeNs, "lo", () =>
      curlIn(ns("near-client"), `http://httpbin:8000/get?marker=${marker}`),
    );
    assert.equal(result.http, 200, `near-client -> httpbin: ${result.stderr}`);
    const hbone = packets.filter((p) => (p.dport === 15008 || p.sport === 15008) && p.payload.length > 0);
    assert.ok(hbone.length > 0, "the connection went through the node's HBONE listener");
    assert.ok(
      hbone.some((p) => startsWithTlsRecord(p.payload)),
      "as TLS records",
    );
    assert.equal(bytes(packets).includes(marker), false, "the request is not in clear on the tunnel");

    const labels = {
      source_workload: "near-client",
      source_principal: SLEEP_ID,
      destination_workload: "httpbin",
      connection_security_policy: "mutual_tls",
    };
    const after = await scrape(c.cluster.layout, node);
    for (const reporter of ["source", "destination"])
      assert.ok(
        total(after, OPENED, { ...labels, reporter }) > total(before, OPENED, { ...labels, reporter }),
        `reporter=${reporter} mutual_tls for the same-node connection`,
      );
    const lines = await waitFor("access log lines of the same-node connection", async () => {
      const l = accessLog(c.cluster.layout, node)
        .slice(logBefore)
        .filter((x) => x["src.workload"] === "near-client");
      return l.length >= 2 ? l : undefined;
    });
    const out = lines.find((l) => l.direction === "outbound");
    const inb = lines.find((l) => l.direction === "inbound");
    assert.equal(out?.["dst.hbone_addr"], `${(await c.pod("demo", "httpbin")).ip}:15008`);
    assert.equal(inb?.["src.identity"], SLEEP_ID, "the inbound side verified the client's identity");
    assert.equal(inb?.["dst.identity"], HTTPBIN_ID);
    assert.equal(inb?.decision, "allow");
  });

  it("L4 policy: sleep is served, rogue's connection is dropped and the log names the policy", async () => {
    const ok = await curlIn(ns(pods.sleep), "http://httpbin:8000/status/200");
    assert.equal(ok.http, 200);
    const node = nodeOf.httpbin!;
    const logBefore = accessLog(c.cluster.layout, node).length;
    const before = await scrape(c.cluster.layout, node);
    const denied = await curlIn(ns(pods.rogue), "http://httpbin:8000/get");
    assert.equal(denied.http, 0, "no HTTP response at all");
    assert.ok(droppedWithoutAnswer(denied.exit), `curl exit ${denied.exit}: ${denied.stderr}`);
    const line = await waitFor("the deny line in httpbin's node access log", async () =>
      accessLog(c.cluster.layout, node)
        .slice(logBefore)
        .find((l) => l.direction === "inbound" && l["src.workload"] === pods.rogue),
    );
    assert.equal(line.decision, "deny");
    assert.equal(line["src.identity"], "spiffe://cluster.local/ns/demo/sa/rogue");
    assert.match(
      `${line.policy ?? ""} ${line.reason ?? ""}`,
      /demo\/httpbin-allow-sleep/,
      "the log line names the policy",
    );
    const after = await scrape(c.cluster.layout, node);
    const deny = { reporter: "destination", source_workload: "rogue", response_flags: "DENY" };
    assert.ok(
      total(after, "istio_tcp_connections_closed_total", deny) >
        total(before, "istio_tcp_connections_closed_total", deny),
      "closed with response_flags=DENY",
    );
    // The refused connection is logged with the client pod's address, as allowed ones are.
    const rogueIp = (await c.pod("demo", "rogue")).ip;
    assert.equal(
      String(line["src.addr"]).split(":")[0],
      rogueIp,
      "src.addr of the deny line is rogue's pod IP",
    );
  });

  it("CLI on the running cluster: exec, status, ztunnel-config views, describe pod", async () => {
    const [exec, execDenied, status, wl, svc, pol, certs, descSleep, descHttpbin, getPods] =
      await Promise.all([
        c.cli([
          "exec",
          "-n",
          "demo",
          "deploy/sleep",
          "--",
          "curl",
          "-s",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          "http://httpbin:8000/headers",
        ]),
        c.cli([
          "exec",
          "-n",
          "demo",
          "deploy/rogue",
          "--",
          "curl",
          "-sS",
          "--max-time",
          "5",
          "http://httpbin:8000/",
        ]),
        c.cli(["status"]),
        c.cli(["zc", "workloads"]),
        c.cli(["zc", "services"]),
        c.cli(["zc", "policies"]),
        c.cli(["zc", "certificates"]),
        c.cli(["describe", "pod", `demo/${pods.sleep}`]),
        c.cli(["describe", "pod", `demo/${pods.httpbin}`]),
        c.cli(["get", "pods", "-n", "demo", "-o", "wide"]),
      ]);
    assert.equal(exec.status, 0, exec.stderr);
    assert.equal(exec.stdout, "200", "ambit exec runs curl in the sleep pod: 200");
    assert.ok(droppedWithoutAnswer(execDenied.status), `exit code passed through: ${execDenied.status}`);

    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`local cluster ${c.prefix}`));
    for (const n of c.record().nodes)
      assert.match(status.stdout, new RegExp(`^${n.name}\\s.*\\sReady\\s+0$`, "m"));
    for (const p of Object.values(pods))
      assert.match(status.stdout, new RegExp(`^demo\\s+${p}\\s+1/1\\s+Running\\s+0\\s`, "m"));
    assert.match(status.stdout, /all pods ready/);
    for (const [k, p] of Object.entries(pods))
      assert.match(getPods.stdout, new RegExp(`^${p}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${nodeOf[k]}$`, "m"));

    for (const [k, p] of Object.entries(pods)) {
      const ip = (await c.pod("demo", k)).ip;
      assert.match(
        wl.stdout,
        new RegExp(`^demo\\s+${p}\\s+${ip.replace(/\./g, "\\.")}\\s+${nodeOf[k]}\\s+None\\s+HBONE$`, "m"),
      );
    }
    assert.match(svc.stdout, /^demo\s+httpbin\s+\d+\.\d+\.\d+\.\d+\s+None\s+1\/1$/m);
    assert.match(pol.stdout, /^demo\s+httpbin-allow-sleep\s+ALLOW\s+WorkloadSelector/m);
    assert.match(
      certs.stdout,
      new RegExp(`^${nodeOf.sleep}\\s+${SLEEP_ID}\\s+Leaf\\s+Available\\s`, "m"),
      "the sleep identity's certificate is held by its node's proxy",
    );
    assert.match(
      certs.stdout,
      new RegExp(`^${nodeOf.httpbin}\\s+${HTTPBIN_ID}\\s+Leaf\\s+Available\\s`, "m"),
    );

    assert.equal(descSleep.status, 0, descSleep.stderr);
    assert.match(
      descSleep.stdout,
      /^Enrolled:\s+yes — namespace demo has label istio.io\/dataplane-mode=ambient/m,
    );
    assert.match(descSleep.stdout, new RegExp(`^Identity:\\s+${SLEEP_ID}`, "m"));
    assert.match(descSleep.stdout, new RegExp(`^Node:\\s+${nodeOf.sleep}$`, "m"));
    assert.match(descSleep.stdout, /^Certificate: Available, valid /m);
    assert.match(descHttpbin.stdout, /^ {2}- demo\/httpbin-allow-sleep: ALLOW/m);
    assert.match(descHttpbin.stdout, new RegExp(`^Services:\\s+${HTTPBIN_SVC}`, "m"));
  });

  it("CLI: ztunnel-config connections lists a live connection on both proxies", async () => {
    const held = holdConnection(ns("far-client"), "http://httpbin:8000/delay/5");
    try {
      await waitFor("the connection in httpbin's node proxy", () => liveConnection(nodeOf.httpbin!), 4_000);
      const r = await c.cli(["zc", "connections"]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^NODE\s+DIRECTION\s+MODE\s+SOURCE\s+DESTINATION/m);
      for (const [node, dir] of [
        [otherNode, "outbound"],
        [nodeOf.httpbin!, "inbound"],
      ] as const)
        assert.match(
          r.stdout,
          new RegExp(
            `^${node}\\s+${dir}\\s+hbone\\s+demo/far-client\\s+demo/${pods.httpbin}\\s+${SLEEP_ID}\\s+${HTTPBIN_ID}\\s`,
            "m",
          ),
        );
    } finally {
      await held.stop();
    }
  });

  it("the destination proxy counts bytes while a connection is open, as the source proxy does", async () => {
    // Connections of earlier tests have ended (their bytes are in the totals below).
    await waitFor("no live far-client connection", async () =>
      (await liveConnection(nodeOf.httpbin!)) ? undefined : true,
    );
    const match = { source_workload: "far-client", destination_workload: "httpbin" };
    const rx = "istio_tcp_received_bytes_total";
    const src0 = total(await scrape(c.cluster.layout, otherNode), rx, { ...match, reporter: "source" });
    const dst0 = total(await scrape(c.cluster.layout, nodeOf.httpbin!), rx, {
      ...match,
      reporter: "destination",
    });
    const held = holdConnection(ns("far-client"), "http://httpbin:8000/delay/5");
    try {
      // The request (~90 bytes) has passed both proxies once httpbin holds it for its delay.
      await waitFor("the live connection at the destination", () => liveConnection(nodeOf.httpbin!), 4_000);
      await waitFor(
        "the source proxy's live byte count",
        async () =>
          total(await scrape(c.cluster.layout, otherNode), rx, { ...match, reporter: "source" }) > src0
            ? true
            : undefined,
        3_000,
      );
      const dst1 = total(await scrape(c.cluster.layout, nodeOf.httpbin!), rx, {
        ...match,
        reporter: "destination",
      });
      const live = await liveConnection(nodeOf.httpbin!);
      assert.ok(live, "the connection is still open");
      assert.ok(
        dst1 > dst0,
        "reporter=destination istio_tcp_received_bytes_total moves while the connection is open (docs/telemetry.md)",
      );
      assert.ok(live.bytesSent > 0, "ztunnel-config connections: the inbound row counts the request bytes");
    } finally {
      await held.stop();
    }
  });
});

/** far-client's live inbound connection in a node proxy's config dump, if any. */
async function liveConnection(node: string): Promise<LiveConnection | undefined> {
  const all = await liveConnections(c.cluster.layout, node);
  return all.find((x) => x.sourceWorkload === "demo/far-client" && x.direction === "inbound");
}
