/**
 * Reading what wrk and iperf3 print (pure, tested in parse.test.ts).
 *
 * wrk --latency prints (wrk's README and src/wrk.c):
 *     Latency Distribution
 *        50%  108.00us
 *        99%    1.20ms
 *     41234 requests in 5.00s, 3.12MB read
 *     Socket errors: connect 0, read 1, write 0, timeout 0     (only when there were any)
 *     Non-2xx or 3xx responses: 5                              (only when there were any)
 *   Requests/sec:   8246.80
 * iperf3 -J prints one JSON document; a client's result is end.sum_received (what the server
 * got), and a failure is a top-level "error" string.
 */

export interface WrkResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors (connect/read/write/timeout) plus non-2xx/3xx responses. */
  errors: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** "108.00us" | "1.20ms" | "2.00s" -> milliseconds. */
export function durationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`not a wrk duration: "${text}"`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export function parseWrk(out: string): WrkResult {
  const pct = (p: number): number => {
    const m = new RegExp(`^\\s*${p}(?:\\.0+)?%\\s+(\\S+)`, "m").exec(out);
    if (!m) throw new Error(`wrk printed no ${p}% latency (was --latency given?):\n${out}`);
    return durationMs(m[1]!);
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const total = /^\s*(\d+) requests in /m.exec(out);
  if (!rps || !total) throw new Error(`wrk printed no result:\n${out}`);
  let errors = 0;
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (sock) errors += sock.slice(1).reduce((a, b) => a + Number(b), 0);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) errors += Number(non2xx[1]);
  return { requests: Number(total[1]), rps: Number(rps[1]), p50Ms: pct(50), p99Ms: pct(99), errors };
}

/** Bits per second the iperf3 server received, from the client's `-J` output. */
export function parseIperf3(json: string): number {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new Error(`iperf3 printed no JSON:\n${json.slice(0, 500)}`);
  }
  const d = doc as { error?: string; end?: { sum_received?: { bits_per_second?: number } } };
  if (d.error) throw new Error(`iperf3: ${d.error}`);
  const bps = d.end?.sum_received?.bits_per_second;
  if (typeof bps !== "number") throw new Error("iperf3's result has no end.sum_received.bits_per_second");
  return bps;
}
