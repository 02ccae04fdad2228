/** Server-side delta planning and ACK/NACK bookkeeping (server/subscription.ts), without sockets. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ResourceStore } from "../../../src/xds/server/store.js";
import {
  Subscription,
  advanceAcked,
  applySubscriptionRequest,
  commitPlan,
  planDelta,
  recordReply,
  type DeltaPlan,
} from "../../../src/xds/server/subscription.js";

const T = "type.googleapis.com/test.Thing";
const bytes = (s: string) => Buffer.from(s);

function storeWith(entries: Record<string, string>): ResourceStore {
  const store = new ResourceStore();
  store.replace(T, new Map(Object.entries(entries).map(([k, v]) => [k, bytes(v)])));
  return store;
}

// What a plan sends: a whole snapshot (a fresh wildcard subscriber), or its upserts.
const names = (p: DeltaPlan) => ({
  upserts: [...(p.snapshot?.values() ?? p.upserts)].map((r) => r.name).sort(),
  removed: [...p.removed].sort(),
});

test("wildcard: the first request with no names, or with *, subscribes to everything", () => {
  for (const subscribe of [[], ["*"]]) {
    const store = storeWith({ a: "1", b: "2" });
    const sub = new Subscription(T);
    applySubscriptionRequest(sub, subscribe, [], true);
    assert.equal(sub.wildcard, true);
    const plan = planDelta(store.get(T), sub, "all", true);
    assert.deepEqual(names(plan), { upserts: ["a", "b"], removed: [] });
    commitPlan(sub, plan);
    assert.equal(sub.known.size, 2);
    // Nothing changed: nothing to send.
    assert.deepEqual(names(planDelta(store.get(T), sub, "all")), { upserts: [], removed: [] });
  }
});

test("explicit names: only those are sent; a missing one is announced as removed", () => {
  const store = storeWith({ a: "1", b: "2" });
  const sub = new Subscription(T);
  applySubscriptionRequest(sub, ["a", "zz"], [], true);
  assert.equal(sub.wildcard, false);
  const plan = planDelta(store.get(T), sub, "all", true);
  assert.deepEqual(names(plan), { upserts: ["a"], removed: ["zz"] });
  commitPlan(sub, plan);
  // A later change to b is not for this subscriber.
  store.replace(
    T,
    new Map([
      ["a", bytes("1")],
      ["b", bytes("3")],
    ]),
  );
  assert.deepEqual(names(planDelta(store.get(T), sub, ["b"])), { upserts: [], removed: [] });
  // Subscribing to b later sends it; unsubscribing a forgets it.
  const change = applySubscriptionRequest(sub, ["b"], ["a"], false);
  assert.deepEqual(change.added, ["b"]);
  assert.equal(sub.known.has("a"), false);
  assert.deepEqual(names(planDelta(store.get(T), sub, change.added, true)), { upserts: ["b"], removed: [] });
});

test("wildcard on and off with * in later requests", () => {
  const store = storeWith({ a: "1", b: "2" });
  const sub = new Subscription(T);
  applySubscriptionRequest(sub, ["a"], [], true);
  commitPlan(sub, planDelta(store.get(T), sub, "all", true));
  const on = applySubscriptionRequest(sub, ["*"], [], false);
  assert.equal(on.added, "all");
  assert.deepEqual(names(planDelta(store.get(T), sub, "all")), { upserts: ["b"], removed: [] });
  commitPlan(sub, planDelta(store.get(T), sub, "all"));
  applySubscriptionRequest(sub, [], ["*"], false);
  assert.equal(sub.wildcard, false);
  assert.deepEqual([...sub.known.keys()], ["a"], "b was only held through the wildcard");
});

test("initial_resource_versions: unchanged resources are not resent, vanished ones are removed", () => {
  const store = storeWith({ a: "1", b: "2", c: "3" });
  const v = (n: string) => store.get(T)?.get(n)?.version ?? "";
  const sub = new Subscription(T);
  applySubscriptionRequest(sub, ["*"], [], true);
  sub.known.set("a", v("a")); // same version as the server's
  sub.known.set("b", "stale-version");
  sub.known.set("gone", "x");
  const plan = planDelta(store.get(T), sub, "all", true);
  assert.deepEqual(names(plan), { upserts: ["b", "c"], removed: ["gone"] });
});

test("initial_resource_versions without versions (ztunnel's, Ambit's client): every held name is resent or removed", () => {
  const store = storeWith({ a: "1", b: "2", c: "3" });
  const sub = new Subscription(T);
  applySubscriptionRequest(sub, ["*"], [], true);
  for (const name of ["a", "b", "gone"]) sub.known.set(name, "");
  assert.equal(sub.known.size, 3, "an empty version still means held");
  const plan = planDelta(store.get(T), sub, "all", true);
  assert.equal(plan.snapshot, store.get(T), "everything is due: the shared snapshot responses serve it");
  assert.deepEqual(plan.removed, ["gone"]);
  commitPlan(sub, plan);
  assert.deepEqual([...sub.known.keys()].sort(), ["a", "b", "c"]);
  assert.deepEqual(names(planDelta(store.get(T), sub, "all", true)), { upserts: [], removed: [] });
});

test("an explicit subscriber reconnecting without versions: its names are resent, vanished ones removed", () => {
  const store = storeWith({ a: "1", b: "2", c: "3" });
  const sub = new Subscription(T);
  applySubscriptionRequest(sub, ["a", "gone"], [], true);
  for (const name of ["a", "gone", "c"]) if (sub.wants(name)) sub.known.set(name, "");
  const plan = planDelta(store.get(T), sub, "all", true);
  assert.equal(plan.snapshot, undefined);
  assert.deepEqual(names(plan), { upserts: ["a"], removed: ["gone"] });
});

test("changes: only the changed names are planned; removal is planned for holders", () => {
  const store = storeWith({ a: "1", b: "2" });
  const sub = new Subscription(T);
  applySubscriptionRequest(sub, [], [], true);
  commitPlan(sub, planDelta(store.get(T), sub, "all", true));
  const changed = store.replace(
    T,
    new Map([
      ["a", bytes("1*")],
      ["c", bytes("3")],
    ]),
  );
  assert.deepEqual(changed.sort(), ["a", "b", "c"]);
  const plan = planDelta(store.get(T), sub, changed);
  assert.deepEqual(names(plan), { upserts: ["a", "c"], removed: ["b"] });
  commitPlan(sub, plan);
  assert.deepEqual([...sub.known.keys()].sort(), ["a", "c"]);
});

test("ACK/NACK: ACK advances the acked version, NACK records the error, stale nonces are ignored", () => {
  const sub = new Subscription(T);
  const now = new Date(0);
  sub.sentVersion = 1;
  sub.outstanding.set("1", 1);
  assert.equal(recordReply(sub, "nope", undefined, now), false, "unknown nonce");
  assert.equal(recordReply(sub, "1", undefined, now), true);
  assert.equal(sub.ackedVersion, 1);
  assert.equal(recordReply(sub, "1", undefined, now), false, "already answered");

  sub.sentVersion = 2;
  sub.outstanding.set("2", 2);
  assert.equal(recordReply(sub, "2", "bad resource", now), true);
  assert.equal(sub.ackedVersion, 1);
  assert.deepEqual(sub.lastNack, { message: "bad resource", version: 2, nonce: "2", at: now });
  // A push with nothing for this proxy does not paper over the NACK.
  sub.sentVersion = 3;
  advanceAcked(sub);
  assert.equal(sub.ackedVersion, 1);
  // The next change, ACKed, brings it back in sync.
  sub.sentVersion = 4;
  sub.outstanding.set("3", 4);
  recordReply(sub, "3", undefined, now);
  assert.equal(sub.ackedVersion, 4);
  assert.equal(sub.rejected, false);
});

test("a response split in several: the version is ACKed only when the last part is", () => {
  const sub = new Subscription(T);
  sub.sentVersion = 5;
  sub.outstanding.set("a", 5);
  sub.outstanding.set("b", 5);
  recordReply(sub, "a", undefined, new Date());
  assert.equal(sub.ackedVersion, 4);
  recordReply(sub, "b", undefined, new Date());
  assert.equal(sub.ackedVersion, 5);
  // Replying to a later nonce answers the earlier ones too (responses apply in order).
  sub.sentVersion = 6;
  sub.outstanding.set("c", 6);
  sub.outstanding.set("d", 6);
  recordReply(sub, "d", undefined, new Date());
  assert.equal(sub.outstanding.size, 0);
  assert.equal(sub.ackedVersion, 6);
});
