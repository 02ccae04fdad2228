/**
 * Kubernetes core kinds Ambit reads: Namespace, ServiceAccount, Service, Pod, ConfigMap (v1),
 * Deployment (apps/v1), NetworkPolicy (networking.k8s.io/v1). The fields Ambit uses are typed
 * and checked; the other fields Kubernetes defines are accepted as they are (a manifest written
 * for a cluster must validate), and anything else is an unknown field.
 */
import { z } from "zod";
import { defineKind } from "./define.js";
import { validateMeshConfigText } from "./meshconfig.js";
import {
  annotations,
  cidr,
  dnsLabel,
  enumOf,
  ipAddress,
  labels,
  labelSelector,
  nonEmpty,
  obj,
  port,
  portOrName,
} from "../schema/primitives.js";

/** Fields Kubernetes defines that Ambit carries without interpreting. */
function accepted(names: readonly string[]): Record<string, z.ZodOptional<z.ZodUnknown>> {
  return Object.fromEntries(names.map((n) => [n, z.unknown().optional()]));
}

const protocol = enumOf(["TCP", "UDP", "SCTP"]);

const envVar = obj({
  name: nonEmpty,
  value: z.string({ error: "env values must be strings (quote numbers)" }).optional(),
  valueFrom: z.unknown().optional(),
});

const containerPort = obj({
  name: dnsLabel.max(15, "port names are at most 15 characters").optional(),
  containerPort: port,
  protocol: protocol.default("TCP"),
  hostPort: port.optional(),
  hostIP: z.string().optional(),
});

export const container = obj({
  name: dnsLabel,
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string({ error: "args must be strings (quote numbers)" })).optional(),
  env: z.array(envVar).optional(),
  ports: z.array(containerPort).optional(),
  workingDir: z.string().optional(),
  ...accepted([
    "resources",
    "volumeMounts",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "securityContext",
    "imagePullPolicy",
    "lifecycle",
    "envFrom",
    "stdin",
    "stdinOnce",
    "tty",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "volumeDevices",
    "resizePolicy",
    "restartPolicy",
  ]),
});

export const podSpec = obj({
  containers: z.array(container).min(1, "a pod needs at least one container"),
  initContainers: z.array(container).optional(),
  serviceAccountName: dnsLabel.optional(),
  serviceAccount: dnsLabel.optional(),
  nodeName: z.string().optional(),
  hostNetwork: z.boolean().optional(),
  hostname: dnsLabel.optional(),
  subdomain: dnsLabel.optional(),
  restartPolicy: enumOf(["Always", "OnFailure", "Never"]).optional(),
  terminationGracePeriodSeconds: z.number().int().min(0).optional(),
  ...accepted([
    "volumes",
    "securityContext",
    "affinity",
    "tolerations",
    "nodeSelector",
    "dnsPolicy",
    "dnsConfig",
    "imagePullSecrets",
    "priorityClassName",
    "priority",
    "preemptionPolicy",
    "automountServiceAccountToken",
    "schedulerName",
    "topologySpreadConstraints",
    "enableServiceLinks",
    "runtimeClassName",
    "hostAliases",
    "shareProcessNamespace",
    "readinessGates",
    "overhead",
    "ephemeralContainers",
    "hostPID",
    "hostIPC",
    "hostUsers",
    "os",
    "setHostnameAsFQDN",
    "activeDeadlineSeconds",
    "schedulingGates",
    "resourceClaims",
  ]),
});

defineKind({
  group: "",
  kind: "Namespace",
  versions: ["v1"],
  namespaced: false,
  specOptional: true,
  spec: obj({ finalizers: z.array(z.string()).optional() }),
  description: "A namespace; label it istio.io/dataplane-mode=ambient to enroll its pods.",
});

