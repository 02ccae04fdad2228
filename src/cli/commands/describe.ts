/**
 * `ambit describe pod NS/NAME`: is the pod in the mesh and why, who it is (SPIFFE identity), where
 * it runs, which authorization policies and which mTLS mode apply to it, and — in local mode — the
 * validity of the certificate its node proxy holds for it.
 */
import type { Command } from "commander";
import type { Resource } from "../../api/resource.js";
import { AmbitError } from "../../common/errors.js";
import { localLayout } from "../../local/layout.js";
import { runningRecord } from "../../local/record.js";
import { unixGet } from "../../local/unix-http.js";
import type { Authorization } from "../../model/authorization.js";
import type { Service, Workload } from "../../model/workload.js";
import { mtlsMode, policiesFor } from "../../policy/index.js";
import type { CertStatus } from "../../ztunnel/certs.js";
import { adminRequest, adminTarget } from "../admin-client.js";
import { fail } from "../output.js";
import { globalOpts, stateDirOf } from "../globals.js";

export interface DescribeInput {
  workload: Workload;
  services: readonly Service[];
  authorizations: readonly Authorization[];
  peerAuthentications: readonly Resource[];
  rootNamespace: string;
  certificate?: CertStatus;
}

/** The report, as lines. Pure. */
export function describeWorkload(d: DescribeInput): string[] {
  const w = d.workload;
  const out: string[] = [];
  out.push(`Pod:        ${w.namespace}/${w.name}`);
  out.push(`Workload:   ${w.workloadName} (app ${w.canonicalName}, version ${w.canonicalRevision})`);
  out.push(`Node:       ${w.node || "(none)"}`);
  out.push(`Addresses:  ${w.addresses.join(", ") || "(none yet)"}`);
  out.push(`Enrolled:   ${w.enrolled ? "yes" : "no"} — ${w.enrollmentReason}`);
  out.push(`Identity:   ${w.identity} (service account ${w.serviceAccount})`);
  out.push(
    `Protocol:   ${w.tunnelProtocol === "HBONE" ? "HBONE (traffic to it is tunnelled over mTLS)" : "TCP (not captured)"}`,
  );
  if (w.waypoint) out.push(`Waypoint:   ${w.waypoint.gateway}`);
  const svcs = d.services.filter((s) => s.endpoints.includes(w.uid));
  out.push(
    `Services:   ${svcs.map((s) => `${s.hostname} (${s.addresses.join(",") || "no VIP"})`).join(", ") || "(none)"}`,
  );

  const ports = [
    ...new Set(Object.values(w.services).flatMap((m) => m.map((p) => p.targetPort || p.servicePort))),
  ].sort((a, b) => a - b);
  const modes = (ports.length > 0 ? ports : [0]).map((p) => {
    const m = mtlsMode(d.peerAuthentications, w, p, d.rootNamespace);
    return `${p ? `port ${p}: ` : ""}${m.mode}${m.policy ? ` (PeerAuthentication ${m.policy})` : " (default)"}`;
  });
  out.push(`mTLS mode:  ${modes.join("; ")}${w.enrolled ? "" : " — applies only once the pod is enrolled"}`);

  const applied = policiesFor(w, d.authorizations);
  if (applied.length === 0) out.push("Policies:   none: every connection that reaches it is allowed");
  else {
    out.push("Policies:");
    for (const a of applied) {
      const scope =
        a.scope === "GLOBAL" ? "mesh-wide" : a.scope === "NAMESPACE" ? "namespace-wide" : "selects this pod";
      out.push(
        `  - ${a.namespace}/${a.name}: ${a.action}${a.dryRun ? " (dry-run: logged, not enforced)" : ""}, ${scope}`,
      );
      if (a.l7Warning) out.push(`    warning: ${a.l7Warning}`);
    }
  }
  const c = d.certificate;
  if (c)
    out.push(
      `Certificate: ${c.state}${c.notBefore ? `, valid ${String(c.notBefore)} to ${String(c.notAfter)}` : ""}${c.rotatesAt ? `, rotates at ${String(c.rotatesAt)}` : ""}${c.error ? ` (${c.error})` : ""}`,
    );
  else if (w.enrolled)
    out.push("Certificate: not issued yet (the node proxy requests it on the first connection)");
  return out;
}

export function registerDescribe(program: Command): void {
  program
    .command("describe")
    .description("Explain a pod's place in the mesh: enrollment, identity, node, policies, mTLS, certificate")
    .argument("<kind>", "pod")
    .argument("<name>", "NAME or NAMESPACE/NAME")
    .option("-n, --namespace <ns>", "namespace", "default")
    .action(async (kind: string, name: string, f: { namespace: string }, cmd: Command) => {
      try {
        if (!["pod", "po", "pods"].includes(kind.toLowerCase()))
          throw new AmbitError(
            "UNSUPPORTED",
            `ambit describe ${kind}: only pods`,
            "e.g. ambit describe pod default/sleep-5d8f9-x2k4q",
          );
        const [ns, podName] = name.includes("/")
          ? (name.split("/", 2) as [string, string])
          : [f.namespace, name];
        const globals = globalOpts(cmd);
        const target = adminTarget(globals);
        const reg = await adminRequest<{
          workloads: Workload[];
          services: Service[];
          authorizations: Authorization[];
        }>(target, "GET", "/debug/registryz");
        const w = reg.body.workloads.find(
          (x) => x.kind === "Pod" && x.namespace === ns && x.name === podName,
        );
        if (!w)
          throw new AmbitError(
            "NOT_FOUND",
            `pod ${ns}/${podName} not found`,
            "list pods with `ambit get pods -A`",
          );
        const pas = await adminRequest<Resource[]>(target, "GET", "/apis/v1/objects?kind=PeerAuthentication");
        const input: DescribeInput = {
          workload: w,
          services: reg.body.services,
          authorizations: reg.body.authorizations,
          peerAuthentications: pas.body,
          rootNamespace: "istio-system",
        };
        const cert = await localCertificate(stateDirOf(cmd), w);
        if (cert) input.certificate = cert;
        process.stdout.write(`${describeWorkload(input).join("\n")}\n`);
      } catch (e) {
        fail(e);
      }
    });
}

async function localCertificate(stateDir: string, w: Workload): Promise<CertStatus | undefined> {
  const layout = localLayout(stateDir);
  if (!runningRecord(layout.record) || !w.node) return undefined;
  try {
    const res = await unixGet(layout.node(w.node).adminSocket, "/config_dump", 2_000);
    const dump = JSON.parse(res.body) as { certificates?: CertStatus[] };
    return dump.certificates?.find((c) => c.identity === w.identity);
  } catch {
    return undefined;
  }
}
