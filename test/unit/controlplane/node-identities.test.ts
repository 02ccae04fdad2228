import assert from "node:assert/strict";
import { test } from "node:test";
import { nodeRunsIdentity } from "../../../src/controlplane/node-identities.js";
import { workload } from "../ztunnel/fixtures.js";

const id = (ns: string, sa: string) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;

test("a node may have certificates for the identities of its own workloads only", () => {
  const workloads = [
    workload("a", { node: "node-1", ns: "shop", sa: "cart" }),
    workload("b", { node: "node-2", ns: "shop", sa: "pay" }),
    workload("c", { node: "", ns: "shop", sa: "unscheduled" }),
  ];
  assert.equal(nodeRunsIdentity(workloads, "node-1", id("shop", "cart")), true);
  assert.equal(nodeRunsIdentity(workloads, "node-1", id("shop", "pay")), false);
  assert.equal(nodeRunsIdentity(workloads, "node-2", id("shop", "pay")), true);
  assert.equal(nodeRunsIdentity(workloads, "node-3", id("shop", "cart")), false);
  assert.equal(nodeRunsIdentity(workloads, "", id("shop", "unscheduled")), false);
});

test("each published workload list is answered by its own content", () => {
  const before = [workload("a", { node: "node-1", ns: "shop", sa: "cart" })];
  assert.equal(nodeRunsIdentity(before, "node-1", id("shop", "cart")), true);
  // The pod moved: the next publish is a new list.
  const after = [workload("a", { node: "node-2", ns: "shop", sa: "cart" })];
  assert.equal(nodeRunsIdentity(after, "node-1", id("shop", "cart")), false);
  assert.equal(nodeRunsIdentity(after, "node-2", id("shop", "cart")), true);
  assert.equal(nodeRunsIdentity(before, "node-1", id("shop", "cart")), true);
});