defineKind({
  group: "",
  kind: "ServiceAccount",
  versions: ["v1"],
  namespaced: true,
  fields: accepted(["secrets", "imagePullSecrets", "automountServiceAccountToken"]),
  description: "A service account: the identity (SPIFFE ID) of the pods that run as it.",
});

defineKind({
  group: "",
  kind: "Pod",
  versions: ["v1"],
  namespaced: true,
  spec: podSpec,
  check: (pod, report) => {
    const spec = pod.spec as z.infer<typeof podSpec>;
    if (spec.serviceAccount && spec.serviceAccountName && spec.serviceAccount !== spec.serviceAccountName)
      report(
        ["spec", "serviceAccount"],
        "serviceAccount (deprecated) differs from serviceAccountName; remove it",
      );
    uniqueNames(spec.containers, ["spec", "containers"], report);
  },
  deprecations: [
    {
      path: "spec.serviceAccount",
      message: "spec.serviceAccount is deprecated: use spec.serviceAccountName",
    },
  ],
  description: "A pod; in local mode its containers' commands run inside its own network namespace.",
});

const servicePort = obj({
  name: dnsLabel.optional(),
  port,
  targetPort: portOrName.optional(),
  protocol: protocol.default("TCP"),
  appProtocol: z.string().optional(),
  nodePort: port.optional(),
});

