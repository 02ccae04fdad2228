/**
 * Control plane benchmark: 10,000 workloads, 1,000 services, 1,000 policies, 100 proxies over
 * real TLS gRPC. Measures the initial push, single-change-to-ACK latency, control plane RSS and
 * CA throughput. The control plane runs in a child process so its RSS is its own.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { createCaClient, generateKeyAndCsr, IMPERSONATED_IDENTITY_KEY } from "../src/identity/index.js";
import {
  ADDRESS_TYPE_URL,
  XdsClient,
  decodeAddress,
  type XdsSubscription,
  type AddressResource,
} from "../src/xds/index.js";

const WORKLOADS = 10_000;
const SERVICES = 1_000;
const POLICIES = 1_000;
const PROXIES = 100;
const CHANGES = 50;
const CERTS = 2_000;

export function config(): string {
  const docs: string[] = [];
  const namespaces = 10;
  for (let n = 0; n < namespaces; n++)
    docs.push(
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: ns-${n}, labels: {istio.io/dataplane-mode: ambient}}`,
    );
  for (let s = 0; s < SERVICES; s++)
    docs.push(
      `apiVersion: v1\nkind: Service\nmetadata: {name: svc-${s}, namespace: ns-${s % namespaces}}\nspec:\n  selector: {app: app-${s}}\n  ports: [{name: http, port: 80, targetPort: 8080}]`,
    );
  for (let w = 0; w < WORKLOADS; w++) {
    const s = w % SERVICES;
    docs.push(
      `apiVersion: v1\nkind: Pod\nmetadata: {name: pod-${w}, namespace: ns-${s % namespaces}, labels: {app: app-${s}, version: v1}}\nspec:\n  nodeName: node-${w % PROXIES}\n  serviceAccountName: sa-${s}\n  containers: [{name: main, command: [/bin/sleep, infinity], ports: [{containerPort: 8080}]}]`,
    );
  }
  for (let p = 0; p < POLICIES; p++)
    docs.push(
      `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: allow-${p}, namespace: ns-${p % namespaces}}\nspec:\n  selector: {matchLabels: {app: app-${p}}}\n  action: ALLOW\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/ns-${(p + 1) % namespaces}/sa/sa-${(p + 1) % SERVICES}]}}]\n    to: [{operation: {ports: ["8080"]}}]`,
    );
  return docs.join("\n---\n");
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function ask<T>(child: ChildProcess, msg: object, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (key in m) {
        child.off("message", on);
        resolve(m[key] as T);
      }
    };
    child.on("message", on);
    child.send(msg);
  });
}

export async function run(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), "ambit-bench-cp-"));
  const child = fork(join(import.meta.dirname, "controlplane-server.ts"), [stateDir], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, AMBIT_LOG_LEVEL: "silent" },
  });
  const clients: XdsClient[] = [];
  try {
    const info = await new Promise<{ grpc: string; debug: string; adminToken: string; roots: string[] }>(
      (r) => child.once("message", r as never),
    );
    const admin = async (text: string) => {
      const res = await fetch(`http://${info.debug}/apis/v1/apply`, {
        method: "POST",
        headers: { authorization: `Bearer ${info.adminToken}` },
        body: JSON.stringify({ files: [{ name: "bench.yaml", text }] }),
      });
      if (res.status !== 200)
        throw new Error(`apply failed: HTTP ${res.status} ${(await res.text()).slice(0, 500)}`);
    };
    process.stderr.write(`applying ${WORKLOADS} workloads, ${SERVICES} services, ${POLICIES} policies...\n`);
    await admin(config());
    const creds = grpc.credentials.createSsl(Buffer.from(info.roots.join("\n")));

    // Initial push: from the proxies' start to all 100 holding the full config.
    const tokens: string[] = [];
    for (let i = 0; i < PROXIES; i++)
      tokens.push(await ask<string>(child, { cmd: "token", node: `node-${i}` }, "token"));
    const subs: XdsSubscription<AddressResource>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < PROXIES; i++) {
      const token = tokens[i]!;
      const c = new XdsClient({
        address: info.grpc,
        credentials: creds,
        node: { id: `node-${i}` },
        token: () => token,
      });
      subs.push(c.subscribe(ADDRESS_TYPE_URL, { decode: (b) => decodeAddress(b) }));
      clients.push(c);
      c.start();
    }
    // The server splits large pushes into ~1 MiB responses: done is when every proxy holds all.
    await Promise.all(subs.map((s) => holds(s, WORKLOADS + SERVICES)));
    const initialPushS = (performance.now() - t0) / 1000;

    // Single workload change -> applied by all proxies (each client ACKs as it applies).
    const latencies: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const version = `v${i + 2}`;
      const uidSuffix = "/Pod/ns-0/pod-0";
      const seen = subs.map(
        (s) =>
          new Promise<void>((resolve) => {
            const check = () => {
              const w = [...s.resources().entries()].find(([name]) => name.endsWith(uidSuffix))?.[1];
              if (w?.kind === "workload" && w.workload.labels.version === version) {
                s.off("change", check);
                resolve();
              }
            };
            s.on("change", check);
          }),
      );
      const start = performance.now();
      await admin(
        `apiVersion: v1\nkind: Pod\nmetadata: {name: pod-0, namespace: ns-0, labels: {app: app-0, version: ${version}}}\nspec:\n  nodeName: node-0\n  serviceAccountName: sa-0\n  containers: [{name: main, command: [/bin/sleep, infinity], ports: [{containerPort: 8080}]}]`,
      );
      await Promise.all(seen);
      latencies.push(performance.now() - start);
    }
    latencies.sort((a, b) => a - b);
    const rssMb = (await ask<number>(child, { cmd: "rss" }, "rss")) / (1 << 20);

    // CA: certificates per second through the gRPC API, 32 in flight, for workloads on node-0.
    const caToken = tokens[0]!;
    const ids = Array.from(
      { length: WORKLOADS / PROXIES },
      (_, k) =>
        `spiffe://cluster.local/ns/ns-${((k * PROXIES) % SERVICES) % 10}/sa/sa-${(k * PROXIES) % SERVICES}`,
    );
    const csrs = Array.from({ length: CERTS }, (_, i) => ({
      id: ids[i % ids.length]!,
      csr: generateKeyAndCsr(ids[i % ids.length]!).csrPem,
    }));
    const ca = createCaClient(info.grpc, creds);
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${caToken}`);
    let next = 0;
    const c0 = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < csrs.length) {
          const { id, csr } = csrs[next++]!;
          await new Promise<void>((resolve, reject) =>
            ca.CreateCertificate(
              {
                csr,
                validityDuration: "3600",
                metadata: { fields: { [IMPERSONATED_IDENTITY_KEY]: { stringValue: id } } },
              },
              md,
              { deadline: Date.now() + 30_000 },
              (err) => (err ? reject(err) : resolve()),
            ),
          );
        }
      }),
    );
    const caCertsPerS = CERTS / ((performance.now() - c0) / 1000);
    ca.close();

    const result = {
      initial_push_s: round(initialPushS, 3),
      change_p50_ms: round(pct(latencies, 50), 1),
      change_p99_ms: round(pct(latencies, 99), 1),
      rss_mb: round(rssMb, 1),
      ca_certs_per_s: Math.round(caCertsPerS),
    };
    const targets: Record<keyof typeof result, [string, boolean]> = {
      initial_push_s: ["< 2 s", result.initial_push_s < 2],
      change_p50_ms: ["-", true],
      change_p99_ms: ["< 100 ms", result.change_p99_ms < 100],
      rss_mb: ["< 400 MB", result.rss_mb < 400],
      ca_certs_per_s: [">= 500", result.ca_certs_per_s >= 500],
    };
    process.stdout.write(
      `\ncontrol plane: ${WORKLOADS} workloads, ${SERVICES} services, ${POLICIES} policies, ${PROXIES} proxies\n`,
    );
    for (const [k, v] of Object.entries(result)) {
      const [target, ok] = targets[k as keyof typeof result];
      process.stdout.write(
        `  ${k.padEnd(16)} ${String(v).padStart(10)}   target ${target.padEnd(9)} ${ok ? "ok" : "MISSED"}\n`,
      );
    }
    const dir = join(import.meta.dirname, "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "controlplane.json"), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`wrote bench/results/controlplane.json\n`);
  } finally {
    for (const c of clients) c.close();
    child.send({ cmd: "stop" });
    await new Promise((r) => child.once("exit", r));
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function holds(s: XdsSubscription<AddressResource>, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`a proxy holds ${s.resources().size} addresses after 60 s, expected ${n}`)),
      60_000,
    );
    const check = () => {
      if (s.resources().size < n) return;
      clearTimeout(timer);
      s.off("change", check);
      resolve();
    };
    s.on("change", check);
    check();
  });
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
