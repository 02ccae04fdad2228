/** The per-stream send queue and the server-wide budget for large (initial push) responses. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { BULK_BYTES, Outbox, SendBudget } from "../../../src/xds/server/outbox.js";
import type { XdsOutgoingResponse } from "../../../src/xds/wire/discovery.js";

const msg = (bytes: number, nonce: string): XdsOutgoingResponse => ({
  body: Buffer.alloc(bytes),
  systemVersionInfo: "1",
  nonce,
  removed: [],
});

/** An outbox whose writes complete only when the test says so. */
function outbox(budget: SendBudget, window = 2) {
  const written: string[] = [];
  const pending: (() => void)[] = [];
  const box = new Outbox(
    (m, done) => {
      written.push(m.nonce);
      pending.push(() => done());
    },
    budget,
    window,
  );
  return { box, written, complete: () => pending.shift()?.() };
}

test("a stream has at most `window` responses in flight, in order", () => {
  const o = outbox(new SendBudget(Infinity));
  for (let i = 1; i <= 4; i++) o.box.send(msg(10, String(i)));
  assert.deepEqual(o.written, ["1", "2"]);
  assert.equal(o.box.backlog, 2);
  o.complete();
  assert.deepEqual(o.written, ["1", "2", "3"]);
  o.complete();
  o.complete();
  assert.deepEqual(o.written, ["1", "2", "3", "4"]);
});

test("large responses share the budget across streams; small ones never wait for it", () => {
  const budget = new SendBudget(2 * BULK_BYTES);
  const a = outbox(budget);
  const b = outbox(budget);
  a.box.send(msg(BULK_BYTES, "a1"));
  a.box.send(msg(BULK_BYTES, "a2"));
  b.box.send(msg(BULK_BYTES, "b1"));
  assert.deepEqual([a.written, b.written], [["a1", "a2"], []], "b waits for room");
  b.box.send(msg(100, "b-small"));
  assert.deepEqual(b.written, [], "order within a stream is kept");
  a.complete();
  assert.deepEqual(b.written, ["b1", "b-small"], "room made by a goes to the waiting b");
  assert.equal(budget.inUse, 2 * BULK_BYTES);
  const c = outbox(budget);
  c.box.send(msg(100, "c-small"));
  assert.deepEqual(c.written, ["c-small"], "a small response passes a full budget");
});

test("a stopped outbox gives its budget back, and a late write completion does not give it twice", () => {
  const budget = new SendBudget(BULK_BYTES);
  const a = outbox(budget);
  const b = outbox(budget);
  a.box.send(msg(BULK_BYTES, "a1"));
  b.box.send(msg(BULK_BYTES, "b1"));
  assert.deepEqual(b.written, []);
  a.box.stop();
  assert.deepEqual(b.written, ["b1"]);
  a.complete();
  assert.equal(budget.inUse, BULK_BYTES, "still held by b only");
  b.complete();
  assert.equal(budget.inUse, 0);
});

test("a response larger than the whole budget still goes out when nothing else is in flight", () => {
  const budget = new SendBudget(BULK_BYTES);
  const a = outbox(budget);
  a.box.send(msg(4 * BULK_BYTES, "huge"));
  assert.deepEqual(a.written, ["huge"]);
});

test("room held past maxHoldMs (a proxy that stopped reading) goes to the next stream", () => {
  let now = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let seq = 0;
  const clock = {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => (timers.set(++seq, { at: now + ms, fn }), seq),
    clearTimeout: (h: unknown) => void timers.delete(h as number),
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...timers]) if (t.at <= now && timers.delete(id)) t.fn();
  };
  const budget = new SendBudget(BULK_BYTES, 1000, clock);
  const stuck = outbox(budget);
  const other = outbox(budget);
  stuck.box.send(msg(BULK_BYTES, "s1"));
  other.box.send(msg(BULK_BYTES, "o1"));
  advance(999);
  assert.deepEqual(other.written, []);
  advance(1);
  assert.deepEqual(other.written, ["o1"]);
  stuck.complete();
  assert.equal(budget.inUse, BULK_BYTES, "the late completion gives nothing back twice");
});