const serviceSpec = obj({
  selector: labels.optional(),
  ports: z.array(servicePort).optional(),
  type: enumOf(["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]).default("ClusterIP"),
  clusterIP: z
    .union([ipAddress, z.literal("None"), z.literal("")], {
      error: 'clusterIP must be an IP address, "None" or empty',
    })
    .optional(),
  clusterIPs: z.array(z.union([ipAddress, z.literal("None")])).optional(),
  externalName: z.string().optional(),
  ...accepted([
    "sessionAffinity",
    "sessionAffinityConfig",
    "ipFamilies",
    "ipFamilyPolicy",
    "internalTrafficPolicy",
    "externalTrafficPolicy",
    "publishNotReadyAddresses",
    "loadBalancerIP",
    "loadBalancerSourceRanges",
    "externalIPs",
    "healthCheckNodePort",
    "allocateLoadBalancerNodePorts",
    "loadBalancerClass",
    "trafficDistribution",
  ]),
});

defineKind({
  group: "",
  kind: "Service",
  versions: ["v1"],
  namespaced: true,
  spec: serviceSpec,
  check: (svc, report) => {
    const spec = svc.spec as z.infer<typeof serviceSpec>;
    const ports = spec.ports ?? [];
    if (ports.length > 1)
      ports.forEach((p, i) => {
        if (!p.name)
          report(["spec", "ports", i, "name"], "name is required when a Service has more than one port");
      });
    uniqueNames(
      ports.filter((p) => p.name),
      ["spec", "ports"],
      report,
    );
    if (spec.type === "ExternalName" && !spec.externalName)
      report(["spec", "externalName"], "externalName is required for type ExternalName");
  },
  description: "A Kubernetes Service: a VIP and DNS name in front of the pods its selector picks.",
});

const deploymentSpec = obj({
  replicas: z.number().int().min(0, "replicas must not be negative").default(1),
  selector: labelSelector,
  template: obj({
    metadata: obj({
      labels: labels.optional(),
      annotations: annotations.optional(),
      name: z.string().optional(),
    }).optional(),
    spec: podSpec,
  }),
  ...accepted(["strategy", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds", "paused"]),
});

defineKind({
  group: "apps",
  kind: "Deployment",
  versions: ["v1"],
  namespaced: true,
  spec: deploymentSpec,
  check: (d, report) => {
    const spec = d.spec as z.infer<typeof deploymentSpec>;
    const tl = spec.template.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(spec.selector.matchLabels ?? {}))
      if (tl[k] !== v)
        report(
          ["spec", "selector", "matchLabels", k],
          `selector does not match the template: template.metadata.labels needs ${k}: ${v}`,
        );
  },
  description: "A Deployment: `replicas` pods from a template, spread over the nodes.",
});

defineKind({
  group: "",
  kind: "ConfigMap",
  versions: ["v1"],
  namespaced: true,
  fields: {
    data: z.record(z.string(), z.string({ error: "ConfigMap data values must be strings" })).optional(),
    binaryData: z.record(z.string(), z.string()).optional(),
    immutable: z.boolean().optional(),
  },
  // Istio keeps the mesh config in ConfigMap `istio` (or `istio-<revision>`) under data.mesh.
  check: (cm, report) => {
    const mesh = (cm.data as Record<string, string> | undefined)?.mesh;
    if (mesh === undefined || !/^istio(-[a-z0-9-]+)?$/.test(cm.metadata.name)) return;
    for (const f of validateMeshConfigText(mesh))
      report(
        ["data", "mesh"],
        `${f.path ? `${f.path}: ` : f.line !== undefined ? `line ${f.line}: ` : ""}${f.message}`,
        {
          severity: f.severity,
          code: f.code,
        },
      );
  },
  description: "A ConfigMap; `istio` in the root namespace holds the mesh config under data.mesh.",
});

const npPort = obj({
  protocol: protocol.default("TCP"),
  port: portOrName.optional(),
  endPort: port.optional(),
});
const npPeer = obj({
  podSelector: labelSelector.optional(),
  namespaceSelector: labelSelector.optional(),
  ipBlock: obj({ cidr, except: z.array(cidr).optional() }).optional(),
}).superRefine((p, ctx) => {
  if (p.ipBlock && (p.podSelector || p.namespaceSelector))
    ctx.addIssue({
      code: "custom",
      path: ["ipBlock"],
      message: "ipBlock cannot be combined with podSelector or namespaceSelector",
    });
  if (!p.ipBlock && !p.podSelector && !p.namespaceSelector)
    ctx.addIssue({ code: "custom", message: "a peer needs podSelector, namespaceSelector or ipBlock" });
});
const networkPolicySpec = obj({
  podSelector: labelSelector,
  policyTypes: z.array(enumOf(["Ingress", "Egress"])).optional(),
  ingress: z.array(obj({ from: z.array(npPeer).optional(), ports: z.array(npPort).optional() })).optional(),
  egress: z.array(obj({ to: z.array(npPeer).optional(), ports: z.array(npPort).optional() })).optional(),
});

defineKind({
  group: "networking.k8s.io",
  kind: "NetworkPolicy",
  versions: ["v1"],
  namespaced: true,
  spec: networkPolicySpec,
  check: (np, report) => {
    const spec = np.spec as z.infer<typeof networkPolicySpec>;
    (spec.ingress ?? []).forEach((r, i) => checkEndPorts(r.ports, ["spec", "ingress", i, "ports"], report));
    (spec.egress ?? []).forEach((r, i) => checkEndPorts(r.ports, ["spec", "egress", i, "ports"], report));
  },
  description: "Kubernetes NetworkPolicy, enforced on the original destination port even through the mesh.",
});

function checkEndPorts(
  ports: z.infer<typeof npPort>[] | undefined,
  at: (string | number)[],
  report: (p: (string | number)[], m: string) => void,
) {
  (ports ?? []).forEach((p, i) => {
    if (p.endPort === undefined) return;
    if (typeof p.port !== "number") report([...at, i, "endPort"], "endPort needs a numeric port");
    else if (p.endPort < p.port) report([...at, i, "endPort"], "endPort must not be less than port");
  });
}

function uniqueNames(
  items: readonly { name?: string | undefined }[],
  at: (string | number)[],
  report: (p: (string | number)[], m: string) => void,
) {
  const seen = new Set<string>();
  items.forEach((it, i) => {
    if (!it.name) return;
    if (seen.has(it.name)) report([...at, i, "name"], `duplicate name "${it.name}"`);
    seen.add(it.name);
  });
}
