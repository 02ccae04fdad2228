/**
 * The L4 bench's output: the table, the targets of issue 3 as ratios against the anchors, and
 * bench/results/l4.json (pure apart from writeResults).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { median } from "../median.js";

export type RowName = "direct" | "stunnel" | "haproxy" | "ambit";

/** One row of bench/results/l4.json; the field names are the file's format. */
export interface Row {
  name: RowName;
  throughput_gbps: number;
  rps_c1: number;
  p50_ms_c1: number;
  p99_ms_c1: number;
  rps_c32: number;
  p50_ms_c32: number;
  p99_ms_c32: number;
  cpu_s_per_1k_req: number;
  rss_mb: number;
}

const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/** The row as written: rates to integers, times to microseconds, sizes to 0.1 MB. */
export function rounded(r: Row): Row {
  return {
    name: r.name,
    throughput_gbps: round(r.throughput_gbps, 3),
    rps_c1: Math.round(r.rps_c1),
    p50_ms_c1: round(r.p50_ms_c1, 3),
    p99_ms_c1: round(r.p99_ms_c1, 3),
    rps_c32: Math.round(r.rps_c32),
    p50_ms_c32: round(r.p50_ms_c32, 3),
    p99_ms_c32: round(r.p99_ms_c32, 3),
    cpu_s_per_1k_req: round(r.cpu_s_per_1k_req, 4),
    rss_mb: round(r.rss_mb, 1),
  };
}

/**
 * One row from several rounds of the same target: the median of each metric (the lower middle
 * for an even count), except memory, which is the largest seen.
 */
export function medianRow(runs: readonly Row[]): Row {
  if (runs.length === 0) throw new Error("no runs to merge");
  const med = (k: Exclude<keyof Row, "name">) => median(runs.map((r) => r[k]));
  return {
    name: runs[0]!.name,
    throughput_gbps: med("throughput_gbps"),
    rps_c1: med("rps_c1"),
    p50_ms_c1: med("p50_ms_c1"),
    p99_ms_c1: med("p99_ms_c1"),
    rps_c32: med("rps_c32"),
    p50_ms_c32: med("p50_ms_c32"),
    p99_ms_c32: med("p99_ms_c32"),
    cpu_s_per_1k_req: med("cpu_s_per_1k_req"),
    rss_mb: Math.max(...runs.map((r) => r.rss_mb)),
  };
}

const COLUMNS: Array<[keyof Row, string]> = [
  ["name", "row"],
  ["throughput_gbps", "Gbit/s"],
  ["rps_c1", "rps c1"],
  ["p50_ms_c1", "p50 c1 ms"],
  ["p99_ms_c1", "p99 c1 ms"],
  ["rps_c32", "rps c32"],
  ["p50_ms_c32", "p50 c32 ms"],
  ["p99_ms_c32", "p99 c32 ms"],
  ["cpu_s_per_1k_req", "CPU s/1k req"],
  ["rss_mb", "RSS MB"],
];

/** A Markdown table (readable in a terminal, pasteable into docs/benchmarks.md). */
export function table(rows: readonly Row[]): string {
  const cells = rows.map((r) => COLUMNS.map(([k]) => String(rounded(r)[k])));
  const head = COLUMNS.map(([, h]) => h);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    `| ${c.map((v, i) => (i === 0 ? v.padEnd(width[i]!) : v.padStart(width[i]!))).join(" | ")} |`;
  const rule = `|${width.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(head), rule, ...cells.map(line)].join("\n");
}

export interface Target {
  what: string;
  /** The measured ratio. */
  value: number;
  /** Human-readable comparison, e.g. ">= 1.0". */
  want: string;
  pass: boolean;
  detail: string;
}

/**
 * Issue 3's targets: throughput >= 1.0x stunnel two-hop; requests/s at 32 connections >= 1.0x
 * HAProxy two-hop; added p50 at 1 connection (ambit - direct) <= 1.2x the same for stunnel.
 */
export function checkTargets(rows: readonly Row[]): Target[] {
  const get = (n: RowName) => {
    const r = rows.find((x) => x.name === n);
    if (!r) throw new Error(`no ${n} row`);
    return r;
  };
  const [direct, stunnel, haproxy, ambit] = [get("direct"), get("stunnel"), get("haproxy"), get("ambit")];
  const tput = ambit.throughput_gbps / stunnel.throughput_gbps;
  const rps = ambit.rps_c32 / haproxy.rps_c32;
  const ambitAdded = ambit.p50_ms_c1 - direct.p50_ms_c1;
  const stunnelAdded = stunnel.p50_ms_c1 - direct.p50_ms_c1;
  const ms = (v: number) => `${round(v, 3)} ms`;
  return [
    {
      what: "throughput ambit/stunnel",
      value: tput,
      want: ">= 1.0",
      pass: tput >= 1.0,
      detail: `${round(ambit.throughput_gbps, 3)} vs ${round(stunnel.throughput_gbps, 3)} Gbit/s`,
    },
    {
      what: "rps c32 ambit/haproxy",
      value: rps,
      want: ">= 1.0",
      pass: rps >= 1.0,
      detail: `${Math.round(ambit.rps_c32)} vs ${Math.round(haproxy.rps_c32)} req/s`,
    },
    {
      what: "added p50 c1 ambit/stunnel",
      // Compared as ambitAdded <= 1.2 x stunnelAdded, which stays meaningful when noise makes
      // stunnel's added latency ~0 (the ratio then explodes but the comparison does not lie).
      value: stunnelAdded > 0 ? ambitAdded / stunnelAdded : Number.POSITIVE_INFINITY,
      want: "<= 1.2",
      // wrk prints whole microseconds; the epsilon keeps float noise from deciding a tie.
      pass: ambitAdded <= 1.2 * stunnelAdded + 1e-9,
      detail: `+${ms(ambitAdded)} vs +${ms(stunnelAdded)} over direct ${ms(direct.p50_ms_c1)}`,
    },
  ];
}

export function targetLines(ts: readonly Target[]): string {
  return ts
    .map(
      (t) =>
        `  ${t.what.padEnd(28)} ${(Number.isFinite(t.value) ? t.value.toFixed(2) : "inf").padStart(6)}  ` +
        `target ${t.want.padEnd(7)} ${t.pass ? "PASS" : "MISS"}   (${t.detail})`,
    )
    .join("\n");
}

/** Writes bench/results/l4.json as {"rows":[...]} and returns its path. */
export function writeResults(rows: readonly Row[]): string {
  const dir = join(import.meta.dirname, "..", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "l4.json");
  writeFileSync(file, `${JSON.stringify({ rows: rows.map(rounded) }, null, 2)}\n`);
  return file;
}
