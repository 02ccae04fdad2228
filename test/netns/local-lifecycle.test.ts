/**
 * Local mode through the real CLI, as a user runs it: `ambit up -d` (a detached supervisor
 * process), pods that cannot run, `ambit down`, and cleaning up after the supervisor was killed.
 * `ambit up` binds the control plane's default localhost ports, so the two clusters here run one
 * after the other. Whatever a failed test leaves is removed in `after`, by this file's prefixes.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, type Dirent } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, it } from "node:test";
import { destroyAll } from "../../src/node/leftovers.js";
import type { ClusterRecord, StatusRecord } from "../../src/local/record.js";
import { leftoversOf, podByName, REPO } from "./local-helpers/cluster.js";
import { ambit, isAlive, netnsPids, runCommand, waitFor } from "./local-helpers/proc.js";

const stateDirs: string[] = [];
const started: Array<{ prefix: string; pid: number }> = [];

function newStateDir(): string {
  const d = mkdtempSync(join(tmpdir(), "ambit-lifecycle-test-"));
  stateDirs.push(d);
  return d;
}

const recordOf = (stateDir: string) =>
  JSON.parse(readFileSync(join(stateDir, "local", "cluster.json"), "utf8")) as ClusterRecord;
const statusOf = (stateDir: string) =>
  JSON.parse(readFileSync(join(stateDir, "local", "status.json"), "utf8")) as StatusRecord;

/** True when nothing listens on 127.0.0.1:`port` (we could bind it, and did let it go). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** `ambit up -d -f ...`; remembers the cluster so `after` can clean up if a test fails. */
async function up(stateDir: string, files: string[]): Promise<ClusterRecord> {
  // `ambit up` has no port flags: its control plane always takes localhost 15012 and 15014, so
  // a second cluster (another run of this tier, a demo) must be gone first. Wait a bounded while.
  await waitFor(
    "localhost 15012 and 15014 free for `ambit up`",
    async () => ((await portFree(15012)) && (await portFree(15014)) ? true : undefined),
    60_000,
    500,
  );
  const r = await ambit(stateDir, ["up", "-d", "--timeout", "60", ...files.flatMap((f) => ["-f", f])], {
    timeoutMs: 100_000,
  });
  if (existsSync(join(stateDir, "local", "cluster.json"))) {
    const rec = recordOf(stateDir);
    started.push({ prefix: rec.prefix, pid: rec.pid });
  }
  assert.equal(r.status, 0, `ambit up -d failed: ${r.stderr}`);
  assert.match(r.stderr, /cluster ready/);
  return recordOf(stateDir);
}

/** Every process of the cluster: supervisor, recorded children, and whatever runs in its namespaces. */
async function processesOf(rec: ClusterRecord): Promise<number[]> {
  const inNs = await Promise.all(
    leftoversOf(rec.prefix)
      .filter((n) => n.startsWith("/run/netns/"))
      .map((n) => netnsPids(n.slice(11))),
  );
  return [...new Set([rec.pid, ...rec.pids, ...inNs.flat()])].sort((a, b) => a - b);
}

