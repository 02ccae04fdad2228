/**
 * PeerAuthentication mode per workload port: levels, UNSET inheritance, portLevelMtls, oldest
 * wins (istio.io reference "PeerAuthentication"; istiod convertedSelectorPeerAuthentications).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Resource } from "../../../src/api/resource.js";
import { mtlsMode, type MtlsDecision } from "../../../src/policy/index.js";

interface PaOpts {
  selector?: Record<string, string>;
  mode?: string;
  ports?: Record<string, string>;
  created?: string;
  apiVersion?: string;
}
function pa(key: string, o: PaOpts = {}): Resource {
  const [namespace = "", name = ""] = key.split("/");
  const spec: Record<string, unknown> = {};
  if (o.selector) spec["selector"] = { matchLabels: o.selector };
  if (o.mode) spec["mtls"] = { mode: o.mode };
  if (o.ports)
    spec["portLevelMtls"] = Object.fromEntries(Object.entries(o.ports).map(([p, mode]) => [p, { mode }]));
  return {
    apiVersion: o.apiVersion ?? "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name, namespace, ...(o.created ? { creationTimestamp: o.created } : {}) },
    spec,
  };
}

const workload = { namespace: "shop", labels: { app: "cart", version: "v1" } };
const T1 = "2024-01-01T00:00:00Z";
const T2 = "2024-06-01T00:00:00Z";

describe("mtlsMode", () => {
  const rows: { name: string; docs: Resource[]; port?: number; want: MtlsDecision }[] = [
    { name: "nothing: PERMISSIVE by default", docs: [], want: { mode: "PERMISSIVE" } },
    {
      name: "mesh-wide STRICT",
      docs: [pa("istio-system/default", { mode: "STRICT" })],
      want: { mode: "STRICT", policy: "istio-system/default", level: "mesh" },
    },
    {
      name: "mesh-wide UNSET: default",
      docs: [pa("istio-system/default", { mode: "UNSET" })],
      want: { mode: "PERMISSIVE" },
    },
    {
      name: "mesh-wide with no mtls at all: default",
      docs: [pa("istio-system/default")],
      want: { mode: "PERMISSIVE" },
    },
    {
      name: "namespace overrides mesh",
      docs: [pa("istio-system/default", { mode: "STRICT" }), pa("shop/default", { mode: "PERMISSIVE" })],
      want: { mode: "PERMISSIVE", policy: "shop/default", level: "namespace" },
    },
    {
      name: "namespace UNSET inherits mesh",
      docs: [pa("istio-system/default", { mode: "STRICT" }), pa("shop/default", { mode: "UNSET" })],
      want: { mode: "STRICT", policy: "istio-system/default", level: "mesh" },
    },
    {
      name: "another namespace's policy does not apply",
      docs: [pa("other/default", { mode: "STRICT" })],
      want: { mode: "PERMISSIVE" },
    },
    {
      name: "workload overrides namespace",
      docs: [
        pa("shop/default", { mode: "STRICT" }),
        pa("shop/cart", { selector: { app: "cart" }, mode: "PERMISSIVE" }),
      ],
      want: { mode: "PERMISSIVE", policy: "shop/cart", level: "workload" },
    },
    {
      name: "workload UNSET inherits namespace",
      docs: [
        pa("shop/default", { mode: "STRICT" }),
        pa("shop/cart", { selector: { app: "cart" }, mode: "UNSET" }),
      ],
      want: { mode: "STRICT", policy: "shop/default", level: "namespace" },
    },
    {
      name: "a selector the workload does not satisfy",
      docs: [pa("shop/other", { selector: { app: "cart", version: "v2" }, mode: "STRICT" })],
      want: { mode: "PERMISSIVE" },
    },
    {
      name: "a selector with every label satisfied",
      docs: [pa("shop/v1", { selector: { app: "cart", version: "v1" }, mode: "STRICT" })],
      want: { mode: "STRICT", policy: "shop/v1", level: "workload" },
    },
    {
      name: "a selector policy in the root namespace is ignored",
      docs: [pa("istio-system/cart", { selector: { app: "cart" }, mode: "STRICT" })],
      want: { mode: "PERMISSIVE" },
    },
    {
      name: "an empty selector is namespace-wide",
      docs: [pa("shop/empty", { selector: {}, mode: "STRICT" })],
      want: { mode: "STRICT", policy: "shop/empty", level: "namespace" },
    },
    {
      name: "portLevelMtls for this port",
      docs: [pa("shop/cart", { selector: { app: "cart" }, mode: "STRICT", ports: { "8080": "PERMISSIVE" } })],
      port: 8080,
      want: { mode: "PERMISSIVE", policy: "shop/cart", level: "port" },
    },
    {
      name: "portLevelMtls for another port: the policy's own mode",
      docs: [pa("shop/cart", { selector: { app: "cart" }, mode: "STRICT", ports: { "8080": "PERMISSIVE" } })],
      port: 9090,
      want: { mode: "STRICT", policy: "shop/cart", level: "workload" },
    },
    {
      name: "portLevelMtls STRICT under an inherited PERMISSIVE",
      docs: [
        pa("shop/default", { mode: "PERMISSIVE" }),
        pa("shop/cart", { selector: { app: "cart" }, ports: { "8080": "STRICT" } }),
      ],
      port: 8080,
      want: { mode: "STRICT", policy: "shop/cart", level: "port" },
    },
    {
      name: "portLevelMtls DISABLE under a mesh STRICT: plaintext accepted on that port",
      docs: [
        pa("istio-system/default", { mode: "STRICT" }),
        pa("shop/cart", { selector: { app: "cart" }, ports: { "8080": "DISABLE" } }),
      ],
      port: 8080,
      want: { mode: "DISABLE", policy: "shop/cart", level: "port" },
    },
    {
      name: "portLevelMtls UNSET inherits the policy's mode",
      docs: [pa("shop/cart", { selector: { app: "cart" }, mode: "STRICT", ports: { "8080": "UNSET" } })],
      port: 8080,
      want: { mode: "STRICT", policy: "shop/cart", level: "workload" },
    },
    {
      name: "portLevelMtls UNSET with UNSET policy inherits the namespace",
      docs: [
        pa("shop/default", { mode: "STRICT" }),
        pa("shop/cart", { selector: { app: "cart" }, ports: { "8080": "UNSET" } }),
      ],
      port: 8080,
      want: { mode: "STRICT", policy: "shop/default", level: "namespace" },
    },
    {
      name: "two namespace-wide policies: the oldest wins",
      docs: [
        pa("shop/newer", { mode: "PERMISSIVE", created: T2 }),
        pa("shop/older", { mode: "STRICT", created: T1 }),
      ],
      want: { mode: "STRICT", policy: "shop/older", level: "namespace" },
    },
    {
      name: "same age: the first name wins",
      docs: [
        pa("shop/b", { mode: "PERMISSIVE", created: T1 }),
        pa("shop/a", { mode: "STRICT", created: T1 }),
      ],
      want: { mode: "STRICT", policy: "shop/a", level: "namespace" },
    },
    {
      name: "no timestamp counts as oldest",
      docs: [pa("shop/dated", { mode: "STRICT", created: T1 }), pa("shop/undated", { mode: "PERMISSIVE" })],
      want: { mode: "PERMISSIVE", policy: "shop/undated", level: "namespace" },
    },
    {
      name: "two selector policies: the oldest wins, even if UNSET",
      docs: [
        pa("shop/default", { mode: "PERMISSIVE" }),
        pa("shop/young", { selector: { app: "cart" }, mode: "STRICT", created: T2 }),
        pa("shop/old", { selector: { version: "v1" }, mode: "UNSET", created: T1 }),
      ],
      want: { mode: "PERMISSIVE", policy: "shop/default", level: "namespace" },
    },
    {
      name: "two mesh-wide policies: the oldest wins",
      docs: [
        pa("istio-system/x", { mode: "PERMISSIVE", created: T2 }),
        pa("istio-system/y", { mode: "STRICT", created: T1 }),
      ],
      want: { mode: "STRICT", policy: "istio-system/y", level: "mesh" },
    },
    {
      name: "v1beta1 documents count the same",
      docs: [pa("shop/default", { mode: "STRICT", apiVersion: "security.istio.io/v1beta1" })],
      want: { mode: "STRICT", policy: "shop/default", level: "namespace" },
    },
    {
      name: "other kinds are ignored",
      docs: [
        {
          apiVersion: "security.istio.io/v1",
          kind: "RequestAuthentication",
          metadata: { name: "x", namespace: "shop" },
          spec: { mtls: { mode: "STRICT" } },
        },
      ],
      want: { mode: "PERMISSIVE" },
    },
  ];
  for (const r of rows) {
    it(r.name, () => assert.deepEqual(mtlsMode(r.docs, workload, r.port ?? 80, "istio-system"), r.want));
  }

  it("a workload in the root namespace gets the mesh-wide policy", () => {
    const docs = [pa("istio-system/default", { mode: "STRICT" })];
    assert.deepEqual(mtlsMode(docs, { namespace: "istio-system", labels: {} }, 80, "istio-system"), {
      mode: "STRICT",
      policy: "istio-system/default",
      level: "mesh",
    });
  });
  it("the root namespace is a parameter", () => {
    const docs = [pa("mesh-root/default", { mode: "STRICT" })];
    assert.equal(mtlsMode(docs, workload, 80, "mesh-root").mode, "STRICT");
    assert.equal(mtlsMode(docs, workload, 80, "istio-system").mode, "PERMISSIVE");
  });
});
