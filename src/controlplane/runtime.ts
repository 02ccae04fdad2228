/**
 * Process-level tuning for the control plane, applied by `ambit controlplane` (and `ambit up`,
 * which embeds it) before it starts.
 *
 * The control plane holds a large, stable heap (the registry and the resources of 10,000
 * workloads are ~80 MB), and a push to many proxies allocates short-lived memory quickly (the
 * gRPC and HTTP/2 write state of every response to every proxy). V8 sets the next full-GC
 * trigger from the live heap with a growing factor that it lowers as the heap grows, so an
 * initial push to 100 proxies ran four full mark-compacts of that 80 MB heap, about a third
 * of the push's control plane CPU (measured with the control plane benchmark and --trace-gc,
 * docs/benchmarks.md). Doubling the headroom leaves one, for no change in the benchmark's RSS:
 * the garbage is young and most of it never reaches the old generation.
 *
 * The node proxy has its own, stronger tuning (src/ztunnel/runtime.ts): its heap is small and
 * its allocation rate per byte moved is high.
 */
import { setFlagsFromString } from "node:v8";

/** V8's --heap-growing-percent for the control plane. */
export const CONTROL_PLANE_HEAP_GROWING_PERCENT = 200;

export function tuneControlPlaneRuntime(): void {
  setFlagsFromString(`--heap-growing-percent=${CONTROL_PLANE_HEAP_GROWING_PERCENT}`);
}
