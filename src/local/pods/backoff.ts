/**
 * Restart back-off, as the kubelet applies it to a container that exits: 10 s, then doubling,
 * capped at 5 minutes; a container that ran for 10 minutes without exiting starts again from
 * the initial delay (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts).
 */

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Run time after which a crash counts as the first one again. */
  resetAfterMs?: number;
}

export const KUBELET_BACKOFF: Required<BackoffOptions> = {
  initialMs: 10_000,
  maxMs: 300_000,
  resetAfterMs: 600_000,
};

/**
 * Delay before the next start, given the previous delay (undefined: no crash yet) and how long
 * the run that just ended lasted.
 */
export function nextBackoff(opts: BackoffOptions, previousMs: number | undefined, ranMs: number): number {
  const reset = opts.resetAfterMs ?? KUBELET_BACKOFF.resetAfterMs;
  if (previousMs === undefined || ranMs >= reset) return Math.min(opts.initialMs, opts.maxMs);
  return Math.min(previousMs * 2, opts.maxMs);
}

/** Whether a container that exited with `exitCode` is started again under `policy`. */
export function shouldRestart(policy: "Always" | "OnFailure" | "Never", exitCode: number): boolean {
  return policy === "Always" || (policy === "OnFailure" && exitCode !== 0);
}

/** "10s", "1m20s", "5m0s", "250ms": Go's duration format, as the kubelet prints a back-off. */
export function formatDelay(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}
