/**
 * Local mode: one Linux machine as a small cluster. The supervisor (`ambit up`) runs the control
 * plane in-process, builds the network (a fabric, node and pod network namespaces), starts a node
 * proxy per node and the pods' processes, and keeps all of it in step with the configuration:
 * every accepted change is reconciled — pods created or removed, each node's redirection rules
 * rewritten (the node agent's job). Everything it creates carries the cluster's prefix and is
 * listed in cluster.json, so `ambit down` (even `--force` after a crash) can remove it.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AmbitError, errorText } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import { startControlPlane, type ControlPlane } from "../controlplane/server.js";
import type { NodeSpec } from "../controlplane/registry/types.js";
import { PodRuntime } from "./pods/index.js";
import {
  addNode,
  addPod,
  applyNodeRules,
  checkPrerequisites,
  createFabric,
  destroyAll,
  nodeRules,
  removePod,
} from "../node/index.js";
import { nodeAgentInput, type LocalPodPlacement } from "./agent-input.js";
import { localLayout, type LocalLayout } from "./layout.js";
import { writeJson, type ClusterRecord, type StatusRecord } from "./record.js";
import { desiredPods, type DesiredPod } from "./desired.js";
import { publishRoots } from "./roots-file.js";
import { ZtunnelSupervisor } from "./ztunnels.js";
import { applyTexts, BOOTSTRAP_NAMESPACES, inputErrors } from "./apply.js";

export interface LocalClusterOptions {
  stateDir: string;
  nodes?: number;
  /** Documents applied once the control plane is up (the `-f` inputs). */
  inputs?: Array<{ name: string; text: string }>;
  grpcPort?: number;
  debugPort?: number;
  log: Logger;
  /** Progress lines for the terminal. */
  progress?: (line: string) => void;
}

export interface LocalCluster {
  prefix: string;
  controlPlane: ControlPlane;
  layout: LocalLayout;
  /** Resolves when every node proxy is synced and every pod is ready (or `timeoutMs` passes). */
  waitReady(timeoutMs: number): Promise<StatusRecord>;
  status(): Promise<StatusRecord>;
  close(): Promise<void>;
}

const FABRIC_SUBNET = "10.250.0.0/24";

export function nodeSpecs(count: number): NodeSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `node-${i + 1}`,
    podCidr: `10.244.${i + 1}.0/24`,
    address: `10.250.0.${11 + i}`,
  }));
}

