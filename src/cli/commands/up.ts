/** `ambit up` and `ambit down`: start and remove the local-mode cluster. */
import { spawn } from "node:child_process";
import { mkdirSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import type { Command } from "commander";
import { AmbitError } from "../../common/errors.js";
import { createLogger } from "../../common/log.js";
import { selfCommand } from "../../common/self.js";
import { tuneControlPlaneRuntime } from "../../controlplane/runtime.js";
import { startLocalCluster } from "../../local/cluster.js";
import { localLayout } from "../../local/layout.js";
import { forceDown, stopRunning } from "../../local/down.js";
import { isAlive, readRecord, readStatus, type StatusRecord } from "../../local/record.js";
import { closeOnSignals, fail } from "../output.js";
import { readInputs } from "./config.js";
import { stateDirOf } from "../globals.js";

interface UpFlags {
  grpcPort: string;
  debugPort: string;
  filename?: string[];
  recursive: boolean;
  nodes: string;
  detach: boolean;
  timeout: string;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

export function registerUp(program: Command): void {
  program
    .command("up")
    .description(
      "Start local mode: nodes and pods as network namespaces, the control plane, a node proxy per node",
    )
    .option("-f, --filename <path...>", "YAML to apply once the cluster is up (files or directories)")
    .option("-R, --recursive", "descend into subdirectories", false)
    .option("--nodes <n>", "number of nodes", "2")
    .option("-d, --detach", "return once every pod is ready and leave the cluster running", false)
    .option("--timeout <seconds>", "how long to wait for pods to become ready", "120")
    .option("--grpc-port <port>", "control plane xDS + CA port on localhost", "15012")
    .option(
      "--debug-port <port>",
      "control plane admin API port on localhost (the CLI finds it by itself)",
      "15014",
    )
    .addHelpText(
      "after",
      "\nNeeds root (or CAP_NET_ADMIN), iproute2 and iptables. Ctrl-C stops everything.\n\nExample:\n  ambit up -f examples/demo\n  ambit exec deploy/sleep -- curl -s http://httpbin:8000/headers",
    )
    .action(async (f: UpFlags, cmd: Command) => {
      try {
        const stateDir = stateDirOf(cmd);
        const layout = localLayout(stateDir);
        const existing = readRecord(layout.record);
        if (existing && isAlive(existing.pid) && existing.pid !== process.pid)
          throw new AmbitError(
            "LOCAL_ALREADY_RUNNING",
            `a local cluster is already running (supervisor PID ${existing.pid}, prefix ${existing.prefix})`,
            "use it (`ambit status`), or stop it first with `ambit down`",
          );
        if (existing && process.env.AMBIT_UP_CHILD !== "1") {
          say(`removing leftovers of a previous cluster (prefix ${existing.prefix})`);
          await forceDown(stateDir, say);
        }
        const inputs = f.filename ? readInputs(f.filename, f.recursive) : [];
        const timeoutMs = Number(f.timeout) * 1000;
        if (f.detach) return await detach(stateDir, f, timeoutMs);

        mkdirSync(layout.dir, { recursive: true, mode: 0o700 });
        // This process hosts the control plane.
        tuneControlPlaneRuntime();
        const cluster = await startLocalCluster({
          stateDir,
          nodes: Number(f.nodes),
          inputs,
          grpcPort: Number(f.grpcPort),
          debugPort: Number(f.debugPort),
          log: createLogger("local"),
          progress: say,
        });
        closeOnSignals(() => cluster.close(), {
          onStop: () => say("stopping: pods, node proxies, control plane, network namespaces"),
          onError: (e) => say(`cleanup failed: ${String(e)}; run \`ambit down --force\``),
        });
        const status = await cluster.waitReady(timeoutMs);
        printReady(status);
        if (!status.ready) say("some pods are not ready yet; `ambit get pods -A` follows them");
        say("the cluster runs until Ctrl-C (or `ambit down` from another terminal)");
      } catch (e) {
        fail(e);
      }
    });

  program
    .command("down")
    .description("Stop the local cluster and remove every namespace, rule, file and process it made")
    .option(
      "--force",
      "also clean up after a crash: this cluster's leftovers, found by its name prefix",
      false,
    )
    .option("--all", "with --force: every Ambit local cluster on this machine (any amb<hex>- prefix)", false)
    .action(async (f: { force: boolean; all: boolean }, cmd: Command) => {
      try {
        const stateDir = stateDirOf(cmd);
        const stopped = await stopRunning(stateDir, say);
        if (f.force || !stopped) await forceDown(stateDir, say, f.force && f.all);
        rmSync(localLayout(stateDir).dir, { recursive: true, force: true });
        say("local cluster removed");
      } catch (e) {
        fail(e);
      }
    });
}

function printReady(s: StatusRecord): void {
  for (const n of s.nodes) say(`node ${n.name}: proxy ${n.ready ? "ready" : "NOT ready"}`);
  for (const p of s.pods)
    say(
      `pod ${p.namespace}/${p.name} on ${p.node} (${p.ip}): ${p.ready ? "ready" : `${p.phase}${p.reason ? ` ${p.reason}` : ""}${p.message ? ` — ${p.message}` : ""}`}`,
    );
  if (s.ready) say("cluster ready");
}

/** Runs the supervisor in the background and waits for it to report every pod ready. */
async function detach(stateDir: string, f: UpFlags, timeoutMs: number): Promise<void> {
  const layout = localLayout(stateDir);
  mkdirSync(layout.dir, { recursive: true, mode: 0o700 });
  rmSync(layout.status, { force: true });
  const out = openSync(layout.upLog, "a", 0o600);
  const args = [
    ...selfCommand().slice(1),
    "--state-dir",
    stateDir,
    "up",
    "--nodes",
    f.nodes,
    "--timeout",
    f.timeout,
    "--grpc-port",
    f.grpcPort,
    "--debug-port",
    f.debugPort,
    ...(f.recursive ? ["-R"] : []),
    ...(f.filename ?? []).flatMap((p) => ["-f", p]),
  ];
  const child = spawn(selfCommand()[0]!, args, {
    detached: true,
    stdio: ["ignore", out, out],
    env: { ...process.env, AMBIT_UP_CHILD: "1" },
  });
  closeSync(out);
  child.unref();
  say(`local cluster starting in the background (PID ${child.pid}, log ${layout.upLog})`);
  const until = Date.now() + timeoutMs + 30_000;
  let last = "";
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const s = readStatus(layout.status);
    if (s) {
      const line = `${s.pods.filter((p) => p.ready).length}/${s.pods.length} pods ready, ${s.nodes.filter((n) => n.ready).length}/${s.nodes.length} node proxies ready`;
      if (line !== last) say((last = line));
      if (s.ready) {
        printReady(s);
        return;
      }
    }
    if (child.exitCode !== null || (child.pid && !isAlive(child.pid))) {
      say(tail(layout.upLog));
      throw new AmbitError("LOCAL_START_FAILED", "the local cluster did not start", `see ${layout.upLog}`);
    }
    if (Date.now() > until)
      throw new AmbitError(
        "LOCAL_NOT_READY",
        `pods were not ready within ${f.timeout} s (the cluster keeps running)`,
        "check `ambit get pods -A` and the pod logs under the state directory; `ambit down` stops it",
      );
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
