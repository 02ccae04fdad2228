/** ResourceStore versioning and KnownVersions (the shared-snapshot record of what a proxy holds). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { KnownVersions } from "../../../src/xds/server/known.js";
import { ResourceStore, contentVersion } from "../../../src/xds/server/store.js";

const T = "type.googleapis.com/test.Thing";

test("versions are content hashes: same bytes, same version; old snapshots are never mutated", () => {
  const store = new ResourceStore();
  assert.deepEqual(store.replace(T, new Map([["a", Buffer.from("x")]])), ["a"]);
  const first = store.get(T);
  const va = first?.get("a")?.version;
  assert.equal(va, contentVersion(Buffer.from("x")));
  // Equal content in a new array: no change, same snapshot.
  assert.deepEqual(store.replace(T, new Map([["a", Buffer.from("x")]])), []);
  assert.equal(store.get(T), first);
  const changed = store.replace(T, new Map([["b", Buffer.from("y")]]));
  assert.deepEqual(changed.sort(), ["a", "b"]);
  assert.deepEqual([...(first?.keys() ?? [])], ["a"], "the old snapshot still holds exactly a");
  assert.deepEqual([...(store.get(T)?.keys() ?? [])], ["b"]);
  assert.notEqual(contentVersion(Buffer.from("x")), contentVersion(Buffer.from("y")));
});

test("KnownVersions behaves like a plain map whatever the mix of snapshot and overlay", () => {
  // Deterministic pseudo-random operations, checked against a Map after each step.
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const store = new ResourceStore();
  store.replace(T, new Map(Array.from({ length: 300 }, (_, i) => [`r${i}`, Buffer.from(`v${i}`)])));
  const snapshot = store.get(T);
  assert.ok(snapshot);
  const known = new KnownVersions();
  known.resetTo(snapshot);
  const model = new Map([...snapshot].map(([k, r]) => [k, r.version]));
  for (let step = 0; step < 3000; step++) {
    const name = `r${rnd(400)}`;
    if (rnd(3) === 0) {
      known.delete(name);
      model.delete(name);
    } else {
      // "" is what a proxy announces for a resource it holds without a version; a version
      // that looks like anything else is just a version.
      const v = ["", `x${step}`, "\0removed"][rnd(3)]!;
      known.set(name, v);
      model.set(name, v);
    }
    if (step % 97 === 0) {
      assert.equal(known.size, model.size, `size at step ${step}`);
      assert.deepEqual([...known.keys()].sort(), [...model.keys()].sort());
    }
    assert.equal(known.get(name), model.get(name));
    assert.equal(known.has(name), model.has(name));
  }
  for (const [k, v] of model) assert.equal(known.get(k), v);
});

test("update changes only what it is given: upserts and removals, old snapshots untouched", () => {
  const store = new ResourceStore();
  store.replace(
    T,
    new Map([
      ["a", Buffer.from("1")],
      ["b", Buffer.from("2")],
      ["c", Buffer.from("3")],
    ]),
  );
  const before = store.get(T);
  const entryC = before?.get("c");
  assert.deepEqual(
    store.update(T, new Map([["a", Buffer.from("1")]]), ["nope"]),
    [],
    "same bytes, unknown name",
  );
  assert.equal(store.get(T), before);
  const changed = store.update(
    T,
    new Map([
      ["b", Buffer.from("20")],
      ["d", Buffer.from("4")],
    ]),
    ["c"],
  );
  assert.deepEqual(changed.sort(), ["b", "c", "d"]);
  assert.deepEqual([...(store.get(T)?.keys() ?? [])].sort(), ["a", "b", "d"]);
  assert.equal(store.get(T)?.get("b")?.version, contentVersion(Buffer.from("20")));
  assert.deepEqual([...(before?.keys() ?? [])], ["a", "b", "c"], "the old snapshot is unchanged");
  assert.equal(before?.get("c"), entryC);
  // A name both upserted and removed is upserted (the caller's latest word).
  assert.deepEqual(store.update(T, new Map([["a", Buffer.from("9")]]), ["a"]), ["a"]);
  assert.ok(store.get(T)?.has("a"));
});
