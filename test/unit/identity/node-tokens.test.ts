import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { isAmbitError } from "../../../src/common/errors.js";
import { NODE_TOKENS_FILE, NodeTokenStore } from "../../../src/identity/node-tokens.js";

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), "ambit-tokens-"));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("node tokens", () => {
  test("a created token authenticates its node, and only that node", async () => {
    const store = await NodeTokenStore.open(tempDir());
    const a = await store.create("node-a");
    const b = await store.create("node-b");
    assert.notEqual(a, b);
    assert.ok(a.length >= 40);
    assert.deepEqual(store.authenticate(a), { node: "node-a" });
    assert.deepEqual(store.authenticate(b), { node: "node-b" });
    assert.equal(store.authenticate(`${a}x`), undefined);
    assert.equal(store.authenticate(""), undefined);
  });

  test("tokens survive a restart; the file is 0600 and holds no token", async () => {
    const dir = tempDir();
    const token = await (await NodeTokenStore.open(dir)).create("node-a");
    const file = join(dir, "node-tokens.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!readFileSync(file, "utf8").includes(token), "only a hash is stored");
    const reopened = await NodeTokenStore.open(dir);
    assert.deepEqual(reopened.authenticate(token), { node: "node-a" });
    assert.deepEqual(
      reopened.list().map((t) => t.node),
      ["node-a"],
    );
  });

  test("re-creating replaces the old token", async () => {
    const store = await NodeTokenStore.open(tempDir());
    const old = await store.create("node-a");
    const fresh = await store.create("node-a");
    assert.equal(store.authenticate(old), undefined);
    assert.deepEqual(store.authenticate(fresh), { node: "node-a" });
  });

  test("among many nodes, each token authenticates its own node; after a restart too", async () => {
    const dir = tempDir();
    const store = await NodeTokenStore.open(dir);
    const nodes = Array.from({ length: 200 }, (_, i) => `node-${i}`);
    const tokens = await Promise.all(nodes.map((n) => store.create(n)));
    const reopened = await NodeTokenStore.open(dir);
    for (const [i, t] of tokens.entries()) {
      assert.deepEqual(store.authenticate(t), { node: nodes[i] });
      assert.deepEqual(reopened.authenticate(t), { node: nodes[i] });
    }
    assert.equal(store.authenticate(`${tokens[0]!}x`), undefined);
    assert.equal(store.authenticate(""), undefined);
  });

  test("a hand-edited file giving two nodes one hash: revoking one leaves the other", async () => {
    const dir = tempDir();
    const token = await (await NodeTokenStore.open(dir)).create("node-a");
    const file = join(dir, NODE_TOKENS_FILE);
    const doc = JSON.parse(readFileSync(file, "utf8")) as { nodes: Record<string, unknown> };
    doc.nodes["node-b"] = doc.nodes["node-a"];
    writeFileSync(file, JSON.stringify(doc));
    const store = await NodeTokenStore.open(dir);
    const before = store.authenticate(token)?.node;
    assert.ok(before === "node-a" || before === "node-b");
    const other = before === "node-a" ? "node-b" : "node-a";
    assert.equal(await store.revoke(other), true);
    assert.deepEqual(store.authenticate(token), { node: before });
  });

  test("revoking stops the token, also after a restart", async () => {
    const dir = tempDir();
    const store = await NodeTokenStore.open(dir);
    const token = await store.create("node-a");
    assert.equal(await store.revoke("node-a"), true);
    assert.equal(await store.revoke("node-a"), false);
    assert.equal(store.authenticate(token), undefined);
    assert.equal((await NodeTokenStore.open(dir)).authenticate(token), undefined);
  });

  test("concurrent creates all land in the file", async () => {
    const dir = tempDir();
    const store = await NodeTokenStore.open(dir);
    const tokens = await Promise.all(["n1", "n2", "n3", "n4"].map((n) => store.create(n)));
    const reopened = await NodeTokenStore.open(dir);
    tokens.forEach((t, i) => assert.deepEqual(reopened.authenticate(t), { node: `n${i + 1}` }));
  });

  test("invalid node names are refused", async () => {
    const store = await NodeTokenStore.open(tempDir());
    for (const bad of ["", "Node A", "-a", "a/b", "x".repeat(300)]) {
      await assert.rejects(
        store.create(bad),
        (e: unknown) => isAmbitError(e) && e.code === "NODE_NAME_INVALID",
      );
    }
  });

  test("a corrupt file is reported with its path", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "node-tokens.json"), "{not json");
    await assert.rejects(
      NodeTokenStore.open(dir),
      (e: unknown) =>
        isAmbitError(e) && e.code === "NODE_TOKENS_INVALID" && e.message.includes("node-tokens.json"),
    );
  });
});
