/** `ambit apply`, `ambit delete`, `ambit get`: the running control plane's config store. */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { stringify } from "yaml";
import type { Finding } from "../../api/findings.js";
import { allKinds } from "../../api/kinds/define.js";
import { expandPaths } from "../../api/load.js";
import type { Resource } from "../../api/resource.js";
import "../../api/kinds/all.js";
import { AmbitError } from "../../common/errors.js";
import { adminRequest, adminTarget } from "../admin-client.js";
import { fail, printFindings, table } from "../output.js";
import { localLayout } from "../../local/layout.js";
import { readStatus, runningRecord, type StatusRecord } from "../../local/record.js";
import { podColumns, serviceColumns } from "./get-columns.js";
import { globalOpts, stateDirOf } from "../globals.js";

/** "<ns>/<name>" -> VIPs the registry gave each Service (local and hosts modes allocate them). */
async function serviceVips(cmd: Command): Promise<Map<string, string[]>> {
  const res = await adminRequest<{
    services: Array<{ namespace: string; name: string; source: string; addresses: string[] }>;
  }>(adminTarget(globalOpts(cmd)), "GET", "/debug/registryz");
  return new Map(
    res.body.services
      .filter((s) => s.source === "Service")
      .map((s) => [`${s.namespace}/${s.name}`, s.addresses]),
  );
}

/** Pod status from the running local cluster, if there is one. */
function liveStatus(stateDir: string): StatusRecord | undefined {
  const layout = localLayout(stateDir);
  return runningRecord(layout.record) ? readStatus(layout.status) : undefined;
}

interface ChangeResult {
  ok: boolean;
  revision: number;
  findings: Finding[];
  record?: { created: string[]; updated: string[]; deleted: string[]; unchanged: string[] };
}

export function readInputs(paths: string[], recursive: boolean): { name: string; text: string }[] {
  return expandPaths(paths, recursive).map((p) => ({
    name: p === "-" ? "<stdin>" : p,
    text: readFileSync(p === "-" ? 0 : p, "utf8"),
  }));
}

function describeKey(key: string): string {
  // "group/Kind/ns/name" -> "Kind ns/name"
  const parts = key.split("/");
  const name = parts.pop()!;
  const ns = parts.pop()!;
  const kind = parts.pop()!;
  return `${kind} ${ns ? `${ns}/${name}` : name}`;
}

function report(result: ChangeResult, verb: "apply" | "delete"): void {
  printFindings(result.findings);
  if (!result.ok) {
    process.stderr.write(
      `nothing was ${verb === "apply" ? "applied" : "deleted"}: the change was rejected as a whole (revision stays ${result.revision})\n`,
    );
    process.exitCode = 1;
    return;
  }
  const r = result.record!;
  for (const k of r.created) process.stdout.write(`${describeKey(k)} created\n`);
  for (const k of r.updated) process.stdout.write(`${describeKey(k)} configured\n`);
  for (const k of r.unchanged) process.stdout.write(`${describeKey(k)} unchanged\n`);
  for (const k of r.deleted) process.stdout.write(`${describeKey(k)} deleted\n`);
  process.stderr.write(`revision ${result.revision}\n`);
}

