import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  canonicalService,
  entryWorkloadName,
  podWorkloadName,
} from "../../../src/controlplane/registry/canonical.js";
import {
  entryEnrollment,
  podEnrollment,
  type PodFacts,
} from "../../../src/controlplane/registry/enrollment.js";
import { resolveMesh } from "../../../src/controlplane/registry/types.js";
import type { PodMetaView } from "../../../src/controlplane/registry/views.js";

const MODE = "istio.io/dataplane-mode";

describe("pod enrollment (istio-cni default enablement selectors)", () => {
  const base: PodFacts = {
    namespace: "app",
    labels: {},
    annotations: {},
    hostNetwork: false,
    namespaceLabels: {},
  };
  const cases: { name: string; pod: Partial<PodFacts>; enrolled: boolean; reason: RegExp }[] = [
    {
      name: "namespace ambient",
      pod: { namespaceLabels: { [MODE]: "ambient" } },
      enrolled: true,
      reason: /namespace app has label/,
    },
    {
      name: "pod ambient, namespace unlabelled",
      pod: { labels: { [MODE]: "ambient" } },
      enrolled: true,
      reason: /^pod label/,
    },
    {
      name: "pod ambient, namespace unknown",
      pod: { labels: { [MODE]: "ambient" }, namespaceLabels: undefined },
      enrolled: true,
      reason: /^pod label/,
    },
    {
      name: "pod none opts out of an ambient namespace",
      pod: { labels: { [MODE]: "none" }, namespaceLabels: { [MODE]: "ambient" } },
      enrolled: false,
      reason: /=none opts out of namespace app/,
    },
    {
      name: "pod ambient wins over namespace none",
      pod: { labels: { [MODE]: "ambient" }, namespaceLabels: { [MODE]: "none" } },
      enrolled: true,
      reason: /^pod label/,
    },
    {
      name: "another pod value does not opt out of an ambient namespace (NotIn [none])",
      pod: { labels: { [MODE]: "sidecar" }, namespaceLabels: { [MODE]: "ambient" } },
      enrolled: true,
      reason: /namespace app/,
    },
    { name: "no labels anywhere", pod: {}, enrolled: false, reason: /neither the pod nor namespace app/ },
    {
      name: "namespace none",
      pod: { namespaceLabels: { [MODE]: "none" } },
      enrolled: false,
      reason: /neither/,
    },
    {
      name: "host network is never captured",
      pod: { hostNetwork: true, labels: { [MODE]: "ambient" } },
      enrolled: false,
      reason: /host-network/,
    },
    {
      name: "a sidecar pod is never captured",
      pod: { annotations: { "sidecar.istio.io/status": "{}" }, namespaceLabels: { [MODE]: "ambient" } },
      enrolled: false,
      reason: /sidecar/,
    },
    {
      name: "kube-system is excluded even when labelled",
      pod: { namespace: "kube-system", labels: { [MODE]: "ambient" } },
      enrolled: false,
      reason: /excluded/,
    },
    {
      name: "the root namespace is not special",
      pod: { namespace: "istio-system", namespaceLabels: { [MODE]: "ambient" } },
      enrolled: true,
      reason: /namespace istio-system/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const e = podEnrollment({ ...base, ...c.pod }, resolveMesh());
      assert.equal(e.enrolled, c.enrolled);
      assert.match(e.reason, c.reason);
    });
  }
  it("excludeNamespaces is configurable", () => {
    const e = podEnrollment(
      { ...base, namespaceLabels: { [MODE]: "ambient" } },
      resolveMesh({ excludeNamespaces: ["app"] }),
    );
    assert.equal(e.enrolled, false);
  });
});

describe("WorkloadEntry enrollment (tunnel label or redirection annotation)", () => {
  const cases: {
    name: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    enrolled: boolean;
  }[] = [
    { name: "nothing", labels: {}, annotations: {}, enrolled: false },
    {
      name: "native HBONE",
      labels: { "networking.istio.io/tunnel": "http" },
      annotations: {},
      enrolled: true,
    },
    {
      name: "redirection enabled",
      labels: {},
      annotations: { "ambient.istio.io/redirection": "enabled" },
      enrolled: true,
    },
    {
      name: "dataplane-mode label alone does not capture a VM",
      labels: { [MODE]: "ambient" },
      annotations: {},
      enrolled: false,
    },
  ];
  for (const c of cases)
    it(c.name, () => assert.equal(entryEnrollment(c.labels, c.annotations).enrolled, c.enrolled));
});

describe("canonical service name and revision", () => {
  const cases: { labels: Record<string, string>; name: string; revision: string }[] = [
    { labels: {}, name: "wl", revision: "latest" },
    { labels: { app: "a", version: "v1" }, name: "a", revision: "v1" },
    { labels: { app: "a", "app.kubernetes.io/name": "k" }, name: "k", revision: "latest" },
    {
      labels: { app: "a", "app.kubernetes.io/name": "k", "service.istio.io/canonical-name": "c" },
      name: "c",
      revision: "latest",
    },
    { labels: { version: "v1", "app.kubernetes.io/version": "kv" }, name: "wl", revision: "kv" },
    { labels: { version: "v1", "service.istio.io/canonical-revision": "cr" }, name: "wl", revision: "cr" },
  ];
  for (const c of cases)
    it(JSON.stringify(c.labels), () =>
      assert.deepEqual(canonicalService(c.labels, "wl"), { name: c.name, revision: c.revision }),
    );
});

describe("workload name of a pod (GetWorkloadMetaFromPod)", () => {
  const owned = (kind: string, owner: string, labels: Record<string, string> = {}): PodMetaView => ({
    name: "p-xyz",
    generateName: `${owner}-`,
    labels,
    ownerReferences: [{ kind, name: owner, controller: true }],
  });
  const cases: { name: string; meta: PodMetaView; want: string }[] = [
    { name: "standalone pod", meta: { name: "solo" }, want: "solo" },
    {
      name: "Deployment via ReplicaSet",
      meta: owned("ReplicaSet", "web-5d4f8", { "pod-template-hash": "5d4f8" }),
      want: "web",
    },
    { name: "bare ReplicaSet", meta: owned("ReplicaSet", "rs-one"), want: "rs-one" },
    { name: "StatefulSet", meta: owned("StatefulSet", "db"), want: "db" },
    { name: "CronJob via Job", meta: owned("Job", "backup-28391234"), want: "backup" },
    { name: "plain Job", meta: owned("Job", "migrate"), want: "migrate" },
    {
      name: "workload-name label overrides",
      meta: {
        ...owned("ReplicaSet", "web-5d4f8", {
          "pod-template-hash": "5d4f8",
          "service.istio.io/workload-name": "w",
        }),
      },
      want: "w",
    },
    {
      name: "owner without generateName is ignored",
      meta: { name: "p", ownerReferences: [{ kind: "ReplicaSet", name: "x", controller: true }] },
      want: "p",
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(podWorkloadName(c.meta), c.want));

  it("WorkloadEntry: auto-registration group, then workload-name label, then its name", () => {
    assert.equal(
      entryWorkloadName(
        "we",
        { "istio.io/autoRegistrationGroup": "g" },
        { "service.istio.io/workload-name": "l" },
      ),
      "g",
    );
    assert.equal(entryWorkloadName("we", {}, { "service.istio.io/workload-name": "l" }), "l");
    assert.equal(entryWorkloadName("we", {}, {}), "we");
  });
});
