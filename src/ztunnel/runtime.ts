/**
 * Process-level tuning for a node proxy, applied by `ambit ztunnel` before anything starts.
 *
 * The data path allocates a buffer per socket read and per TLS/HTTP/2 write batch; at Gbit/s
 * that is hundreds of MB a second of short-lived memory against a small, stable JS heap. Two
 * defaults then cost more CPU than the proxying itself (measured with the L4 benchmark and
 * `perf`, docs/benchmarks.md):
 *
 * - V8 sizes the next major-GC trigger from the live heap (~20 MB here), so the allocation rate
 *   of the data path keeps it marking almost continuously: ~35 full GCs per GB moved, ~30% of
 *   the proxy's CPU. A larger growing factor gives the old generation headroom (≈1 full GC per
 *   GB) for a few tens of MB of peak RSS.
 * - glibc returns freed buffers at the top of the heap to the kernel and serves big ones with
 *   fresh mmaps, so the same pages fault in zeroed again and again (~20,000 page faults a second
 *   per proxy during one stream). Higher mmap/trim thresholds keep them in the heap.
 */
import { setFlagsFromString } from "node:v8";
import { tuneAllocator } from "../node/native.js";

/** V8's --heap-growing-percent (its default is 100 or less, depending on the heap's state). */
export const HEAP_GROWING_PERCENT = 400;

const MiB = 1024 * 1024;
/** Allocations below this come from the heap (glibc default: 128 KiB, growing dynamically). */
export const MALLOC_MMAP_THRESHOLD = 4 * MiB;
/** Free memory at the top of the heap is kept up to this (glibc default: 128 KiB, dynamic). */
export const MALLOC_TRIM_THRESHOLD = 64 * MiB;
/** Extra memory requested with each heap extension (glibc default: 128 KiB). */
export const MALLOC_TOP_PAD = 8 * MiB;

export interface RuntimeTuning {
  heapGrowingPercent: number;
  /** False when the native addon is missing or the C library is not glibc. */
  allocatorTuned: boolean;
}

export function tuneProxyRuntime(): RuntimeTuning {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const allocatorTuned = tuneAllocator(MALLOC_MMAP_THRESHOLD, MALLOC_TRIM_THRESHOLD, MALLOC_TOP_PAD);
  return { heapGrowingPercent: HEAP_GROWING_PERCENT, allocatorTuned };
}