export function registerConfigCommands(program: Command): void {
  for (const verb of ["apply", "delete"] as const) {
    program
      .command(verb)
      .description(
        verb === "apply"
          ? "Validate and apply configuration as one change (all or nothing)"
          : "Delete the objects named in files, as one change",
      )
      .requiredOption("-f, --filename <path...>", "files or directories (- for standard input)")
      .option("-R, --recursive", "descend into subdirectories", false)
      .addHelpText("after", `\nExample:\n  ambit ${verb} -f samples/httpbin.yaml`)
      .action(async (opts: { filename: string[]; recursive: boolean }, cmd: Command) => {
        try {
          const files = readInputs(opts.filename, opts.recursive);
          const res = await adminRequest<ChangeResult>(
            adminTarget(globalOpts(cmd)),
            "POST",
            `/apis/v1/${verb}`,
            { files },
          );
          report(res.body, verb);
        } catch (e) {
          fail(e);
        }
      });
  }

  program
    .command("get")
    .description("List objects of a kind from the control plane (e.g. pods, services, authorizationpolicies)")
    .argument(
      "<kind>",
      "kind, plural or short name (po, svc, ns, deploy, ap, pa, ra, vs, dr, se, we, gw, httproute...)",
    )
    .argument("[name]", "only this object")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("-A, --all-namespaces", "all namespaces", false)
    .option("-o, --output <format>", "table, wide, yaml or json", "table")
    .action(
      async (
        kindArg: string,
        name: string | undefined,
        opts: { namespace: string; allNamespaces: boolean; output: string },
        cmd: Command,
      ) => {
        try {
          const kind = resolveKind(kindArg);
          const ns = opts.allNamespaces || !kind.namespaced ? undefined : opts.namespace;
          const q = new URLSearchParams({ kind: kind.kind, ...(ns ? { namespace: ns } : {}) });
          const res = await adminRequest<(Resource & { source: { kind: string; file?: string } })[]>(
            adminTarget(globalOpts(cmd)),
            "GET",
            `/apis/v1/objects?${q}`,
          );
          const items = res.body
            .filter((r) => !name || r.metadata.name === name)
            .sort(
              (a, b) =>
                (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
                a.metadata.name.localeCompare(b.metadata.name),
            );
          if (name && items.length === 0)
            throw new AmbitError("NOT_FOUND", `${kind.kind} ${ns ? `${ns}/` : ""}${name} not found`);
          if (opts.output === "json")
            process.stdout.write(
              `${JSON.stringify(items.length === 1 && name ? items[0] : { items }, null, 2)}\n`,
            );
          else if (opts.output === "yaml") process.stdout.write(items.map((i) => stringify(i)).join("---\n"));
          else if (items.length === 0)
            process.stderr.write(`No ${kind.kind} objects found${ns ? ` in namespace ${ns}` : ""}.\n`);
          else if (kind.kind === "Pod" || kind.kind === "Service") {
            const withNs = opts.allNamespaces;
            const cols =
              kind.kind === "Pod"
                ? podColumns(items, liveStatus(stateDirOf(cmd)), opts.output === "wide", withNs)
                : serviceColumns(items, withNs, await serviceVips(cmd));
            process.stdout.write(`${table(cols.head, cols.rows)}\n`);
          } else {
            const rows = items.map((i) => [
              ...(opts.allNamespaces ? [i.metadata.namespace ?? ""] : []),
              i.metadata.name,
              i.apiVersion,
              i.metadata.resourceVersion ?? "",
              i.source.kind === "dir" ? `file ${i.source.file}` : i.source.kind,
            ]);
            process.stdout.write(
              `${table([...(opts.allNamespaces ? ["NAMESPACE"] : []), "NAME", "API VERSION", "REVISION", "SOURCE"], rows)}\n`,
            );
          }
        } catch (e) {
          fail(e);
        }
      },
    );
}

const SHORT: Record<string, string> = {
  po: "Pod",
  svc: "Service",
  ns: "Namespace",
  deploy: "Deployment",
  sa: "ServiceAccount",
  cm: "ConfigMap",
  netpol: "NetworkPolicy",
  ap: "AuthorizationPolicy",
  pa: "PeerAuthentication",
  ra: "RequestAuthentication",
  vs: "VirtualService",
  dr: "DestinationRule",
  se: "ServiceEntry",
  we: "WorkloadEntry",
  gw: "Gateway",
  telemetry: "Telemetry",
};

function resolveKind(arg: string) {
  const a = arg.toLowerCase();
  const kinds = allKinds();
  const hit = kinds.find((k) => {
    const l = k.kind.toLowerCase();
    return (
      a === l ||
      a === `${l}s` ||
      a === `${l}es` ||
      (l.endsWith("y") && a === `${l.slice(0, -1)}ies`) ||
      SHORT[a] === k.kind
    );
  });
  if (!hit)
    throw new AmbitError(
      "UNKNOWN_KIND",
      `unknown kind "${arg}"`,
      "run `ambit validate --list-kinds` to see the kinds",
    );
  return hit;
}
