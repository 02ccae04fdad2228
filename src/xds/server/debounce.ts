/**
 * Coalesces bursts of configuration changes into one push: the push runs `delayMs` after the
 * last change, but never later than `maxDelayMs` after the first change of the burst, so a
 * steady trickle of changes cannot starve proxies. (Istio's PILOT_DEBOUNCE_AFTER / _MAX play
 * the same role.)
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

  constructor(
    private readonly fn: () => void,
    private readonly opts: DebounceOptions,
  ) {}

  /** Records a change; (re)arms the timer within the max-delay bound. */
  trigger(): void {
    const { clock, delayMs, maxDelayMs } = this.opts;
    const now = clock.now();
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
  }

  private fire(): void {
    this.cancel();
    this.fn();
  }
}
