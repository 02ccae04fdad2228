/** `ambit exec` and `ambit status`: into a local-mode pod, and the cluster at a glance. */
import { spawn } from "node:child_process";
import type { Command } from "commander";
import { AmbitError } from "../../common/errors.js";
import { localLayout } from "../../local/layout.js";
import { readStatus, requireRecord, type ClusterRecord } from "../../local/record.js";
import { fail, table } from "../output.js";
import { defaultWrap } from "../../local/pods/index.js";
import { stateDirOf } from "../globals.js";

/** "name" or "deploy/name" (the first ready pod of the Deployment, as kubectl picks one). */
export function resolvePod(rec: ClusterRecord, ready: Set<string>, ns: string, target: string): string {
  const m = /^(?:deploy|deployment|deployments)\/(.+)$/.exec(target);
  const podName = /^(?:po|pod|pods)\/(.+)$/.exec(target)?.[1] ?? target;
  const keys = Object.keys(rec.pods).filter((k) => k.startsWith(`${ns}/`));
  if (m) {
    const prefix = `${ns}/${m[1]}-`;
    const mine = keys.filter(
      (k) => k.startsWith(prefix) && /^[a-z0-9]+-[a-z0-9]+$/.test(k.slice(prefix.length)),
    );
    const pick = mine.sort().find((k) => ready.has(k)) ?? mine.sort()[0];
    if (!pick)
      throw new AmbitError(
        "NOT_FOUND",
        `deployment ${ns}/${m[1]} has no pods`,
        "check `ambit get deployments -n NS` and `ambit get pods -n NS`",
      );
    return pick;
  }
  const key = `${ns}/${podName}`;
  if (!rec.pods[key])
    throw new AmbitError("NOT_FOUND", `pod ${key} not found`, "list pods with `ambit get pods -A`");
  return key;
}

export function registerExec(program: Command): void {
  program
    .command("exec")
    .description("Run a command inside a local-mode pod's network namespace (like kubectl exec)")
    .option("-n, --namespace <ns>", "namespace of the pod", "default")
    .argument("<pod>", "POD or deploy/NAME")
    .argument("<command...>", "the command and its arguments, after --")
    .addHelpText(
      "after",
      "\nExample:\n  ambit exec deploy/sleep -- curl -s http://httpbin.default:8000/headers",
    )
    .action((pod: string, command: string[], f: { namespace: string }, cmd: Command) => {
      try {
        const stateDir = stateDirOf(cmd);
        const layout = localLayout(stateDir);
        const rec = requireRecord(layout.record);
        const ready = new Set(
          (readStatus(layout.status)?.pods ?? [])
            .filter((p) => p.ready)
            .map((p) => `${p.namespace}/${p.name}`),
        );
        const key = resolvePod(rec, ready, f.namespace, pod);
        const { netns } = rec.pods[key]!;
        const hostname = key.split("/")[1]!;
        // The same way into the pod as its own processes: its netns, resolv.conf and hostname.
        const [bin, ...args] = defaultWrap(netns, hostname, command);
        const child = spawn(bin!, args, { stdio: "inherit" });
        child.once("error", (e) => fail(e));
        child.once("exit", (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
      } catch (e) {
        fail(e);
      }
    });

  program
    .command("status")
    .description("The local cluster: nodes and their proxies, pods, control plane")
    .option("-o, --output <format>", "table or json", "table")
    .action((f: { output: string }, cmd: Command) => {
      try {
        const stateDir = stateDirOf(cmd);
        const layout = localLayout(stateDir);
        const rec = requireRecord(layout.record);
        const s = readStatus(layout.status);
        if (f.output === "json")
          return void process.stdout.write(`${JSON.stringify({ cluster: rec, status: s }, null, 2)}\n`);
        process.stdout.write(
          `local cluster ${rec.prefix}: supervisor PID ${rec.pid}, up since ${rec.startedAt}\ncontrol plane admin http://${rec.debugAddress}\n\n`,
        );
        const nodes = rec.nodes.map((n) => {
          const ns = s?.nodes.find((x) => x.name === n.name);
          return [n.name, n.address, n.podCidr, ns?.ready ? "Ready" : "NotReady", String(ns?.restarts ?? 0)];
        });
        process.stdout.write(
          `${table(["NODE", "ADDRESS", "POD CIDR", "PROXY", "PROXY RESTARTS"], nodes)}\n\n`,
        );
        const pods = (s?.pods ?? []).map((p) => [
          p.namespace,
          p.name,
          p.ready ? "1/1" : "0/1",
          p.reason ?? p.phase,
          String(p.restarts),
          p.ip,
          p.node,
        ]);
        process.stdout.write(
          `${table(["NAMESPACE", "POD", "READY", "STATUS", "RESTARTS", "IP", "NODE"], pods)}\n`,
        );
        process.stdout.write(s?.ready ? "\nall pods ready\n" : "\nnot every pod is ready\n");
      } catch (e) {
        fail(e);
      }
    });
}
