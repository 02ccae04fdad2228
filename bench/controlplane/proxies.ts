/**
 * Child process of the control plane benchmark: some of the 100 simulated node proxies, each an
 * XdsClient over real TLS gRPC subscribed to istio.workload.Address. Proxies are spread over a
 * few such processes so that receiving the initial push is not serialized on one thread (on a
 * real mesh every proxy has its own node).
 *
 * Each proxy does all of the xDS client's work: it receives every response, reads every
 * resource, applies it to its subscription (name -> value) and ACKs. What it does not
 * do is decode 11,000 addresses into a node proxy's state and keep them: on a real mesh every
 * proxy does that on its own node, and 100 proxies doing it here would measure 100 times one
 * proxy's work on the bench machine's two cores. So the first proxy of each process keeps the
 * bytes of every resource (byte-store.ts, for `decode`, which reports what one full decode
 * costs), and the others keep only the workload the change loop watches.
 * AMBIT_BENCH_PROXIES_KEEP=all makes every proxy keep every resource's bytes, as the bench did
 * until 2026-11-22 (docs/controlplane.md has the numbers of both).
 *
 * Messages (parent -> child -> parent):
 *   {cmd: "start"}                 -> {held: cpuMs} once every proxy holds `expect` addresses
 *   {cmd: "expect", version}       -> {ready: ""} at once, then {seen: ""} once every proxy holds
 *                                     the edited workload with label version=<version>
 *   {cmd: "decode"}                -> {decodeMs: n}, one proxy decoding every address it received
 *   {cmd: "stop"}                  -> exits
 */
import * as grpc from "@grpc/grpc-js";
import {
  ADDRESS_TYPE_URL,
  XdsClient,
  controlPlaneChannelOptions,
  decodeAddress,
  type XdsChange,
  type XdsSubscription,
} from "../../src/xds/index.js";
import { xdsProtos } from "../../src/xds/wire/protos.js";
import { tuneProxyRuntime } from "../../src/ztunnel/runtime.js";
import { ByteStore } from "./byte-store.js";
import { startPushProfile, stopPushProfile } from "./push-profile.js";

interface Setup {
  grpc: string;
  roots: string[];
  proxies: { node: string; token: string }[];
  /** Addresses each proxy must hold after the initial push. */
  expect: number;
  /** xDS name of the workload the change loop edits. */
  watch: string;
}

type Message = { cmd: "start" } | { cmd: "expect"; version: string } | { cmd: "decode" } | { cmd: "stop" };

const setup = JSON.parse(process.argv[2]!) as Setup;
const creds = grpc.credentials.createSsl(Buffer.from(setup.roots.join("\n")));
const clients: XdsClient[] = [];
// Per proxy: its subscription (name -> a reference into its store, or NOT_KEPT), its store of
// resource bytes if it keeps them, and a copy of the last bytes it received for the watched
// workload.
const subs: XdsSubscription<number>[] = [];
const stores: (ByteStore | undefined)[] = [];
const watched: (Uint8Array | undefined)[] = [];
const NOT_KEPT = -1;
const keepAll = process.env.AMBIT_BENCH_PROXIES_KEEP === "all";
const send = (m: object) => process.send!(m);

process.on("message", (m: Message) => {
  if (m.cmd === "start") void start();
  if (m.cmd === "expect") expect(m.version);
  if (m.cmd === "decode") {
    const t = performance.now();
    for (const i of subs[0]?.resources().values() ?? []) decodeAddress(stores[0]!.get(i));
    send({ decodeMs: performance.now() - t });
  }
  if (m.cmd === "stop") {
    for (const c of clients) c.close();
    process.exit(0);
  }
});
// An orphan (the bench died) must not linger.
process.on("disconnect", () => process.exit(1));
// Each simulated proxy stands for an `ambit ztunnel` process, which tunes its runtime first.
tuneProxyRuntime();
// The resource schemas are loaded before the proxies start, as a node proxy process has them
// before its first config arrives (the XdsClient itself needs no schema).
xdsProtos();
send({ up: "" });

async function start(): Promise<void> {
  await startPushProfile();
  const cpu0 = process.cpuUsage();
  for (const p of setup.proxies) {
    const c = new XdsClient({
      address: setup.grpc,
      credentials: creds,
      node: { id: p.node },
      token: () => p.token,
      channelOptions: {
        // A connection of its own, as a proxy on its own node has (grpc-js would otherwise
        // share one HTTP/2 connection between all the clients of this process).
        "grpc.use_local_subchannel_pool": 1,
        // The server name a node proxy verifies (src/ztunnel/proxy.ts), not the IP address.
        ...controlPlaneChannelOptions(),
      },
    });
    const k = subs.length;
    const store = keepAll || k === 0 ? new ByteStore() : undefined;
    stores.push(store);
    const decode = (bytes: Uint8Array, name: string): number => {
      if (name === setup.watch) watched[k] = Uint8Array.from(bytes);
      return store ? store.put(bytes) : NOT_KEPT;
    };
    subs.push(c.subscribe(ADDRESS_TYPE_URL, { decode }));
    clients.push(c);
    c.start();
    // Let the other proxy processes' connections in between: a real mesh's proxies do not
    // line up by process, and the server serves them in arrival order.
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(subs.map((s) => until(s, () => s.resources().size >= setup.expect)));
  const cpu = process.cpuUsage(cpu0);
  await stopPushProfile("proxies");
  send({ held: (cpu.user + cpu.system) / 1000 });
}

function expect(version: string): void {
  const holdsVersion = (k: number) => {
    const bytes = watched[k];
    const a = bytes !== undefined ? decodeAddress(bytes) : undefined;
    return a?.kind === "workload" && a.workload.labels.version === version;
  };
  const all = subs.map((s, k) =>
    until(s, (c) => c !== undefined && [...c.updated, ...c.added].includes(setup.watch) && holdsVersion(k)),
  );
  send({ ready: "" });
  void Promise.all(all).then(() => send({ seen: "" }));
}

/** Resolves when `done` holds, checked now and after every change; bounded at 60 s. */
function until(s: XdsSubscription<number>, done: (c?: XdsChange) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    if (done()) return resolve();
    const timer = setTimeout(() => {
      s.off("change", check);
      reject(new Error(`a proxy holds ${s.resources().size} addresses and no expected change after 60 s`));
    }, 60_000);
    const check = (c: XdsChange) => {
      if (!done(c)) return;
      clearTimeout(timer);
      s.off("change", check);
      resolve();
    };
    s.on("change", check);
  });
}
