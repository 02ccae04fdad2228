/**
 * Copies bytes both ways between a downstream and an upstream connection until both directions
 * have finished, propagating half-close (a FIN from one side ends the other side's writable
 * half, as a TCP proxy must, so request/response protocols that close their sending side still
 * get their answer) and counting bytes per direction for telemetry.
 */
import type { Duplex } from "node:stream";

export interface RelayResult {
  /** Bytes read from the downstream (client) side and written upstream. */
  fromDownstream: number;
  /** Bytes read from the upstream side and written to the client. */
  fromUpstream: number;
  durationMs: number;
  /** First error seen on either side, if any (the relay then tears both sides down). */
  error?: string;
}

export interface RelayProgress {
  /** Called with each chunk's size as it passes; for live byte counters. */
  onBytes?: (direction: "fromDownstream" | "fromUpstream", n: number) => void;
}

export function relay(
  downstream: Duplex,
  upstream: Duplex,
  progress: RelayProgress = {},
  now: () => number = Date.now,
): Promise<RelayResult> {
  const started = now();
  const result: RelayResult = { fromDownstream: 0, fromUpstream: 0, durationMs: 0 };
  return new Promise((resolve) => {
    let ended = 0;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      result.durationMs = now() - started;
      downstream.destroy();
      upstream.destroy();
      resolve(result);
    };
    const fail = (e: Error) => {
      result.error ??= e.message;
      finish();
    };
    const pump = (from: Duplex, to: Duplex, key: "fromDownstream" | "fromUpstream") => {
      from.on("data", (chunk: Buffer) => {
        result[key] += chunk.length;
        progress.onBytes?.(key, chunk.length);
        // Backpressure: stop reading until the other side drains.
        if (!to.write(chunk)) {
          from.pause();
          to.once("drain", () => from.resume());
        }
      });
      from.once("end", () => {
        to.end();
        if (++ended === 2) finish();
      });
      from.once("error", fail);
      from.once("close", () => {
        // A side that closes without a clean end (reset, destroy) ends the whole relay.
        if (!from.readableEnded) finish();
      });
    };
    pump(downstream, upstream, "fromDownstream");
    pump(upstream, downstream, "fromUpstream");
  });
}
