/**
 * The L4 bench's topology: one Ambit local cluster of two nodes (src/local/cluster.ts) holding
 * two copies of the same pair of pods — client on node-1, server on node-2:
 *
 *   l4-plain  not enrolled: the direct, stunnel and HAProxy rows use these pods
 *   l4-mesh   istio.io/dataplane-mode=ambient: the Ambit row (captured, HBONE between ztunnels)
 *
 * So every row crosses the same fabric, node routes and veths. The server pods run
 * http-server.mjs on 8080; the client pods sleep and the bench runs wrk/iperf3 in them.
 *
 * Ambit runs compiled to JavaScript, as installed (`ambit` runs dist/): the bench compiles
 * src/ with its own tsconfig into node_modules/.cache/ambit-bench-l4 and loads the local cluster
 * from there, so the node proxies it spawns are plain `node .../cli/main.js ztunnel` processes.
 * Under tsx they would also carry the TypeScript loader's thread and heap (tens of MB of RSS
 * that are not the proxy's). AMBIT_BENCH_L4_CODE=ts runs the sources through tsx instead.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as ClusterModule from "../../src/local/cluster.js";
import { pidsInNetns } from "../../src/node/netns.js";
import { readRecord } from "../../src/local/record.js";
import type { LocalCluster } from "../../src/local/cluster.js";

const REPO = join(import.meta.dirname, "..", "..");
const BUILD = join(REPO, "node_modules", ".cache", "ambit-bench-l4");

export const APP_PORT = 8080;
export const IPERF_PORT = 5201;

export interface PodAddr {
  netns: string;
  ip: string;
}

export interface BenchTopology {
  cluster: LocalCluster;
  node1: { netns: string; ip: string };
  node2: { netns: string; ip: string };
  plain: { client: PodAddr; server: PodAddr };
  mesh: { client: PodAddr; server: PodAddr };
  /** PIDs of the node proxies (`ambit ztunnel`) of both nodes. */
  ztunnelPids(): number[];
}

/** Loads startLocalCluster, compiled (default) or from the sources. */
export async function loadClusterModule(say: (s: string) => void): Promise<typeof ClusterModule> {
  if (process.env.AMBIT_BENCH_L4_CODE === "ts") return import("../../src/local/cluster.js");
  say("compiling Ambit (bench/l4/tsconfig.json)...");
  rmSync(BUILD, { recursive: true, force: true });
  const tsc = join(REPO, "node_modules", "typescript", "bin", "tsc");
  // Type errors elsewhere in a work-in-progress tree do not stop tsc from emitting.
  spawnSync(process.execPath, [tsc, "-p", join(import.meta.dirname, "tsconfig.json")], {
    stdio: "ignore",
    timeout: 180_000,
  });
  const entry = join(BUILD, "src", "local", "cluster.js");
  if (!existsSync(join(BUILD, "src", "cli", "main.js")) || !existsSync(entry))
    throw new Error(`tsc did not produce ${entry}`);
  // The compiled code finds proto/, package.json and the native addon relative to itself.
  for (const f of ["proto", "package.json", "native"]) symlinkSync(join(REPO, f), join(BUILD, f));
  return (await import(pathToFileURL(entry).href)) as typeof ClusterModule;
}

function podsYaml(): string {
  const server = [process.execPath, join(import.meta.dirname, "http-server.mjs"), String(APP_PORT)];
  const docs = [
    `apiVersion: v1\nkind: Namespace\nmetadata: {name: l4-plain}`,
    `apiVersion: v1\nkind: Namespace\nmetadata: {name: l4-mesh, labels: {istio.io/dataplane-mode: ambient}}`,
  ];
  for (const ns of ["l4-plain", "l4-mesh"]) {
    docs.push(
      `apiVersion: v1\nkind: Pod\nmetadata: {name: client, namespace: ${ns}, labels: {app: l4-client}}\n` +
        `spec:\n  nodeName: node-1\n  containers: [{name: client, image: curlimages/curl, command: ["/bin/sleep", "infinity"]}]`,
      `apiVersion: v1\nkind: Pod\nmetadata: {name: server, namespace: ${ns}, labels: {app: l4-server}}\n` +
        `spec:\n  nodeName: node-2\n  containers: [{name: server, image: node, command: ${JSON.stringify(server)}, ports: [{containerPort: ${APP_PORT}}]}]`,
    );
  }
  return docs.join("\n---\n");
}

/** Processes in these namespaces with `arg` among their arguments. */
function pidsWithArg(netns: readonly string[], arg: (a: string) => boolean): number[] {
  const out: number[] = [];
  for (const pids of pidsInNetns(netns).values())
    for (const pid of pids) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").some(arg)) out.push(pid);
      } catch {
        // exited meanwhile
      }
    }
  return out;
}

export async function startTopology(
  mod: typeof ClusterModule,
  opts: Pick<ClusterModule.LocalClusterOptions, "stateDir" | "log">,
  onStarted: (c: LocalCluster) => void,
): Promise<BenchTopology> {
  const cluster = await mod.startLocalCluster({
    ...opts,
    // Ephemeral ports: another cluster (`ambit up`, a test) may hold 15012/15014. The node
    // proxies reach the control plane over its Unix socket anyway.
    grpcPort: 0,
    debugPort: 0,
    nodes: 2,
    inputs: [{ name: "l4-bench.yaml", text: podsYaml() }],
  });
  onStarted(cluster);
  const status = await cluster.waitReady(90_000);
  if (!status.ready)
    throw new Error(`the bench cluster did not become ready in 90 s: ${JSON.stringify(status, null, 2)}`);
  const rec = readRecord(cluster.layout.record);
  if (!rec) throw new Error(`no cluster record at ${cluster.layout.record}`);
  const pod = (key: string): PodAddr => {
    const p = rec.pods[key];
    if (!p) throw new Error(`pod ${key} is not in the cluster record`);
    return { netns: p.netns, ip: p.ip };
  };
  const node = (name: string) => {
    const n = rec.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`node ${name} is not in the cluster record`);
    return { netns: n.netns, ip: n.address };
  };
  const node1 = node("node-1");
  const node2 = node("node-2");
  return {
    cluster,
    node1,
    node2,
    plain: { client: pod("l4-plain/client"), server: pod("l4-plain/server") },
    mesh: { client: pod("l4-mesh/client"), server: pod("l4-mesh/server") },
    // Anything else in the node namespaces is the bench's own (anchors).
    ztunnelPids: () => pidsWithArg([node1.netns, node2.netns], (a) => a === "ztunnel"),
  };
}
