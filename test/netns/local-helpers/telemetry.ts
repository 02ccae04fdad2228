/**
 * What a user reads off a node proxy: its Prometheus metrics (admin socket, /stats/prometheus)
 * and its access log (one JSON line per connection in <state>/local/nodes/<node>/ztunnel.log).
 */
import { readFileSync } from "node:fs";
import type { LocalLayout } from "../../../src/local/layout.js";
import { unixGet } from "../../../src/local/unix-http.js";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (the subset prom-client writes). Pure. */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export async function scrape(layout: LocalLayout, node: string): Promise<Sample[]> {
  const res = await unixGet(layout.node(node).adminSocket, "/stats/prometheus", 5_000);
  if (res.status !== 200) throw new Error(`/stats/prometheus on ${node}: HTTP ${res.status}`);
  return parsePrometheus(res.body);
}

/** Sum of the samples of `name` whose labels include every pair of `match`. */
export function total(samples: readonly Sample[], name: string, match: Record<string, string>): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

export type AccessLine = Record<string, string | number | undefined>;

/** The access-log lines of a node proxy so far (`part: "access"`), in order. */
export function accessLog(layout: LocalLayout, node: string): AccessLine[] {
  let text = "";
  try {
    text = readFileSync(layout.node(node).log, "utf8");
  } catch {
    return [];
  }
  const out: AccessLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const o = JSON.parse(line) as AccessLine;
      if (o.part === "access") out.push(o);
    } catch {
      // a line being written right now
    }
  }
  return out;
}
