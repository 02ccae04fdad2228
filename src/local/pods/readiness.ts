/**
 * Readiness of one pod: a container is ready when it runs and, if it declares TCP ports, every
 * port accepts a connection on the pod IP (the kubelet's tcpSocket probe; local mode has no
 * image metadata, so declared ports are the best signal that the program is serving).
 *
 * One probe round at a time per pod. After a (re)start rounds come fast (100 ms, doubling) so
 * `ambit up -d` returns soon after the servers listen; the interval grows to the period (10 s,
 * the kubelet's default periodSeconds) and stays there, ready or not — bounded work per pod.
 */
import { hostLookPath } from "../images/lookpath.js";
import type { ContainerRunner } from "./container.js";
import { probeTcp } from "./probe.js";
import type { PodRunSpec } from "./types.js";
import type { Wrap } from "./wrap.js";

export interface ProbeOptions {
  /** Interval once settled; default 10 s. */
  periodMs?: number;
  /** Each connection attempt; default 1 s (the kubelet's timeoutSeconds default). */
  timeoutMs?: number;
  /** First interval after a (re)start; default 100 ms. */
  initialMs?: number;
}

export interface ProberInputs {
  wrap: Wrap;
  pod: PodRunSpec;
  /** The pod's containers (the array may be filled after construction). */
  runners: readonly ContainerRunner[];
  path: string | undefined;
  onResult: () => void;
}

export class Prober {
  private readonly periodMs: number;
  private readonly timeoutMs: number;
  private readonly initialMs: number;
  private readonly bash: string | undefined;
  private nextMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly inputs: ProberInputs,
    opts: ProbeOptions = {},
  ) {
    this.periodMs = opts.periodMs ?? 10_000;
    this.timeoutMs = opts.timeoutMs ?? 1_000;
    this.initialMs = Math.min(opts.initialMs ?? 100, this.periodMs);
    this.nextMs = this.initialMs;
    this.bash = hostLookPath({ path: inputs.path })("bash");
  }

  /** A container (re)started: probe soon, then back off again. */
  kick(): void {
    if (this.stopped) return;
    this.nextMs = this.initialMs;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(this.initialMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.round(), ms);
  }

  private async round(): Promise<void> {
    this.timer = undefined;
    this.running = true;
    const { pod, wrap } = this.inputs;
    for (const r of this.inputs.runners) {
      if (this.stopped) break;
      if (!r.running || r.tcpPorts.length === 0) continue;
      let ok = true;
      for (const port of r.tcpPorts) {
        ok = await probeTcp({
          wrap,
          netns: pod.netns,
          hostname: pod.hostname,
          host: pod.ip,
          port,
          bash: this.bash,
          timeoutMs: this.timeoutMs,
        });
        if (!ok) break;
      }
      r.setProbeResult(ok);
    }
    this.running = false;
    if (this.stopped) return;
    this.inputs.onResult();
    if (this.again) {
      this.again = false;
      this.nextMs = this.initialMs;
    }
    const delay = this.nextMs;
    this.nextMs = Math.min(this.nextMs * 2, this.periodMs);
    this.schedule(delay);
  }
}
