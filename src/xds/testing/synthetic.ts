/**
 * Synthetic registry content for tests and the xDS load test: realistic-sized workloads,
 * services and policies, deterministic from an index. Not used by production code.
 */
import { l4Match, type Authorization } from "../../model/authorization.js";
import type { Service, Workload } from "../../model/workload.js";

function ip(i: number, base: number): string {
  return `10.${base}.${(i >> 8) & 0xff}.${i & 0xff}`;
}

export function syntheticWorkload(i: number, overrides: Partial<Workload> = {}): Workload {
  const ns = `ns-${i % 50}`;
  const app = `app-${i % 1000}`;
  const name = `${app}-${i.toString(36)}-x7k2p`;
  return {
    uid: `Kubernetes//Pod/${ns}/${name}`,
    name,
    namespace: ns,
    kind: "Pod",
    serviceAccount: app,
    trustDomain: "cluster.local",
    identity: `spiffe://cluster.local/ns/${ns}/sa/${app}`,
    addresses: [ip(i, 1)],
    network: "",
    node: `node-${i % 100}`,
    labels: { app, version: "v1", "pod-template-hash": "7d9f8c6b5" },
    workloadName: app,
    canonicalName: app,
    canonicalRevision: "v1",
    enrolled: true,
    enrollmentReason: "namespace label istio.io/dataplane-mode=ambient",
    tunnelProtocol: "HBONE",
    services: { [`${ns}/${app}.${ns}.svc.cluster.local`]: [{ servicePort: 80, targetPort: 8080 }] },
    authorizationPolicies: i % 10 === 0 ? [`${ns}/policy-${i % 1000}`] : [],
    healthy: true,
    ...overrides,
  };
}

export function syntheticService(i: number, overrides: Partial<Service> = {}): Service {
  const ns = `ns-${i % 50}`;
  const name = `app-${i}`;
  return {
    name,
    namespace: ns,
    hostname: `${name}.${ns}.svc.cluster.local`,
    addresses: [ip(i, 96)],
    ports: [
      { name: "http", port: 80, targetPort: 8080, protocol: "TCP", appProtocol: "http" },
      { name: "grpc", port: 9090, targetPort: 0, targetPortName: "grpc", protocol: "TCP" },
    ],
    source: "Service",
    location: "MESH_INTERNAL",
    endpoints: Array.from({ length: 10 }, (_, k) => `Kubernetes//Pod/${ns}/${name}-${k}`),
    ...overrides,
  };
}

export function syntheticAuthorization(i: number, overrides: Partial<Authorization> = {}): Authorization {
  const ns = `ns-${i % 50}`;
  return {
    name: `policy-${i}`,
    namespace: ns,
    scope: "WORKLOAD_SELECTOR",
    action: "ALLOW",
    rules: [
      {
        clauses: [
          {
            matches: [
              l4Match({ principals: [{ kind: "exact", value: `cluster.local/ns/${ns}/sa/client-${i}` }] }),
            ],
          },
          { matches: [l4Match({ destinationPorts: [8080, 9090] })] },
        ],
      },
    ],
    dryRun: false,
    ...overrides,
  };
}
