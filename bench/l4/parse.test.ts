/**
 * The L4 bench's readers of wrk/iperf3 output and its target arithmetic. `npm test` runs them
 * (scripts/test.mjs collects bench/ too); alone: `node scripts/test.mjs bench/l4`.
 */
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { describe, it } from "node:test";
import { durationMs, parseIperf3, parseWrk } from "./parse.js";
import { checkTargets, medianRow, rounded, table, type Row } from "./report.js";

const WRK_OK = `Running 5s test @ http://10.244.2.3:8080/
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   745.93us  145.46us   3.27ms   92.01%
    Req/Sec     1.23k    77.04     1.29k    90.91%
  Latency Distribution
     50%  735.00us
     75%  809.00us
     90%    0.85ms
     99%    1.11ms
  1348 requests in 1.10s, 4.38MB read
Requests/sec:   1225.49
Transfer/sec:      3.98MB
`;

describe("wrk output", () => {
  it("reads requests, rate and the 50th/99th percentiles in milliseconds", () => {
    deepStrictEqual(parseWrk(WRK_OK), { requests: 1348, rps: 1225.49, p50Ms: 0.735, p99Ms: 1.11, errors: 0 });
  });

  it("counts socket errors and non-2xx/3xx responses", () => {
    const out = WRK_OK.replace(
      "Requests/sec",
      "  Socket errors: connect 0, read 1613, write 2, timeout 3\n  Non-2xx or 3xx responses: 5\nRequests/sec",
    );
    strictEqual(parseWrk(out).errors, 1623);
  });

  it("refuses output without the latency distribution", () => {
    throws(() => parseWrk(WRK_OK.replace(/ {5}50%.*\n/, "")), /no 50% latency/);
  });

  it("converts each unit wrk prints", () => {
    deepStrictEqual(["12.00us", "1.50ms", "2.00s", "1.00m"].map(durationMs), [0.012, 1.5, 2000, 60000]);
    throws(() => durationMs("12 parsecs"), /not a wrk duration/);
  });
});

describe("iperf3 -J output", () => {
  it("takes what the server received", () => {
    const doc = { end: { sum_sent: { bits_per_second: 9e9 }, sum_received: { bits_per_second: 8.5e9 } } };
    strictEqual(parseIperf3(JSON.stringify(doc)), 8.5e9);
  });

  it("turns iperf3's error and non-JSON output into errors", () => {
    throws(() => parseIperf3(JSON.stringify({ error: "unable to connect to server" })), /unable to connect/);
    throws(() => parseIperf3("iperf3: error"), /no JSON/);
  });
});

const row = (name: Row["name"], over: Partial<Row>): Row => ({
  name,
  throughput_gbps: 1,
  rps_c1: 1000,
  p50_ms_c1: 0.1,
  p99_ms_c1: 1,
  rps_c32: 10000,
  p50_ms_c32: 2,
  p99_ms_c32: 10,
  cpu_s_per_1k_req: 0.05,
  rss_mb: 20,
  ...over,
});

describe("targets", () => {
  const base = [
    row("direct", { throughput_gbps: 15, p50_ms_c1: 0.08 }),
    row("stunnel", { throughput_gbps: 4, p50_ms_c1: 0.18 }),
    row("haproxy", { rps_c32: 10000 }),
  ];

  it("passes when Ambit matches the anchors", () => {
    const ts = checkTargets([...base, row("ambit", { throughput_gbps: 4, rps_c32: 10000, p50_ms_c1: 0.2 })]);
    deepStrictEqual(
      ts.map((t) => [t.what, t.pass]),
      [
        ["throughput ambit/stunnel", true],
        ["rps c32 ambit/haproxy", true],
        ["added p50 c1 ambit/stunnel", true],
      ],
    );
    strictEqual(ts[2]!.value.toFixed(2), "1.20");
  });

  it("misses each target separately", () => {
    const ts = checkTargets([
      ...base,
      row("ambit", { throughput_gbps: 3.9, rps_c32: 9999, p50_ms_c1: 0.21 }),
    ]);
    deepStrictEqual(
      ts.map((t) => t.pass),
      [false, false, false],
    );
  });

  it("compares added latency without dividing when stunnel added none", () => {
    const anchors = [row("direct", { p50_ms_c1: 0.2 }), row("stunnel", { p50_ms_c1: 0.19 }), base[2]!];
    const t = checkTargets([...anchors, row("ambit", { p50_ms_c1: 0.25 })])[2]!;
    strictEqual(t.pass, false);
    strictEqual(t.value, Number.POSITIVE_INFINITY);
  });
});

describe("rounds", () => {
  it("keep the median of each metric and the largest memory", () => {
    const runs = [
      row("ambit", { throughput_gbps: 3, rps_c32: 9000, rss_mb: 90 }),
      row("ambit", { throughput_gbps: 1, rps_c32: 12000, rss_mb: 120 }),
      row("ambit", { throughput_gbps: 2, rps_c32: 10000, rss_mb: 100 }),
    ];
    const m = medianRow(runs);
    deepStrictEqual([m.throughput_gbps, m.rps_c32, m.rss_mb], [2, 10000, 120]);
    strictEqual(medianRow(runs.slice(0, 2)).throughput_gbps, 1);
  });
});

describe("output", () => {
  it("rounds the JSON fields", () => {
    const r = rounded(row("ambit", { throughput_gbps: 1.23456, rps_c32: 9999.6, p50_ms_c1: 0.12345 }));
    deepStrictEqual([r.throughput_gbps, r.rps_c32, r.p50_ms_c1], [1.235, 10000, 0.123]);
  });

  it("prints one table line per row under a header", () => {
    const lines = table([row("direct", {}), row("ambit", {})]).split("\n");
    strictEqual(lines.length, 4);
    strictEqual(lines[0]!.startsWith("| row "), true);
    strictEqual(lines[3]!.startsWith("| ambit "), true);
  });
});
