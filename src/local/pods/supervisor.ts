/**
 * The pod runtime of local mode — the kubelet's job on one machine: runs each pod's containers
 * as processes inside the pod's network namespace, restarts them with back-off, probes
 * readiness, and reports a Kubernetes-like status ("change" events on every transition).
 *
 * Phase, as Kubernetes derives it: Pending while a container cannot be created (or has not
 * started), Running while any container runs or waits to restart, Succeeded/Failed once all
 * containers have terminated for good (all exit 0 / any non-zero).
 */
import { EventEmitter } from "node:events";
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { DNS_SUBDOMAIN_LOOSE } from "../../common/dns-names.js";
import { AmbitError } from "../../common/errors.js";
import { createLogger, type Logger } from "../../common/log.js";
import { KUBELET_BACKOFF, type BackoffOptions } from "./backoff.js";
import { ContainerRunner, type Clock } from "./container.js";
import { planLaunch } from "./launch.js";
import { Prober, type ProbeOptions } from "./readiness.js";
import { waitReady } from "./ready-wait.js";
import { defaultWrap, type Wrap } from "./wrap.js";
import type { ContainerStatus, PodPhase, PodPid, PodRunSpec, PodStatus } from "./types.js";

export interface PodRuntimeOptions {
  /** Logs go to <stateDir>/pods/<ns>_<name>/<container>.log. */
  stateDir: string;
  /** Default: ip netns exec + unshare --uts + hostname (wrap.ts). */
  wrap?: Wrap;
  /** Default: the kubelet's 10 s doubling to 5 min. */
  backoff?: BackoffOptions;
  probe?: ProbeOptions;
  log?: Logger;
  clock?: Clock;
  /** PATH for finding programs and given to containers; default this process's PATH. */
  path?: string;
}

export interface PodRuntimeEvents {
  change: [PodStatus];
  removed: [{ namespace: string; name: string }];
}

interface PodRecord {
  spec: PodRunSpec;
  runners: ContainerRunner[];
  prober: Prober;
  last: string;
}

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

/** Kubernetes names (DNS labels/subdomains): no slashes, no leading dot. */
const SAFE_NAME = DNS_SUBDOMAIN_LOOSE;

export function podPhase(containers: readonly ContainerStatus[], unrunnable: boolean): PodPhase {
  if (unrunnable) return "Pending";
  if (containers.length > 0 && containers.every((c) => c.state === "Terminated"))
    return containers.every((c) => c.exitCode === 0) ? "Succeeded" : "Failed";
  if (containers.some((c) => c.state === "Running" || c.reason === "CrashLoopBackOff")) return "Running";
  return "Pending";
}

export class PodRuntime extends EventEmitter<PodRuntimeEvents> {
  private readonly pods = new Map<string, PodRecord>(); // "<ns>/<name>" -> pod
  private readonly wrap: Wrap;
  private readonly backoff: BackoffOptions;
  private readonly log: Logger;
  private readonly clock: Clock;

  constructor(private readonly opts: PodRuntimeOptions) {
    super();
    this.wrap = opts.wrap ?? defaultWrap;
    this.backoff = opts.backoff ?? KUBELET_BACKOFF;
    this.log = opts.log ?? createLogger("pods");
    this.clock = opts.clock ?? { now: () => Date.now() };
  }

  /** Directory of a pod's container logs. */
  podDir(namespace: string, name: string): string {
    return join(this.opts.stateDir, "pods", `${namespace}_${name}`);
  }

  /** Log file of one container (stdout and stderr, appended across restarts). */
  logsPath(namespace: string, name: string, container: string): string {
    return join(this.podDir(namespace, name), `${container}.log`);
  }

