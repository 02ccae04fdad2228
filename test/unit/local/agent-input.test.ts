import { test } from "node:test";
import assert from "node:assert/strict";
import { nodeAgentInput, targetPortFor } from "../../../src/local/agent-input.js";
import type { Service, Workload } from "../../../src/model/workload.js";

function wl(
  name: string,
  ip: string,
  node: string,
  enrolled: boolean,
  extra: Partial<Workload> = {},
): Workload {
  return {
    uid: `Kubernetes//Pod/default/${name}`,
    name,
    namespace: "default",
    kind: "Pod",
    serviceAccount: "default",
    trustDomain: "cluster.local",
    identity: "spiffe://cluster.local/ns/default/sa/default",
    addresses: [ip],
    network: "",
    node,
    labels: {},
    workloadName: name,
    canonicalName: name,
    canonicalRevision: "latest",
    enrolled,
    enrollmentReason: "",
    tunnelProtocol: enrolled ? "HBONE" : "NONE",
    services: {},
    authorizationPolicies: [],
    healthy: true,
    ...extra,
  };
}

const svc: Service = {
  name: "httpbin",
  namespace: "default",
  hostname: "httpbin.default.svc.cluster.local",
  addresses: ["10.96.0.10"],
  ports: [{ name: "http", port: 8000, targetPort: 8080, protocol: "TCP" }],
  source: "Service",
  location: "MESH_INTERNAL",
  endpoints: ["Kubernetes//Pod/default/a", "Kubernetes//Pod/default/b", "Kubernetes//Pod/default/c"],
};

test("pods of the node with their enrollment, services with endpoints and target ports", () => {
  const a = wl("a", "10.244.1.2", "node-1", true);
  const b = wl("b", "10.244.2.2", "node-2", false, {
    services: { "default/httpbin.default.svc.cluster.local": [{ servicePort: 8000, targetPort: 9090 }] },
  });
  const c = wl("c", "10.244.2.3", "node-2", false, { healthy: false });
  const input = nodeAgentInput(
    "node-1",
    [
      { namespace: "default", name: "a", node: "node-1", ip: "10.244.1.2", hostVeth: "av1" },
      { namespace: "default", name: "b", node: "node-2", ip: "10.244.2.2", hostVeth: "av2" },
    ],
    [a, b, c],
    [svc],
  );
  assert.deepEqual(input.pods, [{ ip: "10.244.1.2", hostVeth: "av1", enrolled: true }]);
  assert.deepEqual(input.services, [
    {
      vip: "10.96.0.10",
      port: 8000,
      endpoints: [
        { ip: "10.244.1.2", port: 8080 },
        { ip: "10.244.2.2", port: 9090 },
      ],
    },
  ]);
});

test("a pod the registry does not know is not enrolled; ServiceEntries and UDP ports get no VIP rules", () => {
  const input = nodeAgentInput(
    "node-1",
    [{ namespace: "default", name: "x", node: "node-1", ip: "10.244.1.9", hostVeth: "av9" }],
    [],
    [
      { ...svc, source: "ServiceEntry" },
      { ...svc, name: "dns", ports: [{ name: "dns", port: 53, targetPort: 53, protocol: "UDP" }] },
    ],
  );
  assert.deepEqual(input.pods, [{ ip: "10.244.1.9", hostVeth: "av9", enrolled: false }]);
  assert.deepEqual(input.services, []);
});

test("target port: mapping 0 means the service port; a named port the workload lacks gets nothing", () => {
  const w = wl("a", "10.244.1.2", "node-1", true, {
    services: { "default/httpbin.default.svc.cluster.local": [{ servicePort: 8000, targetPort: 0 }] },
  });
  assert.equal(targetPortFor(svc, 8000, w), 8000);
  const named: Service = {
    ...svc,
    ports: [{ name: "http", port: 80, targetPort: 0, targetPortName: "web", protocol: "TCP" }],
  };
  assert.equal(targetPortFor(named, 80, wl("b", "10.244.1.3", "node-1", true)), undefined);
  assert.equal(targetPortFor(svc, 9999, wl("b", "10.244.1.3", "node-1", true)), undefined);
});