export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  const say = opts.progress ?? (() => undefined);
  const log = opts.log;
  await checkPrerequisites();
  const count = opts.nodes ?? 2;
  if (!Number.isInteger(count) || count < 1 || count > 16)
    throw new AmbitError("BAD_FLAG", `--nodes ${count}: expected 1 to 16`, "e.g. ambit up --nodes 3");
  // Bad input is refused before anything is created.
  const bad = inputErrors(opts.inputs ?? []);
  if (bad.length > 0)
    throw new AmbitError(
      "LOCAL_INPUT_INVALID",
      `the configuration was rejected; nothing was started:\n${bad.join("\n")}`,
      "fix the files (`ambit validate -f ...` shows every problem) and run `ambit up` again",
    );
  const layout = localLayout(opts.stateDir);
  mkdirSync(layout.dir, { recursive: true, mode: 0o700 });
  const prefix = `amb${randomBytes(3).toString("hex")}`;
  const nodes = nodeSpecs(count);
  const record: ClusterRecord = {
    prefix,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    nodes: [],
    pods: {},
    pids: [],
    debugAddress: "",
  };
  // Written before anything is created, so a crash at any point leaves a record to clean up from.
  writeJson(layout.record, record);

  let cp: ControlPlane | undefined;
  let stopRoots: (() => void) | undefined;
  const ztunnels = new ZtunnelSupervisor(layout, log.child({ part: "ztunnels" }));
  const runtime = new PodRuntime({ stateDir: layout.dir, log: log.child({ part: "pods" }) });
  const cleanup = async () => {
    stopRoots?.();
    await runtime.stopAll();
    await ztunnels.stopAll();
    await cp?.close();
    await destroyAll(prefix);
    // Everything the cluster wrote lives under local/ (CA, tokens, logs, sockets, records); the
    // detached supervisor's own log stays so a failed `ambit up -d` can be read; `ambit down`
    // removes the rest.
    for (const entry of readdirSync(layout.dir))
      if (join(layout.dir, entry) !== layout.upLog)
        rmSync(join(layout.dir, entry), { recursive: true, force: true });
  };

  try {
    say(`creating ${count} node(s) (network prefix ${prefix})`);
    await createFabric(prefix, FABRIC_SUBNET);
    for (const n of nodes) {
      const peers = nodes
        .filter((p) => p.name !== n.name)
        .map((p) => ({ fabricIp: p.address, podCidr: p.podCidr }));
      const { netns } = await addNode(
        prefix,
        { name: n.name, fabricIp: n.address, podCidr: n.podCidr },
        peers,
      );
      record.nodes.push({ ...n, netns });
    }
    writeJson(layout.record, record);

    say("starting the control plane");
    cp = await startControlPlane({
      stateDir: layout.controlPlaneDir,
      nodes,
      grpcUnixSocket: layout.xdsSocket,
      ...(opts.grpcPort !== undefined ? { grpcPort: opts.grpcPort } : {}),
      ...(opts.debugPort !== undefined ? { debugPort: opts.debugPort } : {}),
      log: log.child({ part: "controlplane" }),
    });
    record.debugAddress = cp.debugAddress;
    // The node proxies follow this file; rewritten whenever the CA reloads (local/roots-file.ts).
    // Local mode's CA is self-signed and only changes with a new cluster (`ambit down` removes
    // it), which also writes the file here before any proxy starts.
    stopRoots = publishRoots(cp.ca, layout.roots, log.child({ part: "roots" }));
    const boot = applyTexts(cp.store, BOOTSTRAP_NAMESPACES);
    if (!boot.ok)
      throw new AmbitError(
        "LOCAL_BOOTSTRAP",
        `could not create the default namespaces: ${boot.messages.join("; ")}`,
      );
    if (opts.inputs && opts.inputs.length > 0) {
      say(`applying ${opts.inputs.length} file(s)`);
      const r = applyTexts(cp.store, opts.inputs);
      if (!r.ok)
        throw new AmbitError(
          "LOCAL_INPUT_INVALID",
          `the configuration was rejected:\n${r.messages.join("\n")}`,
          "fix the files (`ambit validate -f ...` shows every problem) and run `ambit up` again",
        );
    }

    say("starting the node proxies");
    for (const n of record.nodes) {
      const files = layout.node(n.name);
      mkdirSync(files.dir, { recursive: true, mode: 0o700 });
      writeFileSync(files.token, `${await cp.tokens.create(n.name)}\n`, { mode: 0o600 });
      ztunnels.start({
        node: n.name,
        netns: n.netns,
        trustDomain: cp.ca.trustDomain,
        rootNamespace: "istio-system",
      });
    }
  } catch (e) {
    log.error({ err: errorText(e) }, "local cluster start failed; removing what was created");
    await cleanup().catch(() => undefined);
    throw e;
  }
  const controlPlane = cp;

  // --- reconciliation: desired pods and rules from the registry, carried out one pass at a time
  const placed = new Map<string, LocalPodPlacement & { uid: string }>(); // "<ns>/<pod>" -> placement
  const rulesApplied = new Map<string, string>(); // node -> rules text last applied
  let running: Promise<void> | undefined;
  let again = false;
  // Set when a pass could not do everything (a pod or a node's rules failed); the status timer
  // then runs another pass. A clean pass leaves the next one to the next config change.
  let retry = false;
  const reconcileOnce = async () => {
    retry = false;
    const derived = controlPlane.state();
    const want = new Map<string, DesiredPod>(
      desiredPods(derived.pods).map((p) => [`${p.namespace}/${p.name}`, p]),
    );
    for (const [key, p] of placed) {
      const w = want.get(key);
      if (w && w.uid === p.uid && w.ip === p.ip && w.node === p.node) continue;
      await runtime.stop(p.namespace, p.name);
      await removePod(prefix, p.node, { namespace: p.namespace, name: p.name });
      placed.delete(key);
      delete record.pods[key];
    }
    for (const [key, p] of want) {
      if (placed.has(key)) continue;
      try {
        const { netns, hostVeth } = await addPod(prefix, p.node, {
          namespace: p.namespace,
          name: p.name,
          ip: p.ip,
          hostname: p.name,
        });
        placed.set(key, {
          namespace: p.namespace,
          name: p.name,
          node: p.node,
          ip: p.ip,
          hostVeth,
          uid: p.uid,
        });
        record.pods[key] = { netns, node: p.node, ip: p.ip };
        runtime.start({ ...p, netns, hostname: p.name });
      } catch (e) {
        retry = true;
        log.error({ pod: key, err: errorText(e) }, "could not create the pod");
      }
    }
    for (const n of record.nodes) {
      const text = nodeRules(
        nodeAgentInput(n.name, [...placed.values()], derived.workloads, derived.services),
      );
      if (rulesApplied.get(n.name) === text) continue;
      try {
        await applyNodeRules(n.netns, text);
        rulesApplied.set(n.name, text);
      } catch (e) {
        retry = true;
        log.error({ node: n.name, err: errorText(e) }, "could not apply the node's redirection rules");
      }
    }
    record.pids = [...ztunnels.pids(), ...runtime.pids()];
    writeJson(layout.record, record);
  };
  // Pod restarts change PIDs between passes; the record is rewritten only when they do.
  const recordPids = () => {
    const pids = [...ztunnels.pids(), ...runtime.pids()];
    if (pids.join() === record.pids.join()) return;
    record.pids = pids;
    writeJson(layout.record, record);
  };
  const reconcile = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await reconcileOnce();
        } catch (e) {
          retry = true;
          log.error({ err: errorText(e) }, "reconcile failed; retrying shortly");
        }
      } while (again);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  const unsubscribe = controlPlane.store.subscribe(() => setImmediate(() => void reconcile()));
  say("starting pods");
  await reconcile();

  const status = async (): Promise<StatusRecord> => {
    const nodesStatus = await Promise.all(
      record.nodes.map(async (n) => ({
        name: n.name,
        ready: await ztunnels.ready(n.name),
        restarts: ztunnels.restarts(n.name),
      })),
    );
    const pods = [...placed.values()].map((p) => {
      const s = runtime.status(p.namespace, p.name);
      const waiting = s?.containers.find((c) => c.state !== "Running");
      return {
        namespace: p.namespace,
        name: p.name,
        node: p.node,
        ip: p.ip,
        phase: s?.phase ?? "Pending",
        ready: s?.ready ?? false,
        restarts: s?.restarts ?? 0,
        ...(waiting?.reason ? { reason: waiting.reason } : {}),
        ...(waiting?.message ? { message: waiting.message } : {}),
      };
    });
    const out: StatusRecord = {
      updatedAt: new Date().toISOString(),
      ready: nodesStatus.every((n) => n.ready) && pods.every((p) => p.ready),
      nodes: nodesStatus,
      pods,
    };
    return out;
  };
  const statusTimer = setInterval(() => {
    void status().then(
      (s) => writeJson(layout.status, s),
      () => undefined,
    );
    // Retry a pass that failed (e.g. a transient iptables lock); keep the PIDs current.
    if (retry) void reconcile();
    else recordPids();
  }, 1_000);

  return {
    prefix,
    controlPlane,
    layout,
    status,
    waitReady: async (timeoutMs) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const s = await status();
        writeJson(layout.status, s);
        if (s.ready || Date.now() > until) return s;
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    close: async () => {
      clearInterval(statusTimer);
      unsubscribe();
      await running;
      await cleanup();
    },
  };
}
