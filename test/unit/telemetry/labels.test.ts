import { test } from "node:test";
import assert from "node:assert/strict";
import { connectionLabels, TCP_LABEL_NAMES, type PeerWorkload } from "../../../src/telemetry/index.js";

const sleep: PeerWorkload = {
  name: "sleep-7d9f-abcde",
  workloadName: "sleep",
  namespace: "default",
  canonicalName: "sleep",
  canonicalRevision: "latest",
  labels: { app: "sleep" },
  identity: "spiffe://cluster.local/ns/default/sa/sleep",
  uid: "Kubernetes//Pod/default/sleep-7d9f-abcde",
};
const httpbin: PeerWorkload = {
  name: "httpbin-5c6d-xyz",
  workloadName: "httpbin",
  namespace: "default",
  canonicalName: "httpbin",
  canonicalRevision: "v1",
  labels: { app: "httpbin", version: "v1" },
  identity: "spiffe://cluster.local/ns/default/sa/httpbin",
  cluster: "east",
};
const service = { hostname: "httpbin.default.svc.cluster.local", name: "httpbin", namespace: "default" };

test("every series has exactly Istio's standard TCP label set", () => {
  assert.equal(TCP_LABEL_NAMES.length, 23);
  const l = connectionLabels({ reporter: "source", securityPolicy: "unknown" });
  assert.deepEqual(Object.keys(l).sort(), [...TCP_LABEL_NAMES].sort());
});

test("labels table", () => {
  const cases: {
    name: string;
    got: ReturnType<typeof connectionLabels>;
    want: Partial<ReturnType<typeof connectionLabels>>;
  }[] = [
    {
      name: "destination reporter, mTLS, both workloads known",
      got: connectionLabels({
        reporter: "destination",
        source: sleep,
        destination: httpbin,
        sourcePrincipal: "spiffe://cluster.local/ns/default/sa/sleep",
        service,
        securityPolicy: "mutual_tls",
      }),
      want: {
        reporter: "destination",
        source_workload: "sleep",
        source_canonical_service: "sleep",
        source_canonical_revision: "latest",
        source_workload_namespace: "default",
        source_principal: "spiffe://cluster.local/ns/default/sa/sleep",
        source_app: "sleep",
        source_version: "latest",
        source_cluster: "Kubernetes",
        destination_service: "httpbin.default.svc.cluster.local",
        destination_service_name: "httpbin",
        destination_service_namespace: "default",
        destination_workload: "httpbin",
        destination_canonical_service: "httpbin",
        destination_canonical_revision: "v1",
        destination_workload_namespace: "default",
        destination_principal: "spiffe://cluster.local/ns/default/sa/httpbin",
        destination_app: "httpbin",
        destination_version: "v1",
        destination_cluster: "east",
        request_protocol: "tcp",
        response_flags: "-",
        connection_security_policy: "mutual_tls",
      },
    },
    {
      name: "plaintext inbound from an unknown client",
      got: connectionLabels({ reporter: "destination", destination: httpbin, securityPolicy: "none" }),
      want: {
        source_workload: "unknown",
        source_workload_namespace: "unknown",
        source_principal: "unknown",
        source_app: "unknown",
        source_cluster: "unknown",
        destination_service: "unknown",
        destination_workload: "httpbin",
        connection_security_policy: "none",
      },
    },
    {
      name: "plaintext: a known source's identity is not a verified principal",
      got: connectionLabels({
        reporter: "destination",
        source: sleep,
        destination: httpbin,
        securityPolicy: "none",
      }),
      want: { source_workload: "sleep", source_principal: "unknown" },
    },
    {
      name: "outbound mTLS: the source's own identity is its principal",
      got: connectionLabels({
        reporter: "source",
        source: sleep,
        destination: httpbin,
        service,
        securityPolicy: "mutual_tls",
      }),
      want: { reporter: "source", source_principal: sleep.identity, destination_principal: httpbin.identity },
    },
    {
      name: "passthrough outbound: destination unknown, denied flag",
      got: connectionLabels({
        reporter: "source",
        source: sleep,
        securityPolicy: "unknown",
        responseFlags: "DENY",
      }),
      want: { destination_workload: "unknown", destination_principal: "unknown", response_flags: "DENY" },
    },
    {
      name: "a pod without workloadName or labels falls back to its name and canonical values",
      got: connectionLabels({
        reporter: "source",
        source: {
          name: "solo",
          namespace: "ns",
          canonicalName: "solo",
          canonicalRevision: "latest",
          labels: {},
        },
        securityPolicy: "unknown",
      }),
      want: {
        source_workload: "solo",
        source_app: "solo",
        source_version: "latest",
        source_cluster: "unknown",
      },
    },
  ];
  for (const c of cases) {
    for (const [k, v] of Object.entries(c.want)) {
      assert.equal(c.got[k as keyof typeof c.got], v, `${c.name}: ${k}`);
    }
  }
});
