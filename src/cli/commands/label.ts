/** `ambit create namespace` and `ambit label`: the two edits users make most, without writing YAML. */
import type { Command } from "commander";
import type { Resource } from "../../api/resource.js";
import { AmbitError } from "../../common/errors.js";
import { adminRequest, adminTarget } from "../admin-client.js";
import { fail, printFindings } from "../output.js";
import { globalOpts } from "../globals.js";

interface ChangeResult {
  ok: boolean;
  revision: number;
  findings: Parameters<typeof printFindings>[0];
}

/** "k=v" sets, "k-" removes (kubectl's syntax). Pure. */
export function applyLabelArgs(
  labels: Record<string, string>,
  args: readonly string[],
): Record<string, string> {
  const out = { ...labels };
  for (const a of args) {
    const rm = /^([A-Za-z0-9./_-]+)-$/.exec(a);
    const set = /^([A-Za-z0-9./_-]+)=([A-Za-z0-9._-]*)$/.exec(a);
    if (rm) delete out[rm[1]!];
    else if (set) out[set[1]!] = set[2]!;
    else
      throw new AmbitError(
        "BAD_LABEL",
        `"${a}" is not KEY=VALUE or KEY-`,
        "e.g. ambit label namespace default istio.io/dataplane-mode=ambient (or istio.io/dataplane-mode- to remove)",
      );
  }
  return out;
}

async function post(cmd: Command, doc: unknown, what: string): Promise<void> {
  const res = await adminRequest<ChangeResult>(adminTarget(globalOpts(cmd)), "POST", "/apis/v1/apply", {
    files: [{ name: `<${what}>`, text: JSON.stringify(doc) }],
  });
  printFindings(res.body.findings);
  if (!res.body.ok) {
    process.exitCode = 1;
    process.stderr.write(`${what}: rejected; nothing changed\n`);
    return;
  }
  process.stdout.write(`${what}\n`);
}

export function registerLabel(program: Command): void {
  program
    .command("create")
    .description("Create an object from the command line (only `namespace` for now)")
    .argument("<kind>", "namespace (ns)")
    .argument("<name>")
    .action(async (kind: string, name: string, _f: unknown, cmd: Command) => {
      try {
        if (!["namespace", "ns", "namespaces"].includes(kind.toLowerCase()))
          throw new AmbitError(
            "UNSUPPORTED",
            `ambit create ${kind}: only namespaces`,
            "write YAML and use `ambit apply -f`",
          );
        await post(
          cmd,
          { apiVersion: "v1", kind: "Namespace", metadata: { name } },
          `namespace/${name} created`,
        );
      } catch (e) {
        fail(e);
      }
    });

  program
    .command("label")
    .description("Set (k=v) or remove (k-) labels on a namespace or pod, e.g. to enroll it in the mesh")
    .argument("<kind>", "namespace (ns) or pod (po)")
    .argument("<name>")
    .argument("<labels...>", "KEY=VALUE to set, KEY- to remove")
    .option("-n, --namespace <ns>", "namespace of the pod", "default")
    .addHelpText(
      "after",
      "\nExamples:\n  ambit label namespace default istio.io/dataplane-mode=ambient\n  ambit label pod sleep-5d8f9-x2k4q istio.io/dataplane-mode=none\n\nA pod made by a Deployment keeps the label until the Deployment replaces it.",
    )
    .action(async (kind: string, name: string, labels: string[], f: { namespace: string }, cmd: Command) => {
      try {
        const k = kind.toLowerCase();
        const isNs = ["namespace", "ns", "namespaces"].includes(k);
        const isPod = ["pod", "po", "pods"].includes(k);
        if (!isNs && !isPod)
          throw new AmbitError(
            "UNSUPPORTED",
            `ambit label ${kind}: only namespaces and pods`,
            "edit the YAML and `ambit apply -f` it",
          );
        const q = new URLSearchParams({
          kind: isNs ? "Namespace" : "Pod",
          ...(isPod ? { namespace: f.namespace } : {}),
        });
        const res = await adminRequest<Resource[]>(
          adminTarget(globalOpts(cmd)),
          "GET",
          `/apis/v1/objects?${q}`,
        );
        const obj = res.body.find((o) => o.metadata.name === name);
        if (!obj && isPod)
          throw new AmbitError(
            "NOT_FOUND",
            `pod ${f.namespace}/${name} not found`,
            "list pods with `ambit get pods -n NS`",
          );
        const base: Resource = obj ?? { apiVersion: "v1", kind: "Namespace", metadata: { name } };
        const doc = {
          apiVersion: base.apiVersion,
          kind: base.kind,
          metadata: {
            name: base.metadata.name,
            ...(base.metadata.namespace ? { namespace: base.metadata.namespace } : {}),
            labels: applyLabelArgs(base.metadata.labels ?? {}, labels),
            ...(base.metadata.annotations ? { annotations: base.metadata.annotations } : {}),
          },
          ...(base.spec !== undefined ? { spec: base.spec } : {}),
        };
        await post(cmd, doc, `${isNs ? "namespace" : "pod"}/${name} labeled`);
      } catch (e) {
        fail(e);
      }
    });
}
