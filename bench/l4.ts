/**
 * L4 benchmark (`npm run bench -- l4`): client pod on node-1 -> server pod on node-2, in one run:
 *
 *   direct   no mesh: the pods talk straight over the node routes
 *   stunnel  two-hop mTLS: stunnel client end in node-1's namespace, server end in node-2's
 *   haproxy  two-hop mTLS, same placement (TCP mode)
 *   ambit    the pods in an ambient namespace: captured by the node rules, HBONE between ztunnels
 *
 * Each row: iperf3 single-stream throughput, wrk requests/s and p50/p99 at 1 and at 32
 * connections against a tiny HTTP server (the same one for every row), CPU seconds of the proxy
 * processes per 1000 requests, and their peak RSS. Prints a table and the targets as
 * ratios (PASS/MISS), writes bench/results/l4.json. Needs root; installs its tools
 * (scripts/bench-deps.sh). Everything runs inside network namespaces this bench creates, every
 * load is bounded in time, and the namespaces and processes are removed at the end, also on
 * failure or Ctrl-C. docs/benchmarks.md explains how to read the result.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { createLogger } from "../src/common/log.js";
import type { LocalCluster } from "../src/local/cluster.js";
import { localLayout } from "../src/local/layout.js";
import { readRecord } from "../src/local/record.js";
import { destroyAll } from "../src/node/leftovers.js";
import { makeCerts } from "./l4/anchors.js";
import { IPERF_PORT, loadClusterModule, startTopology, type BenchTopology } from "./l4/cluster.js";
import { measure, type MeasureOptions } from "./l4/measure.js";
import { ProcessSet, waitListening } from "./l4/procs.js";
import {
  medianRow,
  table,
  targetLines,
  checkTargets,
  writeResults,
  type Row,
  type RowName,
} from "./l4/report.js";
import { startTargets } from "./l4/targets.js";

const say = (line: string) => process.stderr.write(`[l4] ${line}\n`);

const ALL_ROWS: RowName[] = ["direct", "stunnel", "haproxy", "ambit"];

/** Knobs, all optional (docs/benchmarks.md): run length, a subset of rows, CPU profiles. */
function options() {
  const env = process.env;
  const seconds = Number(env.AMBIT_BENCH_L4_SECONDS ?? 5);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60)
    throw new Error("AMBIT_BENCH_L4_SECONDS must be a whole number of seconds from 1 to 60");
  const rounds = Number(env.AMBIT_BENCH_L4_ROUNDS ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 9)
    throw new Error("AMBIT_BENCH_L4_ROUNDS must be a whole number from 1 to 9");
  const rows = (env.AMBIT_BENCH_L4_ROWS ?? ALL_ROWS.join(",")).split(",").map((r) => r.trim());
  const bad = rows.filter((r) => !ALL_ROWS.includes(r as RowName));
  if (bad.length > 0) throw new Error(`AMBIT_BENCH_L4_ROWS: unknown row(s) ${bad.join(", ")}`);
  const profile = env.AMBIT_BENCH_L4_PROFILE ? resolve(env.AMBIT_BENCH_L4_PROFILE) : undefined;
  const v8Flags = env.AMBIT_BENCH_L4_V8_FLAGS?.trim() || undefined;
  return { seconds, rounds, rows: rows as RowName[], profile, v8Flags };
}

/**
 * Node proxy instrumentation, only when asked for (docs/benchmarks.md): Node processes started
 * from now on get `--import ztunnel-preload.mjs` in NODE_OPTIONS, which in `ambit ztunnel`
 * processes sets AMBIT_BENCH_L4_V8_FLAGS and, with AMBIT_BENCH_L4_PROFILE=DIR, profiles between
 * SIGUSR2s. The returned hook sends those around each measured run of the Ambit row.
 */
