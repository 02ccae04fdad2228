/**
 * One row of the L4 bench: from the client pod's namespace, a sanity request, a short warm-up,
 * iperf3 single-stream throughput, then wrk at 1 and at 32 connections; meanwhile the proxies'
 * CPU time (/proc/<pid>/stat) and peak RSS (/proc/<pid>/status) are read.
 */
import { parseIperf3, parseWrk, type WrkResult } from "./parse.js";
import { cpuSeconds, runIn, sampleRss } from "./procs.js";
import type { Row, RowName } from "./report.js";

export interface Target {
  name: RowName;
  /** Where wrk and iperf3 run: the client pod's network namespace. */
  clientNetns: string;
  /** HTTP URL of the server pod's tiny server, as this row reaches it. */
  url: string;
  iperfHost: string;
  iperfPort: number;
  /** The proxy processes whose CPU and memory this row charges (none for direct). */
  proxyPids(): number[];
}

export type Phase = "iperf3" | "wrk-c1" | "wrk-c32";

export interface MeasureOptions {
  /** Length of each iperf3 and wrk run, in seconds. */
  seconds: number;
  say(line: string): void;
  /** Called right before and right after each measured run (profiling hooks in). */
  phase?(phase: Phase, edge: "start" | "end"): void;
}

const margin = (seconds: number) => (seconds + 15) * 1000;

async function wrk(t: Target, connections: number, seconds: number): Promise<WrkResult> {
  const threads = Math.min(2, connections);
  const argv = ["wrk", `-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--timeout", "2s", "--latency"];
  const r = await runIn(t.clientNetns, [...argv, t.url], margin(seconds));
  if (r.code !== 0)
    throw new Error(`${t.name}: wrk -c${connections} failed (${r.code}): ${r.stderr || r.stdout}`);
  const w = parseWrk(r.stdout);
  if (w.requests === 0) throw new Error(`${t.name}: wrk -c${connections} completed no request:\n${r.stdout}`);
  if (w.errors > 0) throw new Error(`${t.name}: wrk -c${connections} saw ${w.errors} errors:\n${r.stdout}`);
  return w;
}

async function iperf(t: Target, seconds: number): Promise<number> {
  // -O 1: the first second (slow start, a cold JIT) is run but not counted.
  const argv = ["iperf3", "-c", t.iperfHost, "-p", String(t.iperfPort), "-t", String(seconds), "-O", "1"];
  const r = await runIn(t.clientNetns, [...argv, "-J", "--connect-timeout", "5000"], margin(seconds + 1));
  return parseIperf3(r.stdout);
}

export async function measure(t: Target, opts: MeasureOptions): Promise<Row> {
  const { seconds, say } = opts;
  const probe = await runIn(t.clientNetns, ["curl", "-sS", "-m", "10", t.url], 15_000);
  if (probe.code !== 0 || probe.stdout !== "ok\n")
    throw new Error(`${t.name}: ${t.url} from the client pod failed: ${probe.stderr || probe.stdout}`);
  say(`${t.name}: warm-up`);
  await runIn(t.clientNetns, ["wrk", "-t1", "-c8", "-d1s", t.url], margin(1));

  const rss = sampleRss(() => t.proxyPids());
  try {
    const step = async <T>(phase: Phase, f: () => Promise<T>): Promise<T> => {
      say(`${t.name}: ${phase} ${seconds}s`);
      opts.phase?.(phase, "start");
      try {
        return await f();
      } finally {
        opts.phase?.(phase, "end");
      }
    };
    const bps = await step("iperf3", () => iperf(t, seconds));
    const cpu = () => t.proxyPids().reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const cpu0 = cpu();
    const c1 = await step("wrk-c1", () => wrk(t, 1, seconds));
    const c32 = await step("wrk-c32", () => wrk(t, 32, seconds));
    const cpuUsed = cpu() - cpu0;
    return {
      name: t.name,
      throughput_gbps: bps / 1e9,
      rps_c1: c1.rps,
      p50_ms_c1: c1.p50Ms,
      p99_ms_c1: c1.p99Ms,
      rps_c32: c32.rps,
      p50_ms_c32: c32.p50Ms,
      p99_ms_c32: c32.p99Ms,
      // No proxy (direct): nothing sums, both are 0.
      cpu_s_per_1k_req: (cpuUsed / (c1.requests + c32.requests)) * 1000,
      rss_mb: rss.stop(),
    };
  } finally {
    rss.stop();
  }
}
