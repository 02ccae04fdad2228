import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KUBELET_BACKOFF, formatDelay, nextBackoff, shouldRestart } from "../../../src/local/pods/backoff.js";
import { podPhase } from "../../../src/local/pods/supervisor.js";
import type { ContainerStatus } from "../../../src/local/pods/types.js";

describe("restart back-off", () => {
  it("follows the kubelet: 10 s, doubling, capped at 5 min", () => {
    const delays: number[] = [];
    let d: number | undefined;
    for (let i = 0; i < 8; i++) {
      d = nextBackoff(KUBELET_BACKOFF, d, 1_000);
      delays.push(d);
    }
    assert.deepEqual(delays, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it("starts over after a run of 10 minutes", () => {
    assert.equal(nextBackoff(KUBELET_BACKOFF, 160_000, 600_000), 10_000);
    assert.equal(nextBackoff(KUBELET_BACKOFF, 160_000, 599_999), 300_000);
    assert.equal(nextBackoff({ initialMs: 5, maxMs: 50, resetAfterMs: 100 }, 40, 150), 5);
  });

  const policies: ["Always" | "OnFailure" | "Never", number, boolean][] = [
    ["Always", 0, true],
    ["Always", 1, true],
    ["OnFailure", 0, false],
    ["OnFailure", 137, true],
    ["Never", 1, false],
  ];
  for (const [policy, code, want] of policies)
    it(`restartPolicy ${policy}, exit ${code}: ${want ? "restart" : "stay terminated"}`, () =>
      assert.equal(shouldRestart(policy, code), want));

  const formats: [number, string][] = [
    [20, "20ms"],
    [10_000, "10s"],
    [80_000, "1m20s"],
    [300_000, "5m0s"],
  ];
  for (const [ms, text] of formats)
    it(`prints ${ms} ms as ${text}`, () => assert.equal(formatDelay(ms), text));
});

describe("pod phase", () => {
  const c = (state: ContainerStatus["state"], extra: Partial<ContainerStatus> = {}): ContainerStatus => ({
    name: "c",
    state,
    ready: false,
    restarts: 0,
    ...extra,
  });
  const cases: [string, ContainerStatus[], boolean, string][] = [
    [
      "a container that cannot run",
      [c("Waiting", { reason: "ImageNotRunnable" }), c("Running")],
      true,
      "Pending",
    ],
    ["running", [c("Running"), c("Running")], false, "Running"],
    ["waiting to restart", [c("Waiting", { reason: "CrashLoopBackOff", exitCode: 1 })], false, "Running"],
    [
      "all exited 0",
      [c("Terminated", { exitCode: 0 }), c("Terminated", { exitCode: 0 })],
      false,
      "Succeeded",
    ],
    [
      "one exited non-zero",
      [c("Terminated", { exitCode: 0 }), c("Terminated", { exitCode: 2 })],
      false,
      "Failed",
    ],
    ["one finished, one running", [c("Terminated", { exitCode: 0 }), c("Running")], false, "Running"],
    ["not started yet", [c("Waiting")], false, "Pending"],
  ];
  for (const [name, containers, unrunnable, want] of cases)
    it(name, () => assert.equal(podPhase(containers, unrunnable), want));
});
