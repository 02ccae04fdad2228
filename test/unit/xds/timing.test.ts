/** Debounce (fake clock) and reconnect backoff. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Backoff } from "../../../src/xds/client/backoff.js";
import type { Clock } from "../../../src/xds/server/clock.js";
import { Debouncer } from "../../../src/xds/server/debounce.js";

class FakeClock implements Clock {
  t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private seq = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    this.timers.set(++this.seq, { at: this.t + ms, fn });
    return this.seq;
  };
  clearTimeout = (h: unknown) => {
    this.timers.delete(h as number);
  };
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

test("a burst of changes within the debounce window becomes one push", () => {
  const clock = new FakeClock();
  let pushes = 0;
  const d = new Debouncer(() => pushes++, { delayMs: 10, maxDelayMs: 100, clock });
  for (let i = 0; i < 5; i++) {
    d.trigger();
    clock.advance(3);
  }
  assert.equal(pushes, 0);
  clock.advance(10);
  assert.equal(pushes, 1);
  clock.advance(1000);
  assert.equal(pushes, 1, "no push without a change");
});

test("a steady stream of changes still pushes every maxDelayMs", () => {
  const clock = new FakeClock();
  const at: number[] = [];
  const d = new Debouncer(() => at.push(clock.now()), { delayMs: 10, maxDelayMs: 50, clock });
  for (let i = 0; i < 60; i++) {
    d.trigger();
    clock.advance(5);
  }
  assert.deepEqual(at, [50, 100, 150, 200, 250, 300]);
});

test("flush pushes now; cancel drops the pending push", () => {
  const clock = new FakeClock();
  let pushes = 0;
  const d = new Debouncer(() => pushes++, { delayMs: 10, maxDelayMs: 100, clock });
  d.trigger();
  d.flush();
  assert.equal(pushes, 1);
  d.flush();
  assert.equal(pushes, 1);
  d.trigger();
  d.cancel();
  clock.advance(200);
  assert.equal(pushes, 1);
});

test("backoff grows exponentially to its cap, with jitter in [ceiling/2, ceiling]", () => {
  const lo = new Backoff({ initialMs: 100, maxMs: 15_000, random: () => 0 });
  const hi = new Backoff({ initialMs: 100, maxMs: 15_000, random: () => 0.999999 });
  const ceilings = [100, 200, 400, 800, 1600, 3200, 6400, 12800, 15000, 15000];
  for (const c of ceilings) {
    assert.equal(lo.next(), c / 2);
    assert.equal(hi.next(), c);
  }
  lo.reset();
  assert.equal(lo.next(), 50);
});
