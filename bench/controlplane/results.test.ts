import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { medianResult, type Result } from "../controlplane.js";

const r = (push: number, p99: number, rss: number, ca: number): Result => ({
  initial_push_s: push,
  change_p50_ms: p99 / 2,
  change_p99_ms: p99,
  rss_mb: rss,
  ca_certs_per_s: ca,
});

describe("control plane bench rounds (AMBIT_BENCH_CP_ROUNDS)", () => {
  it("keep the median of each metric and the largest RSS", () => {
    const m = medianResult([r(2.2, 70, 300, 900), r(1.6, 95, 340, 800), r(1.8, 60, 320, 1000)]);
    assert.deepEqual(m, {
      initial_push_s: 1.8,
      change_p50_ms: 35,
      change_p99_ms: 70,
      rss_mb: 340,
      ca_certs_per_s: 900,
    });
  });

  it("take one round as it is", () => {
    const one = r(1.9, 80, 310, 950);
    assert.deepEqual(medianResult([one]), one);
  });

  it("refuse an even number of rounds, none included", () => {
    assert.throws(() => medianResult([]), /odd number/);
    assert.throws(() => medianResult([r(2.1, 70, 300, 900), r(1.7, 70, 300, 900)]), /odd number/);
  });
});
