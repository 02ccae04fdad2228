/**
 * Reconnect delays: exponential from `initialMs` to `maxMs`, with "equal jitter" (half fixed,
 * half random) so that many proxies losing the same control plane do not come back in step.
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** Uniform [0, 1); injectable for tests. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 100;
    this.maxMs = opts.maxMs ?? 15_000;
    this.random = opts.random ?? Math.random;
  }

  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}
