import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AmbitError } from "../../../src/common/errors.js";
import {
  fabricNetns,
  fabricVethName,
  hostVethName,
  isClusterPrefix,
  MAX_NETNS_NAME,
  newClusterPrefix,
  nodeNetns,
  OWNED_NAME_RE,
  ownedKind,
  podNetns,
} from "../../../src/node/names.js";

describe("cluster prefixes and names", () => {
  test("a new prefix is amb + 6 hex and differs from the next one", () => {
    const a = newClusterPrefix();
    assert.match(a, /^amb[0-9a-f]{6}$/);
    assert.ok(isClusterPrefix(a));
    assert.notEqual(a, newClusterPrefix());
  });

  test("prefixes: 4 to 6 lowercase hex", () => {
    for (const p of ["amb1a2b", "amb12345", "ambabcdef"]) assert.ok(isClusterPrefix(p), p);
    for (const p of ["amb123", "amb1234567", "AMB1234", "amb12G4", "xyz1234", "amb1234-"]) {
      assert.ok(!isClusterPrefix(p), p);
    }
  });

  test("namespace names carry the prefix and say what they are", () => {
    assert.equal(fabricNetns("amb1234"), "amb1234-fabric");
    assert.equal(nodeNetns("amb1234", "node-0"), "amb1234-node-node-0");
    assert.equal(podNetns("amb1234", "default", "httpbin-7d9f"), "amb1234-pod-default-httpbin-7d9f");
    assert.equal(ownedKind("amb1234", "amb1234-fabric"), "fabric");
    assert.equal(ownedKind("amb1234", "amb1234-node-node-0"), "node");
    assert.equal(ownedKind("amb1234", "amb1234-pod-default-x"), "pod");
    assert.equal(OWNED_NAME_RE.exec("amb1234-pod-default-x")?.[1], "amb1234");
    assert.equal(OWNED_NAME_RE.exec("ambient-stuff"), null);
  });

  test("long pod names are truncated with a hash, still unique and still prefixed", () => {
    const long = "a".repeat(70);
    const a = podNetns("amb1234", "default", long);
    const b = podNetns("amb1234", "default", `${long}b`);
    assert.ok(a.length <= MAX_NETNS_NAME && b.length <= MAX_NETNS_NAME);
    assert.notEqual(a, b);
    assert.ok(a.startsWith("amb1234-pod-default-aaa"));
    assert.equal(a, podNetns("amb1234", "default", long), "stable");
  });

  test("interface names fit IFNAMSIZ and differ per namespace", () => {
    const v1 = hostVethName("amb1234-pod-default-a");
    const v2 = hostVethName("amb1234-pod-default-b");
    assert.match(v1, /^av[0-9a-f]{10}$/);
    assert.notEqual(v1, v2);
    assert.match(fabricVethName("amb1234-node-n0"), /^fb[0-9a-f]{10}$/);
  });

  test("names that could not be file names or ip arguments are refused", () => {
    for (const [ns, name] of [
      ["default", "Bad_Name"],
      ["default", "a b"],
      ["../etc", "x"],
      ["default", ""],
    ] as const) {
      assert.throws(
        () => podNetns("amb1234", ns, name),
        (e: unknown) => e instanceof AmbitError && e.code === "BAD_NAME",
      );
    }
    assert.throws(
      () => nodeNetns("nope", "n0"),
      (e: unknown) => e instanceof AmbitError && e.code === "BAD_CLUSTER_PREFIX",
    );
  });
});