  /**
   * Starts the pod's containers; the pod is known to status()/list() as soon as this returns.
   * Containers that cannot run are reported in the status, never thrown.
   */
  start(pod: PodRunSpec): PodStatus {
    const k = key(pod.namespace, pod.name);
    if (this.pods.has(k))
      throw new AmbitError("POD_EXISTS", `pod ${k} is already running`, "stop it before starting it again");
    // Names become file names (logs): validation guarantees DNS labels; check it here too.
    for (const n of [pod.namespace, pod.name, ...pod.containers.map((c) => c.name)])
      if (!SAFE_NAME.test(n))
        throw new AmbitError("POD_INVALID", `pod ${k}: ${JSON.stringify(n)} is not a valid name`);
    mkdirSync(this.podDir(pod.namespace, pod.name), { recursive: true });
    const log = this.log.child({ pod: k });
    const host = { path: this.opts.path ?? process.env.PATH, home: homedir() };
    const runners: ContainerRunner[] = [];
    const prober = new Prober(
      { wrap: this.wrap, pod, runners, path: host.path, onResult: () => this.refresh(rec) },
      this.opts.probe,
    );
    const rec: PodRecord = { spec: pod, runners, prober, last: "" };
    for (const c of pod.containers) {
      const launch = planLaunch(pod, c, host);
      if ("warning" in launch && launch.warning) log.warn({ container: c.name }, launch.warning);
      if ("reason" in launch) log.error({ container: c.name, reason: launch.reason }, launch.message);
      const runner = new ContainerRunner(
        {
          pod,
          wrap: this.wrap,
          backoff: this.backoff,
          restartPolicy: pod.restartPolicy ?? "Always",
          logPath: this.logsPath(pod.namespace, pod.name, c.name),
          clock: this.clock,
          log,
          onChange: (started) => {
            if (started) rec.prober.kick();
            this.refresh(rec);
          },
        },
        c,
        launch,
      );
      rec.runners.push(runner);
    }
    this.pods.set(k, rec);
    for (const r of rec.runners) r.start();
    rec.prober.kick();
    this.refresh(rec);
    return this.statusOf(rec);
  }

  /** SIGTERM each container's process group, SIGKILL after the grace period; forgets the pod. */
  async stop(namespace: string, name: string): Promise<void> {
    const rec = this.pods.get(key(namespace, name));
    if (!rec) return;
    rec.prober.stop();
    const graceMs = (rec.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    await Promise.all(rec.runners.map((r) => r.stop(graceMs)));
    this.pods.delete(key(namespace, name));
    this.emit("removed", { namespace, name });
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.pods.values()].map((r) => this.stop(r.spec.namespace, r.spec.name)));
  }

  /** The pod's status, or undefined when this runtime does not run it (never started, or stopped). */
  status(namespace: string, name: string): PodStatus | undefined {
    const rec = this.pods.get(key(namespace, name));
    return rec ? this.statusOf(rec) : undefined;
  }

  list(): PodStatus[] {
    return [...this.pods.values()].map((r) => this.statusOf(r));
  }

  /** PIDs of the live container processes (each leads its process group), for cleanup records. */
  pids(): number[] {
    return this.processes().map((p) => p.pid);
  }

  /** Live container processes with the pod and container each belongs to. */
  processes(): PodPid[] {
    const out: PodPid[] = [];
    for (const rec of this.pods.values())
      for (const r of rec.runners)
        if (r.pid !== undefined)
          out.push({ namespace: rec.spec.namespace, name: rec.spec.name, container: r.name, pid: r.pid });
    return out;
  }

  /**
   * Resolves with the pod's status once it is ready. Rejects at `timeoutMs`, or at once when
   * it cannot become ready (a container that cannot run, a pod that has finished, or stopped).
   */
  readyWhen(namespace: string, name: string, timeoutMs: number): Promise<PodStatus> {
    return waitReady(this, namespace, name, timeoutMs);
  }

  private statusOf(rec: PodRecord): PodStatus {
    const containers = rec.runners.map((r) => r.status());
    const phase = podPhase(
      containers,
      rec.runners.some((r) => r.unrunnable),
    );
    return {
      namespace: rec.spec.namespace,
      name: rec.spec.name,
      uid: rec.spec.uid,
      node: rec.spec.node,
      ip: rec.spec.ip,
      phase,
      ready: phase === "Running" && containers.every((c) => c.ready),
      restarts: containers.reduce((n, c) => n + c.restarts, 0),
      containers,
    };
  }

  /** Emits "change" when the pod's status differs from the last one emitted. */
  private refresh(rec: PodRecord): void {
    if (this.pods.get(key(rec.spec.namespace, rec.spec.name)) !== rec) return;
    const s = this.statusOf(rec);
    const text = JSON.stringify(s);
    if (text === rec.last) return;
    rec.last = text;
    this.emit("change", s);
  }
}
