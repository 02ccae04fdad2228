/**
 * One container of a pod as a process: started through the wrap in a process group of its own
 * (`detached`, i.e. setsid), stdout+stderr appended to its log file, restarted with back-off
 * when it exits (per the pod's restartPolicy), stopped with SIGTERM then SIGKILL after the
 * grace period — always to its process group, so what it spawned goes with it, as everything in
 * a container's cgroup does when the container ends.
 *
 * Only PIDs this object spawned are ever signalled: the group of a live child, and that same
 * group right after the child exits (a process group ID cannot be reused while any member of
 * the group is alive, so leftovers of our own child are all that can match).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, closeSync, existsSync, openSync } from "node:fs";
import { constants } from "node:os";
import type { Logger } from "../../common/log.js";
import { nextBackoff, formatDelay, shouldRestart, type BackoffOptions } from "./backoff.js";
import type { Wrap } from "./wrap.js";
import type {
  ContainerReason,
  ContainerSpec,
  ContainerState,
  ContainerStatus,
  PodRunSpec,
  RestartPolicy,
} from "./types.js";

export interface Clock {
  now(): number;
}

/** What to run, or why it cannot run (then the container waits with that reason forever). */
export type Launch =
  | { argv: string[]; env: Record<string, string>; cwd?: string; builtin?: string; note?: string }
  | { reason: ContainerReason; message: string };

export interface ContainerContext {
  pod: PodRunSpec;
  wrap: Wrap;
  backoff: BackoffOptions;
  restartPolicy: RestartPolicy;
  logPath: string;
  clock: Clock;
  log: Logger;
  /** Called on every state change (start, exit, back-off, stop). */
  onChange: (started: boolean) => void;
}

function signalExitCode(signal: NodeJS.Signals | null): number {
  const n = signal ? (constants.signals as Record<string, number>)[signal] : undefined;
  return 128 + (n ?? 0);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}

export class ContainerRunner {
  readonly name: string;
  readonly tcpPorts: number[];
  private state: ContainerState = "Waiting";
  private reason: ContainerReason | undefined;
  private message: string | undefined;
  private exitCode: number | undefined;
  private startedAtMs: number | undefined;
  private restarts = 0;
  private probedReady = false;
  private child: ChildProcess | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private lastDelayMs: number | undefined;
  private stopping = false;
  private exited: Array<() => void> = [];

  constructor(
    private readonly ctx: ContainerContext,
    spec: ContainerSpec,
    private readonly launch: Launch,
  ) {
    this.name = spec.name;
    this.tcpPorts = (spec.ports ?? [])
      .filter((p) => (p.protocol ?? "TCP") === "TCP")
      .map((p) => p.containerPort);
    if ("reason" in launch) {
      this.reason = launch.reason;
      this.message = launch.message;
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.state === "Running";
  }

  /** Ready = running and, when it has TCP ports, the last probe of each succeeded. */
  get ready(): boolean {
    return this.running && (this.tcpPorts.length === 0 || this.probedReady);
  }

  setProbeResult(ok: boolean): void {
    this.probedReady = ok && this.running;
  }

  start(): void {
    if ("reason" in this.launch || this.stopping) return;
    const { argv, env, cwd } = this.launch;
    const full = this.ctx.wrap(this.ctx.pod.netns, this.ctx.pod.hostname, argv);
    this.startedAtMs = this.ctx.clock.now();
    if (cwd !== undefined && !existsSync(cwd)) {
      return this.ended(undefined, `workingDir ${cwd} does not exist on this machine`);
    }
    let child: ChildProcess;
    try {
      const fd = openSync(this.ctx.logPath, "a");
      try {
        child = spawn(full[0]!, full.slice(1), { cwd, env, stdio: ["ignore", fd, fd], detached: true });
      } finally {
        closeSync(fd); // the child holds its own copy
      }
    } catch (e) {
      // Synchronous failures (log directory gone, invalid argv): a failed start, retried like an exit.
      return this.ended(undefined, `cannot start ${full[0]}: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.child = child;
    let done = false;
    const end = (code: number | undefined, why?: string): void => {
      if (done) return;
      done = true;
      this.ended(code, why, child);
    };
    child.on("error", (e) => end(undefined, `cannot start ${full[0]}: ${e.message}`));
    child.on("exit", (code, signal) => end(code ?? signalExitCode(signal)));
    if (child.pid === undefined) return; // 'error' follows
    this.state = "Running";
    this.reason = undefined;
    this.message = this.launch.note;
    this.exitCode = undefined;
    this.probedReady = false;
    this.ctx.log.info({ container: this.name, pid: child.pid, argv }, "container started");
    this.ctx.onChange(true);
  }

  private ended(code: number | undefined, why: string | undefined, child?: ChildProcess): void {
    if (child?.pid !== undefined) killGroup(child.pid, "SIGKILL"); // leftovers of this run
    if (child === undefined || this.child === child) this.child = undefined;
    const ranMs = this.ctx.clock.now() - (this.startedAtMs ?? this.ctx.clock.now());
    this.probedReady = false;
    this.exitCode = code;
    const failed = code !== 0;
    if (why) {
      try {
        appendFileSync(this.ctx.logPath, `ambit: ${why}\n`);
      } catch {
        // the log directory is gone (pod removed); the status still says why
      }
    }
    const { pod } = this.ctx;
    if (!this.stopping && shouldRestart(this.ctx.restartPolicy, code ?? 1)) {
      const delay = nextBackoff(this.ctx.backoff, this.lastDelayMs, ranMs);
      this.lastDelayMs = delay;
      this.state = "Waiting";
      this.reason = "CrashLoopBackOff";
      // The kubelet's wording, so operators recognise it.
      this.message = `back-off ${formatDelay(delay)} restarting failed container=${this.name} pod=${pod.name}_${pod.namespace}(${pod.uid})${why ? `: ${why}` : ""}`;
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.restarts++;
        this.start();
      }, delay);
    } else {
      this.state = "Terminated";
      this.reason = failed ? "Error" : "Completed";
      this.message = why;
    }
    this.ctx.log.info({ container: this.name, exitCode: code, why, state: this.state }, "container exited");
    for (const w of this.exited.splice(0)) w();
    this.ctx.onChange(false);
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
      if (this.state === "Waiting") {
        this.state = "Terminated";
        this.reason = this.exitCode === 0 ? "Completed" : "Error";
      }
    }
    const child = this.child;
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const pid = child.pid;
    const gone = new Promise<void>((resolve) => this.exited.push(resolve));
    killGroup(pid, "SIGTERM");
    const timer = setTimeout(() => killGroup(pid, "SIGKILL"), graceMs);
    await gone;
    clearTimeout(timer);
  }

  status(): ContainerStatus {
    const s: ContainerStatus = {
      name: this.name,
      state: this.state,
      ready: this.ready,
      restarts: this.restarts,
    };
    if (this.reason) s.reason = this.reason;
    if (this.exitCode !== undefined) s.exitCode = this.exitCode;
    if (this.child?.pid !== undefined && this.running) s.pid = this.child.pid;
    if (this.startedAtMs !== undefined) s.startedAt = new Date(this.startedAtMs).toISOString();
    if (this.message) s.message = this.message;
    if ("builtin" in this.launch && this.launch.builtin) s.builtin = this.launch.builtin;
    return s;
  }

  /** True when this container can never run (no program for its image, bad env). */
  get unrunnable(): boolean {
    return "reason" in this.launch;
  }
}