/** Files left under `dir`, relative to it (none when it does not exist). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)))
    .sort();
}

/** The PID exists at all (running or a zombie not yet reaped). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

after(async () => {
  for (const s of started) {
    if (isAlive(s.pid)) process.kill(s.pid, "SIGKILL");
    await destroyAll(s.prefix);
  }
  for (const d of stateDirs) rmSync(d, { recursive: true, force: true });
});

const BAD_INPUT = `apiVersion: v1
kind: Namespace
metadata: { name: bad }
---
apiVersion: v1
kind: Pod
metadata: { name: crasher, namespace: bad }
spec:
  containers:
    - { name: main, image: busybox, command: ["sh", "-c", "echo boom; exit 3"] }
---
apiVersion: v1
kind: Pod
metadata: { name: unknown-image, namespace: bad }
spec:
  containers:
    - { name: web, image: "nginx:1.27", ports: [{ containerPort: 80 }] }
`;

describe("local mode through the CLI: up -d, bad input, down, crash cleanup", () => {
  const stateDir = newStateDir();
  let rec: ClusterRecord;

  it("ambit up -d -f examples/demo returns with every pod ready; ambit exec reaches httpbin", async () => {
    rec = await up(stateDir, [join(REPO, "examples/demo")]);
    assert.ok(isAlive(rec.pid), "the supervisor keeps running in the background");
    assert.equal(rec.nodes.length, 2);
    const r = await ambit(stateDir, [
      "exec",
      "-n",
      "demo",
      "deploy/sleep",
      "--",
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "http://httpbin:8000/headers",
    ]);
    assert.equal(r.stdout, "200", r.stderr);
  });

  it("a pod whose command exits is restarted with back-off; an unknown image says what to do", async () => {
    const applied = await ambit(stateDir, ["apply", "-f", "-"], { input: BAD_INPUT });
    assert.equal(applied.status, 0, applied.stderr);
    // The first restart comes after the kubelet's 10 s back-off.
    const crasher = await waitFor(
      "crasher restarted at least once",
      async () => {
        const p = podByName(statusOf(stateDir), "bad", "crasher");
        return p && p.restarts >= 1 && p.reason === "CrashLoopBackOff" ? p : undefined;
      },
      30_000,
      500,
    );
    assert.match(String(crasher.message), /back-off/, "the status says it is backing off");
    const bad = podByName(statusOf(stateDir), "bad", "unknown-image");
    assert.ok(bad, "the unknown-image pod is listed");
    assert.equal(bad.ready, false);
    assert.equal(bad.reason, "ImageNotRunnable");
    assert.match(String(bad.message), /nginx:1\.27/, "the message names the image");
    assert.match(String(bad.message), /command/, "and says to give the container a command");

    const status = await ambit(stateDir, ["status"]);
    assert.match(status.stdout, /^bad\s+crasher\s+0\/1\s+CrashLoopBackOff\s+[1-9]\d*\s/m);
    assert.match(status.stdout, /^bad\s+unknown-image\s+0\/1\s+ImageNotRunnable\s+0\s/m);
    assert.match(status.stdout, /not every pod is ready/);
    // The rest of the cluster is unaffected.
    assert.match(status.stdout, /^demo\s+httpbin-\S+\s+1\/1\s+Running\s+0\s/m);
    const log = readFileSync(join(stateDir, "local", "pods", "bad_crasher", "main.log"), "utf8");
    assert.match(log, /boom/, "the container's output is in its log");
  });

  it("ambit down removes every namespace, /etc/netns entry, process and file", async () => {
    const procs = await processesOf(rec);
    assert.ok(procs.length >= 5, `supervisor, 2 node proxies, pods: ${procs.join(" ")}`);
    const r = await ambit(stateDir, ["down"], { timeoutMs: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(leftoversOf(rec.prefix), [], "no namespace or /etc/netns entry with the prefix");
    assert.deepEqual(
      procs.filter((p) => isAlive(p)),
      [],
      "every process of the cluster has ended",
    );
    const nat = await runCommand(["iptables-save", "-t", "nat"]);
    assert.doesNotMatch(nat.stdout, /AMBIT/, "no rule in the machine's own namespace");
    assert.deepEqual(filesUnder(join(stateDir, "local")), [], `${stateDir}/local is removed (layout.ts)`);
  });

  it("after the supervisor is killed (SIGKILL), ambit down still removes everything", async () => {
    const dir = newStateDir();
    const crashed = await up(dir, [join(REPO, "examples/demo/httpbin.yaml")]);
    const procs = await processesOf(crashed);
    process.kill(crashed.pid, "SIGKILL");
    // Gone for good, not just a zombie: this machine's init reaps orphans about once a second.
    await waitFor("the supervisor is reaped", async () => (exists(crashed.pid) ? undefined : true), 10_000);
    assert.ok(leftoversOf(crashed.prefix).length > 0, "the crash left namespaces behind");
    assert.ok(
      procs.some((p) => p !== crashed.pid && isAlive(p)),
      "and processes (node proxies, pods) still running in them",
    );
    const status = await ambit(dir, ["status"]);
    assert.notEqual(status.status, 0, "ambit status: no cluster is running");
    assert.match(status.stderr, /no local cluster is running/);

    const r = await ambit(dir, ["down"], { timeoutMs: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`prefix ${crashed.prefix}`));
    assert.deepEqual(leftoversOf(crashed.prefix), []);
    assert.deepEqual(
      procs.filter((p) => isAlive(p)),
      [],
      "every process of the crashed cluster has ended",
    );
    assert.deepEqual(filesUnder(join(dir, "local")), []);
  });
});
