/**
 * Promises that resolve when every connected subscriber of a type has ACKed a config version:
 * how tests and the benchmark observe "the change reached all proxies". A subscriber that
 * disconnects stops counting; with no subscribers the condition holds at once.
 */
import { AmbitError } from "../../common/errors.js";
import type { Clock } from "./clock.js";
import type { AdsStream } from "./stream.js";

export interface AckWaitOptions {
  /** Give up (XDS_ACK_TIMEOUT) after this long; default 30 s. */
  timeoutMs?: number;
  /** Also wait until at least this many proxies subscribe to the type (default 0). */
  minSubscribers?: number;
}

interface Waiter {
  typeUrl: string;
  version: number;
  minSubscribers: number;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: unknown;
}

export class AckWaiters {
  private waiters: Waiter[] = [];

  constructor(
    private readonly streams: () => Iterable<AdsStream>,
    private readonly clock: Clock,
  ) {}

  add(typeUrl: string, version: number, opts: AckWaitOptions = {}): Promise<void> {
    const minSubscribers = opts.minSubscribers ?? 0;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    if (this.satisfied(typeUrl, version, minSubscribers)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { typeUrl, version, minSubscribers, resolve, reject, timer: undefined };
      w.timer = this.clock.setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(
          new AmbitError(
            "XDS_ACK_TIMEOUT",
            `not every proxy ACKed ${typeUrl} version ${version} within ${timeoutMs} ms` +
              (minSubscribers > 0 ? ` (waiting for ${minSubscribers} subscribers)` : ""),
            "see status(): a proxy that NACKed or stopped reading is listed with its last ACKed version",
          ),
        );
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Re-evaluates pending waiters; called on every ACK, NACK, push and disconnect. */
  check(): void {
    if (this.waiters.length === 0) return;
    const done = this.waiters.filter((w) => this.satisfied(w.typeUrl, w.version, w.minSubscribers));
    if (done.length === 0) return;
    this.waiters = this.waiters.filter((w) => !done.includes(w));
    for (const w of done) {
      this.clock.clearTimeout(w.timer);
      w.resolve();
    }
  }

  rejectAll(err: Error): void {
    for (const w of this.waiters) {
      this.clock.clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiters = [];
  }

  private satisfied(typeUrl: string, version: number, minSubscribers: number): boolean {
    let count = 0;
    for (const s of this.streams()) {
      const sub = s.subscription(typeUrl);
      if (!sub) continue;
      if (sub.ackedVersion < version) return false;
      count++;
    }
    return count >= minSubscribers;
  }
}
