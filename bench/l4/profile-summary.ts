/**
 * Summarises V8 .cpuprofile files (from AMBIT_BENCH_L4_PROFILE): where a node proxy's CPU goes,
 * by self time per function and grouped into the layers of the data path.
 *
 *   npx tsx bench/l4/profile-summary.ts FILE.cpuprofile [...] [--top N]
 *
 * Native work (OpenSSL, syscalls, nghttp2) shows as the JS function that called into it — e.g.
 * `writev`/`writeBuffer` (socket writes, TLS encryption), `onStreamRead` (reads, decryption,
 * HTTP/2 parsing); "(garbage collector)" and "(program)" are V8 and native time outside JS.
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** Layer of a frame, from its script URL (first match wins). */
const LAYERS: Array<[RegExp, string]> = [
  [/\/ztunnel\/relay\./, "ambit relay"],
  [/\/ztunnel\/hbone\//, "ambit hbone"],
  [/\/ztunnel\//, "ambit ztunnel (other)"],
  [/\/src\/|\/dist\//, "ambit (other)"],
  [/node:internal\/http2|node:http2/, "node http2"],
  [/node:_tls|node:tls|internal\/tls/, "node tls"],
  [/node:net|internal\/stream_base_commons|node:internal\/net/, "node net"],
  [/internal\/streams|node:stream/, "node streams"],
  [/node:events|internal\/event_target/, "node events"],
  [/node:internal\/(timers|process\/task_queues)/, "node timers/ticks"],
  [/pino|node_modules/, "libraries"],
  [/^node:/, "node (other)"],
];

function layer(f: CallFrame): string {
  if (f.url === "") return f.functionName.startsWith("(") ? f.functionName : "native/builtin";
  for (const [re, name] of LAYERS) if (re.test(f.url)) return name;
  return "other";
}

function summarise(file: string, top: number): string {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const total = p.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
  const ms = (p.endTime - p.startTime) / 1000;
  const byFn = new Map<string, number>(); // "name url:line" -> self samples
  const byLayer = new Map<string, number>(); // layer -> self samples
  for (const n of p.nodes) {
    const h = n.hitCount ?? 0;
    if (h === 0) continue;
    const f = n.callFrame;
    const where = f.url
      ? ` ${f.url.replace(/^.*\/(src|dist|node_modules)\//, "$1/")}:${f.lineNumber + 1}`
      : "";
    const key = `${f.functionName || "(anonymous)"}${where}`;
    byFn.set(key, (byFn.get(key) ?? 0) + h);
    byLayer.set(layer(f), (byLayer.get(layer(f)) ?? 0) + h);
  }
  const idle = byLayer.get("(idle)") ?? 0;
  const pct = (v: number) => `${((100 * v) / total).toFixed(1).padStart(5)}%`;
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  const lines = [
    `${file}: ${ms.toFixed(0)} ms, ${total} samples, busy ${pct(total - idle)}`,
    "  by layer (self time):",
    ...sorted(byLayer).map(([k, v]) => `    ${pct(v)}  ${k}`),
    `  top ${top} functions (self time):`,
    ...sorted(byFn)
      .slice(0, top)
      .map(([k, v]) => `    ${pct(v)}  ${k}`),
  ];
  return lines.join("\n");
}

const args = process.argv.slice(2);
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const files = args.filter((a, i) => !a.startsWith("--") && (topAt < 0 || i !== topAt + 1));
if (files.length === 0) {
  process.stderr.write("usage: npx tsx bench/l4/profile-summary.ts FILE.cpuprofile [...] [--top N]\n");
  process.exit(2);
}
for (const f of files) process.stdout.write(`${summarise(f, top)}\n\n`);
