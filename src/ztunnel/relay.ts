/**
 * Copies bytes both ways between a downstream and an upstream connection until both directions
 * have finished, propagating half-close (a FIN from one side ends the other side's writable
 * half, as a TCP proxy must, so request/response protocols that close their sending side still
 * get their answer) and counting bytes per direction for telemetry.
 */
import { Socket } from "node:net";
import type { Duplex } from "node:stream";

/**
 * How much one direction may hold unsent in the writer before reading from the other side
 * pauses. Node's stream default (16 KiB) pauses and resumes the reader for almost every 64 KiB
 * socket read, each time a readStop/readStart (epoll_ctl) and a round through the event loop,
 * which left both proxies of a single stream idle ~40% of the time in the L4 benchmark. 256 KiB
 * is also the largest copy buffer ztunnel grows to per direction (istio/ztunnel src/copy.rs).
 */
export const RELAY_BUFFER_BYTES = 256 * 1024;

/**
 * Copies `from` into `to` until `from` ends, then ends `to` (half-close), with backpressure at
 * RELAY_BUFFER_BYTES. `onChunk` sees each chunk's size. Errors and closes are the caller's.
 *
 * When `to` is a socket (see PumpOptions.coalesce), the first chunk of a turn of the event loop
 * is written at once; if it was a bulk chunk, any more that arrive in the same turn are held
 * (the socket is corked) and leave together at the end of the turn (see endOfTurn). This
 * matters on the HBONE receiving side: Node's HTTP/2 hands a tunnel's bytes over one DATA frame
 * (16 KiB at most, often split in two where a frame straddles TLS records) at a time, and
 * writing each on its own cost a syscall and a wake-up of the reader per fragment; coalescing
 * them took the receiving proxy's CPU per GB down by about a fifth in a loopback
 * HTTP/2-over-TLS relay. Small chunks and the first chunk of a turn are never delayed.
 */
export function pump(from: Duplex, to: Duplex, onChunk?: (n: number) => void, opts: PumpOptions = {}): void {
  const resume = () => from.resume();
  const coalesce = opts.coalesce ?? to instanceof Socket;
  let lastTurn = -1;
  from.on("data", (chunk: Buffer) => {
    onChunk?.(chunk.length);
    if (coalesce) holdIfSameTurn(chunk.length);
    if (!to.write(chunk) && to.writableLength >= RELAY_BUFFER_BYTES) {
      from.pause();
      to.once("drain", resume);
    }
  });
  from.once("end", () => to.end());
  if (coalesce) {
    // A reading side that fails makes the caller destroy `to` (on nextTick, before the turn's
    // end): what is held must reach the kernel first, as it would have without coalescing.
    // These run before the caller's own listeners, which are added after pump().
    const release = () => {
      while (to.writableCorked > 0) to.uncork();
    };
    from.once("error", release);
    from.once("close", release);
  }

  function holdIfSameTurn(size: number): void {
    if (lastTurn !== turn) {
      // Only a bulk chunk opens a turn: small ones (requests, answers) schedule nothing.
      if (size >= BULK_CHUNK_BYTES) {
        lastTurn = turn;
        scheduleEndOfTurn();
      }
    } else if (to.writableCorked === 0) {
      to.cork();
      corked.push(to);
    }
  }
}

export interface PumpOptions {
  /**
   * Whether to coalesce a turn's bulk fragments into one write (above). Defaults to whether
   * `to` is a socket. Node's HTTP/2 streams are not corked: corking one and ending it raced
   * with the stream's close (its 'close' came, with NO_ERROR, before 'finish', which the HBONE
   * server reads as a reset), and a stream gains nothing from it, since nghttp2 frames what it
   * is given anyway.
   */
  coalesce?: boolean;
}

/** A chunk this large means a bulk transfer, whose further fragments are worth coalescing. */
const BULK_CHUNK_BYTES = 4096;

// One end-of-turn callback for all pumps, however many connections are busy.
let turn = 0;
let scheduled = false;
const corked: Duplex[] = [];

function scheduleEndOfTurn(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(endOfTurn);
}

/**
 * Runs in the check phase, right after the poll phase that delivered the turn's chunks, so a
 * held chunk waits for no further input.
 */
function endOfTurn(): void {
  scheduled = false;
  turn++;
  for (const w of corked) w.uncork();
  corked.length = 0;
}

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
    const pumpCounted = (from: Duplex, to: Duplex, key: "fromDownstream" | "fromUpstream") => {
      pump(from, to, (n) => {
        result[key] += n;
        progress.onBytes?.(key, n);
      });
      from.once("end", () => {
        if (++ended === 2) finish();
      });
      from.once("error", fail);
      from.once("close", () => {
        // A side that closes without a clean end (reset, destroy) ends the whole relay.
        if (!from.readableEnded) finish();
      });
    };
    pumpCounted(downstream, upstream, "fromDownstream");
    pumpCounted(upstream, downstream, "fromUpstream");
  });
}
