/**
 * Child process of the control plane benchmark: a control plane with 100 nodes, on port 0,
 * driven over IPC by bench/controlplane.ts. AMBIT_BENCH_TRACE=1 prints, per change, the time
 * spent in the apply request (validation, store, derivation, xDS update) and until the push.
 */
import { tuneControlPlaneRuntime } from "../../src/controlplane/runtime.js";
import { startControlPlane } from "../../src/controlplane/server.js";
import { ADDRESS_TYPE_URL } from "../../src/xds/index.js";
import { startPushProfile, stopPushProfile } from "./push-profile.js";

// As `ambit controlplane` runs it.
tuneControlPlaneRuntime();
const stateDir = process.argv[2]!;
const nodes = Array.from({ length: 100 }, (_, i) => ({
  name: `node-${i}`,
  podCidr: `10.244.${i}.0/24`,
  address: "",
}));
const cp = await startControlPlane({ stateDir, grpcPort: 0, debugPort: 0, nodes });
process.send!({
  ready: {
    grpc: cp.grpcAddress,
    debug: cp.debugAddress,
    adminToken: cp.adminToken,
    roots: cp.trustBundle(),
  },
});
// An orphan (the bench died) must not linger.
process.on("disconnect", () => process.exit(1));
if (process.env.AMBIT_BENCH_TRACE) {
  const apply = cp.store.apply.bind(cp.store);
  let t0 = 0;
  let tPublished = 0;
  cp.store.apply = (...args) => {
    t0 = performance.now();
    const r = apply(...args);
    process.stderr.write(
      `apply ${(performance.now() - t0).toFixed(1)} (publish done at ${(tPublished - t0).toFixed(1)})\n`,
    );
    return r;
  };
  cp.store.subscribe(() => (tPublished = performance.now()));
  cp.xds.on("push", () => process.stderr.write(`push at ${(performance.now() - t0).toFixed(1)}\n`));
}
let cpuMark = 0;
let cpuMarks = 0;
// Peak resident memory, sampled: the initial push to 100 proxies is the high-water mark.
let peak = 0;
let tick = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
  if (process.env.AMBIT_BENCH_TRACE && tick++ % 5 === 0) {
    const m = process.memoryUsage();
    process.stderr.write(
      `mem rss ${m.rss >> 20} heapTotal ${m.heapTotal >> 20} heapUsed ${m.heapUsed >> 20} external ${m.external >> 20}\n`,
    );
  }
}, 50);
sampler.unref();
process.on("message", (m: { cmd: string; node?: string; proxies?: number }) => {
  // CPU time used since the last "cpu" message: the bench brackets the initial push with two.
  if (m.cmd === "cpu") {
    // The first mark opens the initial push, the second closes it.
    if (cpuMarks++ === 0) void startPushProfile();
    else void stopPushProfile("controlplane");
    const now = process.cpuUsage();
    process.send!({ cpu: (now.user + now.system - cpuMark) / 1000 });
    cpuMark = now.user + now.system;
  }
  if (m.cmd === "token") void cp.tokens.create(m.node!).then((token) => process.send!({ token }));
  if (m.cmd === "rss") {
    const mem = process.memoryUsage();
    // Diagnosis only (AMBIT_BENCH_CHILD_ARGS=--expose-gc): the live heap, after RSS was read.
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      process.stderr.write(`control plane live heap after GC: ${process.memoryUsage().heapUsed >> 20} MB\n`);
    }
    process.send!({
      rss: {
        now: mem.rss,
        peak: Math.max(peak, mem.rss),
        heap: mem.heapUsed,
        heapTotal: mem.heapTotal,
        external: mem.external,
      },
    });
  }
  // Every proxy has ACKed the Address version that carries the latest change.
  if (m.cmd === "acked")
    cp.xds
      .whenAcked(ADDRESS_TYPE_URL, cp.xds.version(), { minSubscribers: m.proxies ?? 0, timeoutMs: 60_000 })
      .then(
        () => process.send!({ acked: "" }),
        (e: Error) => process.send!({ acked: e.message }),
      );
  if (m.cmd === "stop") void cp.close().then(() => process.exit(0));
});
