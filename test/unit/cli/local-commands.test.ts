import { test } from "node:test";
import assert from "node:assert/strict";
import { applyLabelArgs } from "../../../src/cli/commands/label.js";
import { resolvePod } from "../../../src/cli/commands/exec.js";
import { describeWorkload } from "../../../src/cli/commands/describe.js";
import type { ClusterRecord } from "../../../src/local/record.js";
import type { Workload } from "../../../src/model/workload.js";

test("label arguments: k=v sets, k- removes, anything else is refused with the syntax", () => {
  assert.deepEqual(applyLabelArgs({ a: "1", b: "2" }, ["istio.io/dataplane-mode=ambient", "b-"]), {
    a: "1",
    "istio.io/dataplane-mode": "ambient",
  });
  assert.deepEqual(applyLabelArgs({}, ["empty="]), { empty: "" });
  assert.throws(() => applyLabelArgs({}, ["novalue"]), /KEY=VALUE or KEY-/);
  assert.throws(() => applyLabelArgs({}, ["a=b=c"]), /KEY=VALUE/);
});

const rec: ClusterRecord = {
  prefix: "amb123456",
  pid: 1,
  startedAt: "",
  nodes: [],
  pids: [],
  debugAddress: "",
  pods: {
    "default/sleep-5f7c9d8b4-abcde": { netns: "n1", node: "node-1", ip: "10.244.1.2" },
    "default/sleep-5f7c9d8b4-zzzzz": { netns: "n2", node: "node-2", ip: "10.244.2.2" },
    "default/sleepy-77f9-aaaaa": { netns: "n3", node: "node-1", ip: "10.244.1.3" },
    "other/httpbin": { netns: "n4", node: "node-1", ip: "10.244.1.4" },
  },
};

test("exec targets: deploy/NAME picks a ready pod of that Deployment only; plain names are exact", () => {
  assert.equal(resolvePod(rec, new Set(), "default", "deploy/sleep"), "default/sleep-5f7c9d8b4-abcde");
  assert.equal(
    resolvePod(rec, new Set(["default/sleep-5f7c9d8b4-zzzzz"]), "default", "deploy/sleep"),
    "default/sleep-5f7c9d8b4-zzzzz",
  );
  assert.equal(resolvePod(rec, new Set(), "other", "httpbin"), "other/httpbin");
  assert.equal(resolvePod(rec, new Set(), "other", "pod/httpbin"), "other/httpbin");
  assert.throws(() => resolvePod(rec, new Set(), "default", "deploy/nothing"), /has no pods/);
  assert.throws(() => resolvePod(rec, new Set(), "default", "httpbin"), /not found/);
});

test("describe says why a pod is enrolled, its identity, policies and mTLS mode", () => {
  const w: Workload = {
    uid: "Kubernetes//Pod/default/httpbin-1",
    name: "httpbin-1",
    namespace: "default",
    kind: "Pod",
    serviceAccount: "httpbin",
    trustDomain: "cluster.local",
    identity: "spiffe://cluster.local/ns/default/sa/httpbin",
    addresses: ["10.244.1.5"],
    network: "",
    node: "node-1",
    labels: { app: "httpbin" },
    workloadName: "httpbin",
    canonicalName: "httpbin",
    canonicalRevision: "v1",
    enrolled: true,
    enrollmentReason: "namespace label istio.io/dataplane-mode=ambient",
    tunnelProtocol: "HBONE",
    services: { "default/httpbin.default.svc.cluster.local": [{ servicePort: 8000, targetPort: 8080 }] },
    authorizationPolicies: ["default/allow-sleep"],
    healthy: true,
  };
  const lines = describeWorkload({
    workload: w,
    services: [],
    authorizations: [
      {
        name: "allow-sleep",
        namespace: "default",
        scope: "WORKLOAD_SELECTOR",
        action: "ALLOW",
        rules: [],
        dryRun: false,
      },
      { name: "deny-all", namespace: "other", scope: "NAMESPACE", action: "DENY", rules: [], dryRun: false },
    ],
    peerAuthentications: [
      {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: { name: "default", namespace: "istio-system" },
        spec: { mtls: { mode: "STRICT" } },
      },
    ],
    rootNamespace: "istio-system",
  }).join("\n");
  assert.match(lines, /Enrolled: {3}yes — namespace label istio\.io\/dataplane-mode=ambient/);
  assert.match(lines, /spiffe:\/\/cluster\.local\/ns\/default\/sa\/httpbin/);
  assert.match(lines, /default\/allow-sleep: ALLOW, selects this pod/);
  assert.doesNotMatch(lines, /deny-all/);
  assert.match(lines, /port 8080: STRICT \(PeerAuthentication istio-system\/default\)/);
  assert.match(lines, /Certificate: not issued yet/);
});
