/**
 * Expands a Deployment into its pods, as the Deployment and ReplicaSet controllers would, for the
 * local and hosts modes (in Kubernetes mode pods come from the API). The pods carry what
 * Kubernetes puts on them and what Istio reads back: the `pod-template-hash` label, a
 * `generateName`, and a controller owner reference to the ReplicaSet "<deployment>-<hash>", from
 * which istiod derives the workload name (pkg/kube GetDeployMetaFromPod).
 */
import type { Resource } from "../../api/resource.js";
import { podSuffix, podTemplateHash } from "./naming.js";
import { deploymentSpec, namespaceOf, type PodMetaView } from "./views.js";

export function expandDeployment(deployment: Resource): Resource[] {
  const spec = deploymentSpec(deployment);
  const ns = namespaceOf(deployment);
  const template = spec.template ?? {};
  const replicas = Number.isInteger(spec.replicas) && (spec.replicas ?? 0) >= 0 ? (spec.replicas ?? 1) : 1;
  const hash = podTemplateHash(template);
  const replicaSet = `${deployment.metadata.name}-${hash}`;

  const pods: Resource[] = [];
  const used = new Set<string>();
  for (let i = 0; i < replicas; i++) {
    // The suffix depends only on the template and the replica index, so scaling 3 -> 4 keeps
    // the first three names. Two indices hashing to one suffix are told apart by a salt.
    let name = "";
    for (let salt = 0; name === "" || used.has(name); salt++) {
      name = `${replicaSet}-${podSuffix(`${ns}/${replicaSet}/${i}${salt ? `#${salt}` : ""}`)}`;
    }
    used.add(name);
    pods.push(podFromTemplate(name, ns, replicaSet, hash, template));
  }
  return pods;
}

function podFromTemplate(
  name: string,
  namespace: string,
  replicaSet: string,
  hash: string,
  template: NonNullable<ReturnType<typeof deploymentSpec>["template"]>,
): Resource {
  const metadata: PodMetaView = {
    name,
    namespace,
    generateName: `${replicaSet}-`,
    labels: { ...(template.metadata?.labels ?? {}), "pod-template-hash": hash },
    ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: replicaSet, controller: true }],
  };
  if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  return { apiVersion: "v1", kind: "Pod", metadata, spec: structuredClone(template.spec ?? {}) };
}
