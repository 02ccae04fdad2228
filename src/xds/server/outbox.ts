/**
 * Per-stream send queue with a small in-flight window, under a server-wide budget for bulk
 * responses. gRPC's stream accepts writes without limit; an initial push to 100 proxies would
 * otherwise serialize every response at once and hold hundreds of megabytes in HTTP/2 and TLS
 * buffers. Here a response is serialized only when one of the stream's `window` in-flight writes
 * completes (the write callback fires once HTTP/2 handed the data to the socket, which flow
 * control paces to what the proxy reads), and a large response (a slice of an initial push)
 * also waits for room in the shared `SendBudget`, so the memory held by pushes in progress is
 * bounded whatever the number of proxies. Small responses (a change to a few resources) never
 * wait for the budget: a change reaches every proxy even while others are still catching up.
 */
import type { XdsOutgoingResponse } from "../wire/discovery.js";
import { systemClock, type Clock } from "./clock.js";

export type WriteFn = (msg: XdsOutgoingResponse, done: (err?: Error | null) => void) => void;

/** Responses with at least this many bytes of resources count against the budget. */
export const BULK_BYTES = 64 << 10;

/** Room taken in a SendBudget by one write; released once, by the write or by the clock. */
export interface Lease {
  release(): void;
}

/**
 * Bytes of bulk responses in flight across all streams of a server, and who waits for room.
 * A write that holds its room longer than `maxHoldMs` (a proxy that stopped reading) gives it
 * back anyway: its memory stays bounded by its stream's window, and it must not hold up the
 * initial push of every other proxy.
 */
export class SendBudget {
  private used = 0;
  // outboxes waiting for room, in arrival order
  private readonly waiting = new Set<() => void>();

  constructor(
    readonly limit: number,
    private readonly maxHoldMs = 10_000,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Room for `bytes` if they fit (a response larger than the limit fits an empty budget). */
  take(bytes: number): Lease | undefined {
    if (this.used > 0 && this.used + bytes > this.limit) return undefined;
    this.used += bytes;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.clock.clearTimeout(timer);
      this.give(bytes);
    };
    const timer = this.clock.setTimeout(release, this.maxHoldMs);
    return { release };
  }

  wait(resume: () => void): void {
    this.waiting.add(resume);
  }

  cancel(resume: () => void): void {
    this.waiting.delete(resume);
  }

  get inUse(): number {
    return this.used;
  }

  private give(bytes: number): void {
    this.used -= bytes;
    // A resumed outbox that still finds no room waits again, at the end: iterate a copy.
    for (const resume of [...this.waiting]) {
      if (this.used >= this.limit) break;
      this.waiting.delete(resume);
      resume();
    }
  }
}

/** What a small response "holds": nothing. */
const NO_LEASE: Lease = { release: () => {} };

export class Outbox {
  private readonly queue: XdsOutgoingResponse[] = [];
  private head = 0;
  private inflight = 0;
  /** Budget taken by this outbox's bulk writes in flight. */
  private readonly leases = new Set<Lease>();
  private stopped = false;
  private readonly resume = () => this.pump();

  constructor(
    private readonly write: WriteFn,
    private readonly budget: SendBudget = new SendBudget(Infinity),
    private readonly window = 2,
  ) {}

  send(msg: XdsOutgoingResponse): void {
    if (this.stopped) return;
    this.queue.push(msg);
    this.pump();
  }

  /** Responses queued and not yet handed to gRPC. */
  get backlog(): number {
    return this.queue.length - this.head;
  }

  /** Drops what is queued and gives back the budget of writes in flight (they may never complete). */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.head = 0;
    this.budget.cancel(this.resume);
    const leases = [...this.leases];
    this.leases.clear();
    for (const l of leases) l.release();
  }

  private pump(): void {
    while (!this.stopped && this.inflight < this.window && this.head < this.queue.length) {
      const msg = this.queue[this.head];
      if (!msg) break;
      const lease = msg.body.length >= BULK_BYTES ? this.budget.take(msg.body.length) : NO_LEASE;
      if (!lease) {
        this.budget.wait(this.resume);
        return;
      }
      this.head++;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
      this.inflight++;
      this.leases.add(lease);
      this.write(msg, () => {
        this.inflight--;
        this.leases.delete(lease);
        lease.release();
        this.pump();
      });
    }
  }
}
