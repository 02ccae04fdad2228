/**
 * The default wrap in a real network namespace (needs root and iproute2): the container runs
 * inside the pod's namespace with the pod's hostname, its PID is the program's own, and the
 * readiness probe reaches a port that exists only inside the namespace. The namespace has
 * only a loopback interface (no route anywhere) and is removed even when the test fails.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { PodRuntime } from "../../../src/local/pods/index.js";
import { eventually, readIfExists } from "./helpers.js";

const netns = `ambit-t-pods-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
let dir: string;
let rt: PodRuntime;

describe("pod runtime in a network namespace (default wrap)", () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "ambit-pods-ns-"));
    execFileSync("ip", ["netns", "add", netns]);
    execFileSync("ip", ["-n", netns, "link", "set", "lo", "up"]);
    rt = new PodRuntime({ stateDir: dir, probe: { periodMs: 500, initialMs: 50 } });
  });
  after(async () => {
    try {
      await rt?.stopAll();
    } finally {
      execFileSync("ip", ["netns", "del", netns], { stdio: "ignore" });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs the container in the pod's namespace, with the pod's hostname, as the spawned PID", async () => {
    const out = join(dir, "inside.txt");
    const pod = {
      namespace: "default",
      name: "probe-me",
      uid: "u-1",
      netns,
      hostname: "probe-me-7c9d",
      ip: "127.0.0.1",
      node: "node-1",
      containers: [
        {
          name: "main",
          // "$$$$": Kubernetes reads "$$" in a command as an escaped "$".
          command: [
            "sh",
            "-c",
            `echo "$(hostname) $(readlink /proc/self/ns/net) $$$$" > ${out}; exec sleep 1000`,
          ],
        },
      ],
    };
    rt.start(pod);
    const [name, ns, pid] = (await eventually(() => readIfExists(out))).trim().split(" ");
    assert.equal(name, "probe-me-7c9d");
    assert.equal(ns, `net:[${statSync(`/run/netns/${netns}`).ino}]`);
    assert.equal(Number(pid), rt.status("default", "probe-me")!.containers[0]!.pid);
    assert.notEqual(hostname(), "probe-me-7c9d", "the host keeps its own hostname");
  });

  it("serves the built-in httpbin inside the namespace; readiness is probed there", async () => {
    // Port 8080 of the namespace's loopback: nothing on the host can answer for it.
    const pod = {
      namespace: "default",
      name: "httpbin",
      uid: "u-2",
      netns,
      hostname: "httpbin-5f6b",
      ip: "127.0.0.1",
      node: "node-1",
      containers: [
        {
          name: "httpbin",
          image: "docker.io/mccutchen/go-httpbin:v2.15.0",
          ports: [{ containerPort: 8080 }],
        },
      ],
    };
    rt.start(pod);
    const s = await rt.readyWhen("default", "httpbin", 30_000);
    assert.equal(s.ready, true);
    const body = execFileSync(
      "ip",
      ["netns", "exec", netns, "curl", "-s", "http://127.0.0.1:8080/hostname"],
      {
        encoding: "utf8",
      },
    );
    assert.deepEqual(JSON.parse(body), { hostname: "httpbin-5f6b" });
  });
});
