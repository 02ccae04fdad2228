/**
 * The pods local mode should be running, read from the registry's scheduled Pods (Deployments
 * already expanded, each pod on a node with an IP). Pure.
 */
import type { Resource } from "../api/resource.js";

export interface DesiredContainer {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  ports?: Array<{ containerPort: number; name?: string; protocol?: string }>;
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
}

export interface DesiredPod {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  ip: string;
  serviceAccount: string;
  containers: DesiredContainer[];
  restartPolicy: "Always" | "OnFailure" | "Never";
}

interface PodShape {
  spec?: {
    nodeName?: string;
    containers?: DesiredContainer[];
    restartPolicy?: string;
    serviceAccountName?: string;
    serviceAccount?: string;
    hostNetwork?: boolean;
  };
  status?: { podIP?: string };
}

export function desiredPods(pods: readonly Resource[]): DesiredPod[] {
  const out: DesiredPod[] = [];
  for (const r of pods) {
    const p = r as unknown as PodShape;
    const node = p.spec?.nodeName;
    const ip = p.status?.podIP;
    if (!node || !ip) continue;
    const policy = p.spec?.restartPolicy;
    out.push({
      namespace: r.metadata.namespace ?? "default",
      name: r.metadata.name,
      uid: r.metadata.uid ?? `${r.metadata.namespace}/${r.metadata.name}`,
      node,
      ip,
      serviceAccount: p.spec?.serviceAccountName ?? p.spec?.serviceAccount ?? "default",
      containers: p.spec?.containers ?? [],
      restartPolicy: policy === "OnFailure" || policy === "Never" ? policy : "Always",
    });
  }
  return out;
}
