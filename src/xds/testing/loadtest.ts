/**
 * xDS load test for the benchmark (`npm run bench` can call runXdsLoad): one XdsServer and
 * `proxies` XdsClients in this process over real gRPC on 127.0.0.1, synthetic workloads,
 * services and policies. Measures
 *  - initialPushMs: clients start -> every client has ACKed every resource of both types;
 *  - changeToAckMs: one workload changed (setResources, debounce included) -> every client ACKed
 *    the new version, repeated `changes` times (p50 / p99 / max);
 *  - rssMb: resident memory after the initial push (server and all clients together).
 * With decode "full" every client decodes and validates every resource as a real proxy does,
 * so the client cost is multiplied by `proxies` on this one thread; "none" keeps the bytes and
 * measures the protocol machinery alone.
 */
import * as grpc from "@grpc/grpc-js";
import { XdsClient } from "../client/client.js";
import type { XdsDecode } from "../client/subscription.js";
import { decodeAddress, encodeService, encodeWorkload } from "../convert/address.js";
import {
  decodeAuthorization,
  encodeAuthorization,
  authorizationResourceName,
} from "../convert/authorization.js";
import { XdsServer } from "../server/server.js";
import { ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL } from "../typeurls.js";
import { serviceKey } from "../../model/workload.js";
import { syntheticAuthorization, syntheticService, syntheticWorkload } from "./synthetic.js";

export interface XdsLoadOptions {
  workloads: number;
  services: number;
  policies: number;
  proxies: number;
  changes: number;
  decode: "full" | "none";
  debounceMs?: number;
}

export interface XdsLoadResult {
  options: XdsLoadOptions;
  encodeMs: number;
  initialPushMs: number;
  /** CPU time (user + system) of this process during the initial push: less noisy than wall time. */
  initialPushCpuMs: number;
  changeToAckMs: { p50: number; p99: number; max: number };
  rssMb: number;
  heapUsedMb: number;
}

export async function runXdsLoad(opts: XdsLoadOptions): Promise<XdsLoadResult> {
  const server = new grpc.Server();
  const xds = new XdsServer({ debounceMs: opts.debounceMs ?? 10 });
  xds.attach(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  const clients: XdsClient[] = [];
  try {
    let t = performance.now();
    const addresses = new Map<string, Uint8Array>();
    for (let i = 0; i < opts.workloads; i++) {
      const w = syntheticWorkload(i);
      addresses.set(w.uid, encodeWorkload(w));
    }
    for (let i = 0; i < opts.services; i++) {
      const s = syntheticService(i);
      addresses.set(serviceKey(s), encodeService(s));
    }
    const policies = new Map<string, Uint8Array>();
    for (let i = 0; i < opts.policies; i++) {
      const a = syntheticAuthorization(i);
      policies.set(authorizationResourceName(a), encodeAuthorization(a));
    }
    xds.setResources(ADDRESS_TYPE_URL, addresses);
    const v0 = xds.setResources(AUTHORIZATION_TYPE_URL, policies);
    xds.flush();
    const encodeMs = performance.now() - t;

    const full = opts.decode === "full";
    const cpu0 = process.cpuUsage();
    const keepSize: XdsDecode<unknown> = (b) => b.length;
    const decodeAddr: XdsDecode<unknown> = full ? decodeAddress : keepSize;
    const decodeAuthz: XdsDecode<unknown> = full ? decodeAuthorization : keepSize;
    t = performance.now();
    for (let i = 0; i < opts.proxies; i++) {
      const c = new XdsClient({
        address: `127.0.0.1:${port}`,
        credentials: grpc.credentials.createInsecure(),
        node: { id: `proxy-${i}` },
        // Separate channels, as separate proxies would have.
        channelOptions: { "grpc.use_local_subchannel_pool": 1 },
      });
      c.subscribe(ADDRESS_TYPE_URL, { decode: decodeAddr });
      c.subscribe(AUTHORIZATION_TYPE_URL, { decode: decodeAuthz });
      c.start();
      clients.push(c);
    }
    const all = { minSubscribers: opts.proxies, timeoutMs: 120_000 };
    await Promise.all([
      xds.whenAcked(ADDRESS_TYPE_URL, v0, all),
      xds.whenAcked(AUTHORIZATION_TYPE_URL, v0, all),
    ]);
    const initialPushMs = performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    const mem = process.memoryUsage();

    const samples: number[] = [];
    for (let k = 0; k < opts.changes; k++) {
      const w = syntheticWorkload(k % opts.workloads, { labels: { app: "changed", round: String(k) } });
      t = performance.now();
      addresses.set(w.uid, encodeWorkload(w));
      const v = xds.setResources(ADDRESS_TYPE_URL, addresses);
      await xds.whenAcked(ADDRESS_TYPE_URL, v, { timeoutMs: 10_000 });
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    const pick = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0;
    return {
      options: opts,
      encodeMs: round(encodeMs),
      initialPushMs: round(initialPushMs),
      initialPushCpuMs: round((cpu.user + cpu.system) / 1000),
      changeToAckMs: { p50: round(pick(0.5)), p99: round(pick(0.99)), max: round(samples.at(-1) ?? 0) },
      rssMb: round(mem.rss / 2 ** 20),
      heapUsedMb: round(mem.heapUsed / 2 ** 20),
    };
  } finally {
    for (const c of clients) c.close();
    xds.close();
    server.forceShutdown();
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
