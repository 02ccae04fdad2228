/**
 * The pod runtime with the identity wrap (containers run on the host, no namespace needed):
 * what an operator would check with `ambit get pods`, the container logs, curl and ps.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AmbitError } from "../../../src/common/errors.js";
import { PodRuntime, identityWrap, type PodRunSpec, type PodStatus } from "../../../src/local/pods/index.js";
import { eventually, freePort, processGone, readIfExists, statusWhen } from "./helpers.js";

let dir: string;
let rt: PodRuntime;
let seq = 0;

function pod(containers: PodRunSpec["containers"], extra: Partial<PodRunSpec> = {}): PodRunSpec {
  const name = `pod-${++seq}`;
  return {
    namespace: "test",
    name,
    uid: `uid-${seq}`,
    netns: "unused",
    hostname: name,
    ip: "127.0.0.1",
    node: "node-1",
    containers,
    ...extra,
  };
}

const sh = (script: string): string[] => ["sh", "-c", script];

describe("pod runtime (identity wrap)", () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "ambit-pods-"));
    rt = new PodRuntime({
      stateDir: dir,
      wrap: identityWrap,
      backoff: { initialMs: 40, maxMs: 2_000 },
      probe: { periodMs: 500, timeoutMs: 1_000, initialMs: 50 },
    });
  });
  afterEach(() => rt.stopAll());
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("runs the built-in httpbin for the httpbin image, reachable over HTTP once ready", async () => {
    const port = await freePort();
    const p = pod([
      { name: "httpbin", image: "docker.io/mccutchen/go-httpbin:v2.15.0", ports: [{ containerPort: port }] },
    ]);
    const first = rt.start(p);
    assert.equal(first.containers[0]!.builtin, "httpbin");
    assert.equal(first.ready, false);

    const ready = await rt.readyWhen(p.namespace, p.name, 30_000);
    assert.equal(ready.phase, "Running");
    assert.equal(ready.containers[0]!.state, "Running");
    assert.equal(typeof ready.containers[0]!.pid, "number");

    const res = await fetch(`http://127.0.0.1:${port}/headers`, { headers: { "x-test": "pods" } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { headers: Record<string, string> };
    assert.equal(body.headers["X-Test"], "pods");
    const ip = (await (await fetch(`http://127.0.0.1:${port}/ip`)).json()) as { origin: string };
    assert.equal(ip.origin, "127.0.0.1");

    const log = await eventually(() => {
      const t = readIfExists(rt.logsPath(p.namespace, p.name, "httpbin"));
      return t?.includes("GET /ip") ? t : undefined;
    });
    assert.match(log, new RegExp(`listening on port ${port}`));
    assert.deepEqual(rt.pids(), [ready.containers[0]!.pid]);

    await rt.stop(p.namespace, p.name);
    assert.equal(rt.status(p.namespace, p.name), undefined);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/ip`));
  });

  it("restarts an exiting container with growing back-off, shows CrashLoopBackOff, then recovers", async () => {
    const counter = join(dir, "attempts");
    // Fails twice (exit 3), then keeps running.
    const script = `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; echo "attempt $n"; [ $n -ge 3 ] && exec sleep 1000; exit 3`;
    const p = pod([{ name: "flaky", command: sh(script) }]);
    const seen: PodStatus[] = [];
    const onChange = (s: PodStatus): void => void (s.name === p.name && seen.push(s));
    rt.on("change", onChange);
    rt.start(p);

    const recovered = await statusWhen(
      rt,
      p.namespace,
      p.name,
      (s) => s.containers[0]!.state === "Running" && s.restarts === 2,
    );
    rt.off("change", onChange);
    assert.equal(recovered.phase, "Running");
    assert.equal(recovered.ready, true);
    assert.equal(recovered.containers[0]!.restarts, 2);

    const backoffs = seen
      .map((s) => s.containers[0]!)
      .filter((c) => c.reason === "CrashLoopBackOff")
      .map((c) => ({ exitCode: c.exitCode, message: c.message ?? "" }));
    const delays = [...new Set(backoffs.map((b) => /back-off (\S+) /.exec(b.message)?.[1]))];
    assert.deepEqual(delays, ["40ms", "80ms"]);
    assert.ok(backoffs.every((b) => b.exitCode === 3));
    assert.match(
      backoffs[0]!.message,
      new RegExp(`restarting failed container=flaky pod=${p.name}_test\\(${p.uid}\\)`),
    );
    assert.ok(seen.some((s) => s.phase === "Running" && s.containers[0]!.state === "Waiting"));

    // stdout of every run, appended in order.
    const log = await eventually(() => {
      const t = readIfExists(rt.logsPath(p.namespace, p.name, "flaky"));
      return t?.includes("attempt 3") ? t : undefined;
    });
    assert.equal(log, "attempt 1\nattempt 2\nattempt 3\n");
  });

  it("restartPolicy Never leaves a failed container terminated; OnFailure a successful one", async () => {
    const failed = pod([{ name: "job", command: sh("echo boom >&2; exit 7") }], { restartPolicy: "Never" });
    rt.start(failed);
    const f = await statusWhen(
      rt,
      failed.namespace,
      failed.name,
      (s) => s.phase !== "Running" && s.phase !== "Pending",
    );
    assert.equal(f.phase, "Failed");
    assert.deepEqual(
      { state: f.containers[0]!.state, reason: f.containers[0]!.reason, exitCode: f.containers[0]!.exitCode },
      { state: "Terminated", reason: "Error", exitCode: 7 },
    );
    assert.equal(f.restarts, 0);
    assert.match(readFileSync(rt.logsPath(failed.namespace, failed.name, "job"), "utf8"), /boom/);
    await assert.rejects(rt.readyWhen(failed.namespace, failed.name, 5_000), (e: unknown) => {
      assert.ok(e instanceof AmbitError);
      assert.equal(e.code, "POD_NOT_READY");
      assert.match(e.message, /Failed/);
      return true;
    });

    const ok = pod([{ name: "job", command: ["true"] }], { restartPolicy: "OnFailure" });
    rt.start(ok);
    const s = await statusWhen(rt, ok.namespace, ok.name, (x) => x.phase === "Succeeded");
    assert.equal(s.containers[0]!.reason, "Completed");
    assert.equal(s.containers[0]!.exitCode, 0);
  });

  it("gives the process the container's env, Downward API fields and workingDir, not the parent's env", async () => {
    const work = mkdtempSync(join(dir, "work-"));
    process.env.AMBIT_TEST_PARENT_ONLY = "leak";
    const p = pod(
      [
        {
          name: "env",
          command: sh(
            'echo "$POD_NAME|$POD_NAMESPACE|$POD_IP|$NODE_NAME|$SA|$GREETING|$HOSTNAME|${AMBIT_TEST_PARENT_ONLY-unset}|$(pwd)" > out.txt; exec sleep 1000',
          ),
          workingDir: work,
          env: [
            { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
            { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
            { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
            { name: "SA", valueFrom: { fieldRef: { fieldPath: "spec.serviceAccountName" } } },
            { name: "GREETING", value: "hello $(POD_NAME)" },
          ],
        },
      ],
      { serviceAccountName: "sleep" },
    );
    try {
      rt.start(p);
      const line = await eventually(() => readIfExists(join(work, "out.txt")));
      assert.equal(
        line.trim(),
        `${p.name}|test|127.0.0.1|node-1|sleep|hello ${p.name}|${p.name}|unset|${work}`,
      );
    } finally {
      delete process.env.AMBIT_TEST_PARENT_ONLY;
    }
  });

  it("stop kills the whole process group: a grandchild is not left behind", async () => {
    const pidFile = join(dir, "grandchild.pid");
    const p = pod([{ name: "parent", command: sh(`sleep 1000 & echo $! > ${pidFile}; wait`) }]);
    rt.start(p);
    const grandchild = Number(await eventually(() => readIfExists(pidFile)));
    const parent = rt.status(p.namespace, p.name)!.containers[0]!.pid!;
    assert.ok(!processGone(grandchild));
    await rt.stop(p.namespace, p.name);
    assert.ok(processGone(parent));
    await eventually(() => (processGone(grandchild) ? true : undefined), 5_000);
    assert.deepEqual(rt.pids(), []);
  });

  it("stop escalates to SIGKILL after the grace period for a process that ignores SIGTERM", async () => {
    const pidFile = join(dir, "stubborn.pid");
    // "$$$$": Kubernetes reads "$$" in a command as an escaped "$".
    const p = pod(
      [{ name: "stubborn", command: sh(`trap '' TERM; echo $$$$ > ${pidFile}; sleep 1000; sleep 1000`) }],
      {
        terminationGracePeriodSeconds: 0.2,
      },
    );
    rt.start(p);
    const pid = Number(await eventually(() => readIfExists(pidFile)));
    assert.equal(pid, rt.status(p.namespace, p.name)!.containers[0]!.pid);
    await rt.stop(p.namespace, p.name);
    assert.ok(processGone(pid));
  });

  it("reports IMAGE_NOT_RUNNABLE for an image it cannot run, and still runs the pod's other containers", async () => {
    const p = pod([
      { name: "web", image: "nginx:1.27", ports: [{ containerPort: 80 }] },
      { name: "side", image: "busybox", command: ["sleep", "1000"] },
    ]);
    const s = rt.start(p);
    assert.equal(s.phase, "Pending");
    assert.equal(s.ready, false);
    const web = s.containers[0]!;
    assert.equal(web.state, "Waiting");
    assert.equal(web.reason, "ImageNotRunnable");
    assert.match(web.message ?? "", /IMAGE_NOT_RUNNABLE/);
    assert.match(web.message ?? "", /nginx:1\.27/);
    assert.match(web.message ?? "", /"web"/);
    assert.equal(s.containers[1]!.state, "Running");
    await assert.rejects(rt.readyWhen(p.namespace, p.name, 5_000), (e: unknown) => {
      assert.ok(e instanceof AmbitError);
      assert.equal(e.code, "POD_NOT_READY");
      assert.match(e.message, /web cannot start/);
      return true;
    });
    assert.equal(rt.pids().length, 1);
  });

  it("a container that cannot be started (missing workingDir) waits to retry, and its log says why", async () => {
    const p = pod([{ name: "app", command: ["sleep", "1000"], workingDir: join(dir, "no-such-dir") }]);
    rt.start(p);
    const s = await statusWhen(
      rt,
      p.namespace,
      p.name,
      (x) => x.containers[0]!.reason === "CrashLoopBackOff",
    );
    assert.match(s.containers[0]!.message ?? "", /workingDir .*no-such-dir does not exist/);
    assert.match(
      readFileSync(rt.logsPath(p.namespace, p.name, "app"), "utf8"),
      /^ambit: workingDir .* does not exist/m,
    );
  });

  it("a container whose port does not accept connections is not ready, and says so at the timeout", async () => {
    const port = await freePort();
    const p = pod([{ name: "deaf", command: ["sleep", "1000"], ports: [{ containerPort: port }] }]);
    rt.start(p);
    await assert.rejects(rt.readyWhen(p.namespace, p.name, 600), (e: unknown) => {
      assert.ok(e instanceof AmbitError);
      assert.equal(e.code, "POD_NOT_READY");
      assert.match(e.message, /deaf: Running/);
      assert.match(e.hint ?? "", /deaf\.log/);
      return true;
    });
    const s = rt.status(p.namespace, p.name)!;
    assert.equal(s.phase, "Running");
    assert.equal(s.containers[0]!.ready, false);
  });

  it("refuses to start a pod twice, and lists what runs", async () => {
    const p = pod([{ name: "c", command: ["sleep", "1000"] }]);
    rt.start(p);
    assert.throws(
      () => rt.start(p),
      (e: unknown) => e instanceof AmbitError && e.code === "POD_EXISTS",
    );
    assert.deepEqual(
      rt.list().map((s) => `${s.namespace}/${s.name}`),
      [`test/${p.name}`],
    );
    const [proc] = rt.processes();
    assert.deepEqual({ ...proc, pid: 0 }, { namespace: "test", name: p.name, container: "c", pid: 0 });
  });
});
