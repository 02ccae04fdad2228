/** Which policies apply to a workload (ztunnel state.rs assert_rbac selection). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Authorization, AuthorizationScope } from "../../../src/model/authorization.js";
import { policiesFor } from "../../../src/policy/index.js";

const a = (key: string, scope: AuthorizationScope): Authorization => {
  const [namespace = "", name = ""] = key.split("/");
  return { name, namespace, scope, action: "ALLOW", rules: [], dryRun: false };
};

const all = [
  a("default/ns-wide", "NAMESPACE"),
  a("default/b-ns-wide", "NAMESPACE"),
  a("other/ns-wide", "NAMESPACE"),
  a("istio-system/mesh", "GLOBAL"),
  a("default/by-label", "WORKLOAD_SELECTOR"),
  a("istio-system/root-label", "WORKLOAD_SELECTOR"),
  a("default/not-listed", "WORKLOAD_SELECTOR"),
  a("istio-system/root-ns-only", "NAMESPACE"),
];
const keys = (list: Authorization[]) => list.map((p) => `${p.namespace}/${p.name}`);

describe("policiesFor", () => {
  const rows: { name: string; ns: string; listed: string[]; want: string[] }[] = [
    {
      name: "namespace, then global, then listed selector policies, each sorted",
      ns: "default",
      listed: ["istio-system/root-label", "default/by-label"],
      want: [
        "default/b-ns-wide",
        "default/ns-wide",
        "istio-system/mesh",
        "default/by-label",
        "istio-system/root-label",
      ],
    },
    {
      name: "another namespace gets its own and the global ones",
      ns: "other",
      listed: [],
      want: ["other/ns-wide", "istio-system/mesh"],
    },
    {
      name: "a namespace without policies still gets the global ones",
      ns: "empty",
      listed: [],
      want: ["istio-system/mesh"],
    },
    {
      name: "a listed key with no policy behind it is skipped",
      ns: "empty",
      listed: ["default/gone"],
      want: ["istio-system/mesh"],
    },
    {
      name: "a NAMESPACE policy of the root namespace applies only there",
      ns: "istio-system",
      listed: [],
      want: ["istio-system/root-ns-only", "istio-system/mesh"],
    },
  ];
  for (const r of rows) {
    it(r.name, () => {
      assert.deepEqual(
        keys(policiesFor({ namespace: r.ns, authorizationPolicies: r.listed }, all, "istio-system")),
        r.want,
      );
    });
  }
});
