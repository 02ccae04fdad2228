/**
 * Which port of a workload each service port forwards to, as istiod computes the workload's
 * `services` port lists (constructServices and constructServicesFromWorkloadEntry in
 * pilot/pkg/serviceregistry/kube/controller/ambient/workloads.go):
 *
 * - Service, numeric targetPort: that port.
 * - Service, named targetPort: a Pod's container port of that name with protocol TCP, or a
 *   WorkloadEntry's `ports` entry of that name; a workload without it does not get that port
 *   at all (it is left out of the list, not mapped to 0).
 * - ServiceEntry: targetPort, else the port number; for a WorkloadEntry (or inline endpoint)
 *   whose `ports` has an entry named like the ServiceEntry port, that entry wins.
 */
import type { PortMapping, ServicePort } from "../../model/workload.js";
import type { ContainerPortView } from "./views.js";

export interface PortSource {
  source: "Service" | "ServiceEntry";
  ports: readonly ServicePort[];
}

export function podPortMappings(
  svc: PortSource,
  containerPorts: readonly ContainerPortView[],
): PortMapping[] {
  const out: PortMapping[] = [];
  for (const p of svc.ports) {
    if (svc.source === "Service" && p.targetPortName) {
      const found = containerPorts.find(
        (c) => c.name === p.targetPortName && (c.protocol ?? "TCP") === "TCP",
      );
      if (found?.containerPort === undefined) continue;
      out.push({ servicePort: p.port, targetPort: found.containerPort });
    } else {
      out.push({ servicePort: p.port, targetPort: p.targetPort });
    }
  }
  return out;
}

export function entryPortMappings(
  svc: PortSource,
  entryPorts: Readonly<Record<string, number>>,
): PortMapping[] {
  const out: PortMapping[] = [];
  for (const p of svc.ports) {
    if (svc.source === "Service") {
      if (p.targetPortName) {
        const named = entryPorts[p.targetPortName];
        if (named === undefined) continue;
        out.push({ servicePort: p.port, targetPort: named });
      } else {
        out.push({ servicePort: p.port, targetPort: p.targetPort });
      }
    } else {
      const named = p.name ? entryPorts[p.name] : undefined;
      out.push({ servicePort: p.port, targetPort: named ?? (p.targetPort || p.port) });
    }
  }
  return out;
}
