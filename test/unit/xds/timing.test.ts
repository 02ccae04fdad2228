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

test("a change after a quiet period is pushed at once; the rest of its burst as one push", () => {
  const clock = new FakeClock();
  const at: number[] = [];
  const d = new Debouncer(() => at.push(clock.now()), { delayMs: 10, maxDelayMs: 100, clock });
  d.trigger();
  d.trigger(); // the same turn: goes with the first
  clock.advance(0);
  assert.deepEqual(at, [0]);
  for (let i = 0; i < 5; i++) {
    clock.advance(3);
    d.trigger();
  }
  assert.deepEqual(at, [0], "changes within the window after a push are held");
  clock.advance(10);
  assert.deepEqual(at, [0, 25], "held changes go out 10 ms after the last one");
  clock.advance(1000);
  assert.equal(at.length, 2, "no push without a change");
  d.trigger();
  clock.advance(0);
  assert.deepEqual(at, [0, 25, 1025], "quiet again: at once");
});

test("a steady stream of changes still pushes every maxDelayMs", () => {
  const clock = new FakeClock();
  const at: number[] = [];
  const d = new Debouncer(() => at.push(clock.now()), { delayMs: 10, maxDelayMs: 50, clock });
  for (let i = 0; i < 60; i++) {
    d.trigger();
    clock.advance(5);
  }
  assert.deepEqual(at, [0, 55, 105, 155, 205, 255]);
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
