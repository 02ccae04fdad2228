/**
 * Per-stream send queue with a small in-flight window. gRPC's stream accepts writes without
 * limit; an initial push to 100 proxies would otherwise serialize every response at once and
 * hold hundreds of megabytes in HTTP/2 buffers. Here a response is serialized only when one of
 * the `window` in-flight writes completes (the write callback fires once HTTP/2 took the data,
 * which its flow control paces to what the proxy reads).
 */
import type { XdsOutgoingResponse } from "../wire/discovery.js";

export type WriteFn = (msg: XdsOutgoingResponse, done: (err?: Error | null) => void) => void;

export class Outbox {
  private readonly queue: XdsOutgoingResponse[] = [];
  private head = 0;
  private inflight = 0;
  private stopped = false;

  constructor(
    private readonly write: WriteFn,
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

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.head = 0;
  }

  private pump(): void {
    while (!this.stopped && this.inflight < this.window && this.head < this.queue.length) {
      const msg = this.queue[this.head++];
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
      if (!msg) continue;
      this.inflight++;
      this.write(msg, () => {
        this.inflight--;
        this.pump();
      });
    }
  }
}
