/** `ambit controlplane`, `ambit proxy-status`, `ambit node-token`. */
import type { Command } from "commander";
import { AmbitError } from "../../common/errors.js";
import { createLogger } from "../../common/log.js";
import { PORTS } from "../../common/paths.js";
import { tuneControlPlaneRuntime } from "../../controlplane/runtime.js";
import { startControlPlane } from "../../controlplane/server.js";
import type { NodeSpec } from "../../controlplane/registry/types.js";
import { NodeTokenStore } from "../../identity/index.js";
import { adminRequest, adminTarget } from "../admin-client.js";
import { closeOnSignals, fail, table } from "../output.js";
import { globalOpts, stateDirOf } from "../globals.js";

/** "--node name=10.244.1.0/24[@address]" -> NodeSpec */
function parseNode(text: string, prev: NodeSpec[] = []): NodeSpec[] {
  const m = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)=([0-9a-f.:]+\/\d+)(?:@(.+))?$/.exec(text);
  if (!m)
    throw new AmbitError(
      "BAD_FLAG",
      `--node ${text}: expected NAME=POD_CIDR[@ADDRESS], e.g. node-1=10.244.1.0/24`,
    );
  return [...prev, { name: m[1]!, podCidr: m[3]!, address: m[4] ?? "" }];
}

export function registerControlPlane(program: Command): void {
  program
    .command("controlplane")
    .description("Run the control plane: config store, registry, CA and xDS (foreground; Ctrl-C stops it)")
    .option("--config-dir <dir>", "directory of YAML to watch and apply (edits take effect on save)")
    .option("--mesh-config <file>", "mesh config (Istio MeshConfig YAML)")
    .option("--cacerts <dir>", "plug-in CA: ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem")
    .option("--grpc-host <addr>", "address for xDS + CA (gRPC over TLS)", "127.0.0.1")
    .option("--grpc-port <port>", "port for xDS + CA", String(PORTS.xds))
    .option("--debug-port <port>", "admin/debug HTTP port (localhost only)", String(PORTS.debug))
    .option(
      "--node <name=cidr...>",
      "a node to schedule pods on (local and hosts modes), e.g. node-1=10.244.1.0/24",
    )
    .addHelpText(
      "after",
      "\nExample:\n  ambit controlplane --config-dir ./mesh --node node-1=10.244.1.0/24 --node node-2=10.244.2.0/24",
    )
    .action(
      async (
        opts: {
          configDir?: string;
          meshConfig?: string;
          cacerts?: string;
          grpcHost: string;
          grpcPort: string;
          debugPort: string;
          node?: string[];
        },
        cmd: Command,
      ) => {
        try {
          const nodes = (opts.node ?? []).reduce<NodeSpec[]>((acc, n) => parseNode(n, acc), []);
          const stateDir = stateDirOf(cmd);
          tuneControlPlaneRuntime();
          const cp = await startControlPlane({
            stateDir,
            ...(opts.configDir ? { configDir: opts.configDir } : {}),
            ...(opts.meshConfig ? { meshConfigFile: opts.meshConfig } : {}),
            ...(opts.cacerts ? { cacertsDir: opts.cacerts } : {}),
            grpcHost: opts.grpcHost,
            grpcPort: Number(opts.grpcPort),
            debugPort: Number(opts.debugPort),
            nodes,
            log: createLogger("controlplane"),
          });
          process.stderr.write(
            `control plane ready: xDS+CA on ${cp.grpcAddress}, admin on http://${cp.debugAddress} (state in ${stateDir})\n`,
          );
          closeOnSignals(() => cp.close(), {
            onStop: () => process.stderr.write("stopping the control plane\n"),
          });
        } catch (e) {
          fail(e);
        }
      },
    );

  program
    .command("proxy-status")
    .description(
      "Connected proxies and, per resource type, whether they ACKed the latest config or NACKed it",
    )
    .option("-o, --output <format>", "table or json", "table")
    .action(async (opts: { output: string }, cmd: Command) => {
      try {
        const res = await adminRequest<ProxyStatus[]>(adminTarget(globalOpts(cmd)), "GET", "/debug/syncz");
        if (opts.output === "json")
          return void process.stdout.write(`${JSON.stringify(res.body, null, 2)}\n`);
        if (res.body.length === 0) return void process.stderr.write("No proxies are connected.\n");
        const shortType = (t: string) => t.slice(t.lastIndexOf(".") + 1);
        const types = [...new Set(res.body.flatMap((p) => p.types.map((t) => t.typeUrl)))].sort();
        const rows = res.body
          .sort((a, b) => a.nodeId.localeCompare(b.nodeId))
          .map((p) => [
            p.nodeId,
            p.peer,
            ...types.map((tu) => syncState(p.types.find((t) => t.typeUrl === tu))),
            p.connectedAt,
          ]);
        process.stdout.write(
          `${table(["PROXY", "PEER", ...types.map((t) => shortType(t).toUpperCase()), "CONNECTED"], rows)}\n`,
        );
        for (const p of res.body)
          for (const t of p.types)
            if (t.lastNack)
              process.stdout.write(
                `\n${p.nodeId} NACKed ${shortType(t.typeUrl)} version ${t.lastNack.version}: ${t.lastNack.message}\n`,
              );
      } catch (e) {
        fail(e);
      }
    });

  const token = program
    .command("node-token")
    .description("Manage the bearer tokens node proxies use for xDS and certificates");
  token
    .command("create")
    .argument("<node>", "node name")
    .description("Create (or replace) a node's token and print it once; it is stored only as a hash")
    .action(async (node: string, _o: unknown, cmd: Command) => {
      try {
        const store = await NodeTokenStore.open(stateDirOf(cmd));
        process.stdout.write(`${await store.create(node)}\n`);
      } catch (e) {
        fail(e);
      }
    });
  token
    .command("revoke")
    .argument("<node>", "node name")
    .description("Revoke a node's token")
    .action(async (node: string, _o: unknown, cmd: Command) => {
      try {
        const store = await NodeTokenStore.open(stateDirOf(cmd));
        if (!(await store.revoke(node))) throw new AmbitError("NOT_FOUND", `node ${node} has no token`);
        process.stderr.write(`token of ${node} revoked (already-open streams end at their next reconnect)\n`);
      } catch (e) {
        fail(e);
      }
    });
}

interface ProxyStatus {
  nodeId: string;
  peer: string;
  connectedAt: string;
  types: {
    typeUrl: string;
    sentVersion: number;
    ackedVersion: number;
    pendingResponses: number;
    lastNack?: { version: number; message: string };
  }[];
}

function syncState(t: ProxyStatus["types"][number] | undefined): string {
  if (!t) return "-";
  if (t.lastNack && t.lastNack.version >= t.ackedVersion) return `NACKED (v${t.lastNack.version})`;
  if (t.pendingResponses > 0 || t.ackedVersion < t.sentVersion) return `STALE (v${t.ackedVersion})`;
  return `SYNCED (v${t.ackedVersion})`;
}
