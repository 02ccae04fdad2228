/**
 * A local-mode cluster for one test file, started in-process with startLocalCluster (as `ambit up`
 * does) in a temporary state directory, with ports 0 so files running in parallel never clash.
 * The `ambit` CLI reaches it through that state directory (the record names this process as the
 * supervisor). `close()` stops it and checks that nothing with its prefix is left.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../../src/common/log.js";
import { startLocalCluster, type LocalCluster } from "../../../src/local/cluster.js";
import type { ClusterRecord, PodStatusRecord, StatusRecord } from "../../../src/local/record.js";
import { ambit, waitFor, type Done } from "./proc.js";

export const REPO = new URL("../../../", import.meta.url).pathname;

export interface TestCluster {
  cluster: LocalCluster;
  stateDir: string;
  prefix: string;
  record(): ClusterRecord;
  /** The pod whose name is `name` or starts with `name-` (a Deployment's pod), from the live status. */
  pod(namespace: string, name: string): Promise<PodStatusRecord>;
  netns(namespace: string, podName: string): string;
  /** `ambit ARGS` against this cluster. */
  cli(args: readonly string[], input?: string): Promise<Done>;
  /** `ambit apply -f -` with `yaml`, then waits until the pods named ("ns/name") run and all are ready. */
  apply(yaml: string, pods?: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Network namespaces and /etc/netns entries on this machine that carry `prefix`. */
export function leftoversOf(prefix: string): string[] {
  const names = [
    ...safeList("/run/netns").map((n) => `/run/netns/${n}`),
    ...safeList("/etc/netns").map((n) => `/etc/netns/${n}`),
  ];
  return names.filter((n) => n.split("/").pop()!.startsWith(`${prefix}-`));
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function podByName(s: StatusRecord, namespace: string, name: string): PodStatusRecord | undefined {
  return s.pods.find((p) => p.namespace === namespace && (p.name === name || p.name.startsWith(`${name}-`)));
}

export async function startTestCluster(opts: {
  inputs: Array<{ name: string; text: string }>;
  nodes?: number;
}): Promise<TestCluster> {
  const stateDir = mkdtempSync(join(tmpdir(), "ambit-local-test-"));
  let cluster: LocalCluster;
  try {
    cluster = await startLocalCluster({
      stateDir,
      nodes: opts.nodes ?? 2,
      inputs: opts.inputs,
      grpcPort: 0,
      debugPort: 0,
      log: createLogger("local-test"),
    });
  } catch (e) {
    rmSync(stateDir, { recursive: true, force: true });
    throw e;
  }
  const record = () => JSON.parse(readFileSync(cluster.layout.record, "utf8")) as ClusterRecord;
  const cli = (args: readonly string[], input?: string) =>
    ambit(stateDir, args, input === undefined ? {} : { input });
  const waitAllReady = async () => {
    const s = await cluster.waitReady(30_000);
    if (!s.ready) throw new Error(`cluster not ready: ${JSON.stringify(s, null, 1)}`);
  };
  const t: TestCluster = {
    cluster,
    stateDir,
    prefix: cluster.prefix,
    record,
    cli,
    pod: (namespace, name) =>
      waitFor(`pod ${namespace}/${name}`, async () => podByName(await cluster.status(), namespace, name)),
    netns: (namespace, podName) => {
      const p = record().pods[`${namespace}/${podName}`];
      if (!p) throw new Error(`no pod ${namespace}/${podName} in the cluster record`);
      return p.netns;
    },
    apply: async (yaml, pods = []) => {
      const r = await cli(["apply", "-f", "-"], yaml);
      if (r.status !== 0) throw new Error(`ambit apply failed (${r.status}): ${r.stdout}${r.stderr}`);
      // The change is reconciled asynchronously: wait until the status lists the new pods.
      for (const key of pods) {
        const [ns, name] = key.split("/") as [string, string];
        await t.pod(ns, name);
      }
      await waitAllReady();
    },
    close: async () => {
      try {
        await cluster.close();
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
      const left = leftoversOf(cluster.prefix);
      if (left.length > 0) throw new Error(`left behind by ${cluster.prefix}: ${left.join(", ")}`);
    },
  };
  try {
    await waitAllReady();
  } catch (e) {
    await t.close().catch(() => undefined);
    throw e;
  }
  return t;
}

export function readRepoFile(rel: string): string {
  return readFileSync(join(REPO, rel), "utf8");
}

export function demoInputs(): Array<{ name: string; text: string }> {
  const dir = join(REPO, "examples/demo");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({ name: join(dir, f), text: readFileSync(join(dir, f), "utf8") }));
}