function instrumentZtunnels(
  profile: string | undefined,
  v8Flags: string | undefined,
  ztunnelPids: () => number[],
): MeasureOptions["phase"] {
  if (!profile && !v8Flags) return undefined;
  const preload = pathToFileURL(join(import.meta.dirname, "l4", "ztunnel-preload.mjs")).href;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --import ${preload}`.trim();
  if (!profile) return undefined;
  mkdirSync(profile, { recursive: true });
  process.env.AMBIT_BENCH_L4_PROFILE = profile;
  return () => {
    for (const pid of ztunnelPids()) {
      // Only a process that loaded the preload has a SIGUSR2 handler (without one it would die).
      if (readFileSync(`/proc/${pid}/environ`, "utf8").includes("ztunnel-preload.mjs"))
        process.kill(pid, "SIGUSR2");
    }
  };
}

export async function run(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the L4 bench creates network namespaces: run it as root");
  const { seconds, rounds, rows: wanted, profile, v8Flags } = options();
  const deps = spawnSync("bash", [join(import.meta.dirname, "..", "scripts", "bench-deps.sh")], {
    stdio: "inherit",
    timeout: 300_000,
  });
  if (deps.status !== 0) throw new Error("scripts/bench-deps.sh failed");

  const work = mkdtempSync(join(tmpdir(), "ambit-bench-l4-"));
  const stateDir = join(work, "state");
  const procs = new ProcessSet();
  let cluster: LocalCluster | undefined;
  let cleaning: Promise<void> | undefined;
  let failed = true;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await procs.stopAll();
      await cluster?.close().catch((e: unknown) => say(`closing the cluster: ${String(e)}`));
      // The record is written before the cluster creates anything, so a failure half-way
      // through start-up still names the prefix to remove.
      const prefix = cluster?.prefix ?? readRecord(localLayout(stateDir).record)?.prefix;
      if (prefix) await destroyAll(prefix);
      if (failed) say(`logs and state kept in ${work}`);
      else rmSync(work, { recursive: true, force: true });
    })());
  const onSignal = (sig: NodeJS.Signals) => {
    say(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  // The whole bench is bounded: compile + start-up + 4 rows of (iperf3 + 2 wrk) with margins.
  const budgetS = Number(process.env.AMBIT_BENCH_L4_BUDGET_S ?? 360 + rounds * (60 + 16 * seconds));
  const budget = setTimeout(() => {
    say(`the bench ran past its ${budgetS} s budget (AMBIT_BENCH_L4_BUDGET_S): stopping`);
    void cleanup().finally(() => process.exit(1));
  }, budgetS * 1000);

  const load0 = loadavg()[0]!;
  try {
    const mod = await loadClusterModule(say);
    mkdirSync(join(work, "certs"));
    const certs = makeCerts(join(work, "certs"));
    const started: { topo?: BenchTopology } = {};
    const phase = instrumentZtunnels(profile, v8Flags, () => started.topo?.ztunnelPids() ?? []);
    say("starting a 2-node local cluster");
    const topo = await startTopology(mod, { stateDir, log: createLogger("bench-l4") }, (c) => (cluster = c));
    started.topo = topo;
    say(`cluster ${topo.cluster.prefix} ready`);
    for (const s of [topo.plain.server, topo.mesh.server]) {
      procs.start(s.netns, ["iperf3", "-s", "-p", String(IPERF_PORT)], join(work, "iperf3.log"));
      await waitListening(s.netns, IPERF_PORT);
    }
    const targets = await startTargets({ topo, work, certs, procs }, wanted);
    // Rounds run the rows in turn, so a burst of other work on the machine hits one row's run,
    // not a whole row; each metric is the median of its rounds (docs/benchmarks.md).
    const runs = new Map<RowName, Row[]>(targets.map((t) => [t.name, []]));
    for (let r = 1; r <= rounds; r++) {
      if (rounds > 1) say(`round ${r} of ${rounds}`);
      for (const t of targets) {
        const hooks = t.name === "ambit" && phase ? { phase } : {};
        runs.get(t.name)!.push(await measure(t, { seconds, say, ...hooks }));
      }
    }
    const rows = [...runs.values()].map(medianRow);

    const cpu = cpus();
    process.stdout.write(
      `\nL4 bench, ${new Date().toISOString()}, ${cpu.length} x ${cpu[0]?.model ?? "?"}, ` +
        `${seconds} s per run, ${rounds} round(s), ` +
        `load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)} (other work on the machine skews absolute numbers)\n\n`,
    );
    process.stdout.write(`${table(rows)}\n`);
    if (v8Flags) process.stdout.write(`node proxies ran with V8 flags: ${v8Flags}\n`);
    if (rows.length === ALL_ROWS.length)
      process.stdout.write(`\ntargets (issue 3):\n${targetLines(checkTargets(rows))}\n`);
    // Only a full, plain run (Ambit as it ships) is recorded.
    if (rows.length === ALL_ROWS.length && !profile && !v8Flags)
      process.stdout.write(`wrote ${writeResults(rows)}\n`);
    else
      process.stdout.write("(partial, profiled or V8-flagged run: bench/results/l4.json left as it was)\n");
    if (profile) {
      await sleep(1_000); // the last profiles are written asynchronously
      process.stdout.write(`CPU profiles in ${profile} (npx tsx bench/l4/profile-summary.ts FILE)\n`);
    }
    failed = false;
  } finally {
    clearTimeout(budget);
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
