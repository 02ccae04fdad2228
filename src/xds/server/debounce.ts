/**
 * Coalesces bursts of configuration changes into few pushes. A change after a quiet period (no
 * push for `delayMs`) is pushed at once, on the next turn of the event loop so that everything
 * changed in the same turn (one publish updates several types) goes out together. Changes that
 * follow within `delayMs` of a push are held: they go out `delayMs` after the last of them, but
 * never later than `maxDelayMs` after the first, so a steady trickle of changes cannot starve
 * proxies. A burst shorter than `maxDelayMs` thus costs at most two pushes: its first change,
 * then the rest together.
 *
 * Istio's PILOT_DEBOUNCE_AFTER / _MAX play the same role, but istiod holds every change for the
 * quiet period, the first one too (100 ms by default); pushing the first at once takes that
 * period off the latency of an isolated change, which is the common case.
 */
import type { Clock } from "./clock.js";

export interface DebounceOptions {
  delayMs: number;
  maxDelayMs: number;
  clock: Clock;
}

export class Debouncer {
  private timer: unknown;
  private firstAt: number | undefined;
  // An immediate push is scheduled: it takes every change made until it runs.
  private leading = false;
  private lastFiredAt = -Infinity;

  constructor(
    private readonly fn: () => void,
    private readonly opts: DebounceOptions,
  ) {}

  /** Records a change; pushes at once after a quiet period, else (re)arms the timer. */
  trigger(): void {
    const { clock, delayMs, maxDelayMs } = this.opts;
    if (this.leading) return;
    const now = clock.now();
    if (this.firstAt === undefined && now - this.lastFiredAt >= delayMs) {
      this.firstAt = now;
      this.leading = true;
      this.timer = clock.setTimeout(() => this.fire(), 0);
      return;
    }
    this.firstAt ??= now;
    if (this.timer !== undefined) clock.clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(delayMs, this.firstAt + maxDelayMs - now));
    this.timer = clock.setTimeout(() => this.fire(), wait);
  }

  get pending(): boolean {
    return this.firstAt !== undefined;
  }

  /** Runs a pending push now (shutdown, tests). */
  flush(): void {
    if (this.pending) this.fire();
  }

  cancel(): void {
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.firstAt = undefined;
    this.leading = false;
  }

  private fire(): void {
    this.cancel();
    this.lastFiredAt = this.opts.clock.now();
    this.fn();
  }
}
