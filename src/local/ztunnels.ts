/**
 * Starts and supervises one node proxy process per node, inside the node's network namespace
 * (`ip netns exec`), restarting it with back-off if it exits. Its log goes to
 * <state>/local/nodes/<node>/ztunnel.log; its admin API to a Unix socket next to it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, closeSync } from "node:fs";
import type { Logger } from "../common/log.js";
import { selfCommand } from "../common/self.js";
import type { LocalLayout } from "./layout.js";
import { unixGet } from "./unix-http.js";

export interface ZtunnelSpec {
  node: string;
  netns: string;
  trustDomain: string;
  rootNamespace: string;
}

interface Running {
  spec: ZtunnelSpec;
  child?: ChildProcess;
  restarts: number;
  timer?: NodeJS.Timeout;
}

export class ZtunnelSupervisor {
  // node -> its proxy process
  private readonly procs = new Map<string, Running>();
  private stopping = false;

  constructor(
    private readonly layout: LocalLayout,
    private readonly log: Logger,
  ) {}

  start(spec: ZtunnelSpec): void {
    const r: Running = { spec, restarts: 0 };
    this.procs.set(spec.node, r);
    this.spawn(r);
  }

  private spawn(r: Running): void {
    const files = this.layout.node(r.spec.node);
    mkdirSync(files.dir, { recursive: true, mode: 0o700 });
    const out = openSync(files.log, "a", 0o600);
    const [cmd, ...args] = [
      "ip",
      "netns",
      "exec",
      r.spec.netns,
      ...selfCommand(),
      "ztunnel",
      "--node",
      r.spec.node,
      "--control-plane",
      `unix:${this.layout.xdsSocket}`,
      "--roots",
      this.layout.roots,
      "--token-file",
      files.token,
      "--trust-domain",
      r.spec.trustDomain,
      "--root-namespace",
      r.spec.rootNamespace,
      "--admin-socket",
      files.adminSocket,
      // Applications see their clients' pod IPs, as in Istio ambient; the node agent's rules
      // route the replies back to the proxy (docs/node-agent.md).
      "--preserve-source-ip",
    ];
    const child = spawn(cmd!, args, {
      stdio: ["ignore", out, out],
      env: { ...process.env, AMBIT_LOG_LEVEL: process.env.AMBIT_ZTUNNEL_LOG_LEVEL ?? "info" },
    });
    closeSync(out);
    r.child = child;
    child.once("exit", (code, signal) => {
      r.child = undefined;
      if (this.stopping) return;
      r.restarts++;
      const delay = Math.min(10_000, 250 * 2 ** Math.min(r.restarts, 6));
      this.log.warn(
        { node: r.spec.node, code, signal, restartInMs: delay, log: files.log },
        "node proxy exited; restarting",
      );
      r.timer = setTimeout(() => this.spawn(r), delay);
    });
  }

  pids(): number[] {
    return [...this.procs.values()].flatMap((r) => (r.child?.pid ? [r.child.pid] : []));
  }

  restarts(node: string): number {
    return this.procs.get(node)?.restarts ?? 0;
  }

  /** True when the node's proxy answers ready (it has its first config from the control plane). */
  async ready(node: string): Promise<boolean> {
    try {
      const res = await unixGet(this.layout.node(node).adminSocket, "/healthz/ready", 1_000);
      return res.status === 200;
    } catch {
      return false;
    }
  }

  async stopAll(graceMs = 3_000): Promise<void> {
    this.stopping = true;
    const waits: Promise<void>[] = [];
    for (const r of this.procs.values()) {
      if (r.timer) clearTimeout(r.timer);
      const c = r.child;
      if (!c || c.exitCode !== null) continue;
      waits.push(
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => c.kill("SIGKILL"), graceMs);
          c.once("exit", () => {
            clearTimeout(kill);
            resolve();
          });
          c.kill("SIGTERM");
        }),
      );
    }
    await Promise.all(waits);
  }
}
