/**
 * `ambit ztunnel-config workloads|services|policies|certificates|connections`: what a node proxy
 * holds, read from its admin API, with the columns of `istioctl ztunnel-config`.
 */
import type { Command } from "commander";
import { AmbitError } from "../../common/errors.js";
import { localLayout } from "../../local/layout.js";
import { requireRecord } from "../../local/record.js";
import { unixGet } from "../../local/unix-http.js";
import type { Authorization } from "../../model/authorization.js";
import type { Service, Workload } from "../../model/workload.js";
import type { ConnectionInfo } from "../../ztunnel/connections.js";
import type { CertStatus } from "../../ztunnel/certs.js";
import { fail, table } from "../output.js";
import { stateDirOf } from "../globals.js";

interface Dump {
  node: string;
  workloads: Workload[];
  services: Service[];
  policies: Authorization[];
  certificates: CertStatus[];
  connections: ConnectionInfo[];
}

const VIEWS = ["workloads", "services", "policies", "certificates", "connections", "all"] as const;
type View = (typeof VIEWS)[number];

export function renderView(view: Exclude<View, "all">, dumps: readonly Dump[]): string {
  const first = dumps[0];
  if (!first) return "";
  switch (view) {
    case "workloads":
      return table(
        ["NAMESPACE", "POD NAME", "ADDRESS", "NODE", "WAYPOINT", "PROTOCOL"],
        [...first.workloads]
          .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
          .map((w) => [
            w.namespace,
            w.name,
            w.addresses.join(","),
            w.node || "None",
            w.waypoint?.gateway.split("/")[1] ?? "None",
            w.tunnelProtocol === "HBONE" ? "HBONE" : "TCP",
          ]),
      );
    case "services":
      return table(
        ["NAMESPACE", "SERVICE NAME", "SERVICE VIP", "WAYPOINT", "ENDPOINTS"],
        [...first.services]
          .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
          .map((s) => {
            const healthy = s.endpoints.filter(
              (uid) => first.workloads.find((w) => w.uid === uid)?.healthy,
            ).length;
            return [
              s.namespace,
              s.name,
              s.addresses.join(","),
              s.waypoint?.gateway.split("/")[1] ?? "None",
              `${healthy}/${s.endpoints.length}`,
            ];
          }),
      );
    case "policies":
      return table(
        ["NAMESPACE", "POLICY NAME", "ACTION", "SCOPE", "NOTE"],
        [...first.policies]
          .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
          .map((p) => [
            p.namespace,
            p.name,
            p.dryRun ? `${p.action} (dry-run)` : p.action,
            scopeText(p),
            p.l7Warning ? "L7 attributes: fails closed" : "",
          ]),
      );
    case "certificates":
      return table(
        ["NODE", "CERTIFICATE NAME", "TYPE", "STATUS", "SERIAL NUMBER", "NOT AFTER", "NOT BEFORE"],
        dumps.flatMap((d) =>
          d.certificates.map((c) => [
            d.node,
            c.identity,
            "Leaf",
            c.state,
            c.serial ?? "",
            c.notAfter ? String(c.notAfter) : "",
            c.notBefore ? String(c.notBefore) : "",
          ]),
        ),
      );
    case "connections":
      return table(
        [
          "NODE",
          "DIRECTION",
          "MODE",
          "SOURCE",
          "DESTINATION",
          "SOURCE IDENTITY",
          "DESTINATION IDENTITY",
          "SENT",
          "RECEIVED",
        ],
        dumps.flatMap((d) =>
          d.connections.map((c) => [
            d.node,
            c.direction,
            c.mode,
            c.sourceWorkload ?? c.source,
            c.destinationWorkload ?? c.destination,
            c.sourceIdentity ?? "",
            c.destinationIdentity ?? "",
            String(c.bytesSent),
            String(c.bytesReceived),
          ]),
        ),
      );
  }
}

function scopeText(p: Authorization): string {
  if (p.scope === "GLOBAL") return "Global";
  if (p.scope === "NAMESPACE") return `Namespace ${p.namespace}`;
  return "WorkloadSelector";
}

export function registerZtunnelConfig(program: Command): void {
  program
    .command("ztunnel-config")
    .alias("zc")
    .description("What the node proxies hold: workloads, services, policies, certificates, connections")
    .argument("<view>", VIEWS.join("|"))
    .option("--node <name>", "only this node's proxy (default: every node)")
    .option("-o, --output <format>", "table or json", "table")
    .addHelpText(
      "after",
      "\nExamples:\n  ambit ztunnel-config workloads\n  ambit ztunnel-config certificates --node node-1 -o json",
    )
    .action(async (view: string, f: { node?: string; output: string }, cmd: Command) => {
      try {
        if (!(VIEWS as readonly string[]).includes(view))
          throw new AmbitError("BAD_ARGUMENT", `unknown view "${view}"`, `use one of ${VIEWS.join(", ")}`);
        const stateDir = stateDirOf(cmd);
        const layout = localLayout(stateDir);
        const rec = requireRecord(layout.record);
        const nodes = rec.nodes.map((n) => n.name).filter((n) => !f.node || n === f.node);
        if (nodes.length === 0)
          throw new AmbitError(
            "NOT_FOUND",
            `no node ${f.node}`,
            `nodes: ${rec.nodes.map((n) => n.name).join(", ")}`,
          );
        const dumps: Dump[] = [];
        for (const n of nodes) {
          const res = await unixGet(layout.node(n).adminSocket, "/config_dump");
          dumps.push(JSON.parse(res.body) as Dump);
        }
        const views = view === "all" ? VIEWS.filter((v) => v !== "all") : [view as Exclude<View, "all">];
        if (f.output === "json") {
          const pick = (d: Dump) => (view === "all" ? d : { node: d.node, [view]: d[view as keyof Dump] });
          return void process.stdout.write(`${JSON.stringify(dumps.map(pick), null, 2)}\n`);
        }
        for (const v of views)
          process.stdout.write(`${renderView(v, dumps)}\n${views.length > 1 ? "\n" : ""}`);
      } catch (e) {
        fail(e);
      }
    });
}
