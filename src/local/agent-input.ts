/**
 * What a node's redirection rules are made of, derived from the registry (pure): the pods on the
 * node with their host-side veth and whether they are enrolled, and the Service VIPs with the
 * endpoints non-enrolled clients are load-balanced to (our kube-proxy stand-in). Enrolled pods'
 * connections are captured before the VIP rules see them, as on a Kubernetes node where the
 * ztunnel sees the VIP and picks the endpoint itself.
 */
import { workloadPortFor, type Service, type Workload } from "../model/workload.js";
import type { NodeRulesInput, NodeRulesService } from "../node/index.js";

export interface LocalPodPlacement {
  namespace: string;
  name: string;
  node: string;
  ip: string;
  hostVeth: string;
}

export type NodeAgentInput = Pick<NodeRulesInput, "pods" | "services">;

/** The workload port a service port lands on for one endpoint; undefined when it cannot serve it. */
export function targetPortFor(service: Service, servicePort: number, w: Workload): number | undefined {
  const sp = service.ports.find((p) => p.port === servicePort);
  return sp ? workloadPortFor(w, service, sp) : undefined;
}

export function nodeAgentInput(
  node: string,
  placed: readonly LocalPodPlacement[],
  workloads: readonly Workload[],
  services: readonly Service[],
): NodeAgentInput {
  const byIp = new Map<string, Workload>(); // pod IP -> workload
  const byUid = new Map<string, Workload>(); // uid -> workload
  for (const w of workloads) {
    byUid.set(w.uid, w);
    for (const a of w.addresses) byIp.set(a, w);
  }
  const pods = placed
    .filter((p) => p.node === node)
    .map((p) => ({ ip: p.ip, hostVeth: p.hostVeth, enrolled: byIp.get(p.ip)?.enrolled === true }))
    .sort((a, b) => a.ip.localeCompare(b.ip));

  const out: NodeRulesService[] = [];
  for (const s of services) {
    if (s.source !== "Service") continue;
    for (const vip of s.addresses) {
      if (vip.includes(":")) continue; // the IPv4 nat table only; local mode is IPv4
      for (const sp of s.ports) {
        if (sp.protocol && sp.protocol.toUpperCase() !== "TCP") continue;
        const endpoints: Array<{ ip: string; port: number }> = [];
        for (const uid of s.endpoints) {
          const w = byUid.get(uid);
          const ip = w?.addresses.find((a) => !a.includes(":"));
          if (!w || !ip || !w.healthy) continue;
          const port = targetPortFor(s, sp.port, w);
          if (port) endpoints.push({ ip, port });
        }
        out.push({ vip, port: sp.port, endpoints });
      }
    }
  }
  out.sort((a, b) => a.vip.localeCompare(b.vip) || a.port - b.port);
  return { pods, services: out };
}
