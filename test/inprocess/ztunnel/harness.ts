/**
 * In-process node proxy rig: a real control plane (xDS + CA over TLS gRPC on 127.0.0.1), the
 * local-mode roots file it publishes (src/local/roots-file.ts), and a real `startZtunnel` on
 * 127.0.0.1 with every port picked by the OS. There is no redirection here: every accepted
 * connection "was meant for" the server pod (injected original destination), and the proxy's
 * connections to pods go to a TCP echo server on 127.0.0.1. Not a test file.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseText } from "../../../src/api/load.js";
import { startControlPlane, type ControlPlane } from "../../../src/controlplane/server.js";
import type { CertificateAuthority } from "../../../src/identity/index.js";
import { publishRoots } from "../../../src/local/roots-file.js";
import type { WorkloadCert } from "../../../src/ztunnel/certs.js";
import { tcpConnect } from "../../../src/ztunnel/dial.js";
import { issueWorkloadCert, SILENT, startUpstream, until } from "../hbone/harness.js";
import { startZtunnel, type Ztunnel } from "../../../src/ztunnel/proxy.js";

export const SERVER_PORT = 8080;

export const SHOP = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: shop}
spec: {nodeName: node1, serviceAccountName: server, containers: [{name: c, command: ["/bin/sleep", "infinity"]}]}
`;

export interface Rig {
  dir: string;
  /** The current control plane (replaced by `restartControlPlane`). */
  cp: ControlPlane;
  z: Ztunnel;
  rootsFile: string;
  serverIp: string;
  apply(yaml: string): void;
  /**
   * Stops the control plane and starts it again on the same port and state directory (as
   * `ambit up` or a restarted `ambit controlplane` would), republishing the roots file.
   */
  restartControlPlane(): Promise<void>;
  /** The proxy's admin /config_dump, as `ambit ztunnel-config` reads it. */
  dump(): Promise<Dump>;
  close(): Promise<void>;
}

export interface Dump {
  mesh: { rootNamespace: string; source: string };
  trustBundle: {
    roots: { fingerprint256: string; subject: string; sources: string[] }[];
    file?: { path: string; roots: number; error?: string };
  };
}

export async function startRig(opts: { cacertsDir?: string; meshConfigFile?: string } = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), "ambit-ztunnel-"));
  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    // The "pods": a TCP echo that half-closes when the client does.
    const echo = await startUpstream((s) => s.pipe(s));
    cleanups.push(() => echo.close());
    const rootsFile = join(dir, "roots.pem");
    const startCp = async (grpcPort: number) => {
      const cp = await startControlPlane({
        stateDir: join(dir, "cp"),
        grpcPort,
        debugPort: 0,
        nodes: [{ name: "node1", podCidr: "10.244.1.0/24", address: "10.0.0.1" }],
        ...(opts.cacertsDir ? { cacertsDir: opts.cacertsDir } : {}),
        ...(opts.meshConfigFile ? { meshConfigFile: opts.meshConfigFile } : {}),
        xdsDebounceMs: 5,
        log: SILENT,
      });
      const stopRoots = publishRoots(cp.ca, rootsFile, SILENT);
      return {
        cp,
        close: async () => {
          stopRoots();
          await cp.close();
        },
      };
    };
    let current = await startCp(0);
    cleanups.push(() => current.close());
    const cp = current.cp;
    applyTo(cp, SHOP);
    const token = await cp.tokens.create("node1");
    const serverIp = await until(
      () => cp.state().workloads.find((w) => w.name === "server")?.addresses[0],
      "the server pod has an address",
    );
    const z = await startZtunnel({
      node: "node1",
      controlPlane: cp.grpcAddress,
      controlPlaneRoots: readFileSync(rootsFile, "utf8"),
      controlPlaneRootsFile: rootsFile,
      rootsWatch: { debounceMs: 20, pollMs: 100 },
      token: () => token,
      host: "127.0.0.1",
      ports: { ztunnelOutbound: 0, ztunnelInbound: 0, hbone: 0, dns: 0, metrics: 0, ready: 0, admin: 0 },
      originalDestination: () => ({ address: serverIp, port: SERVER_PORT }),
      connect: () => tcpConnect("127.0.0.1", echo.port),
      log: SILENT,
    });
    cleanups.push(() => z.close());
    await z.synced();
    const rig: Rig = {
      dir,
      cp,
      z,
      rootsFile,
      serverIp,
      apply: (yaml) => applyTo(rig.cp, yaml),
      restartControlPlane: async () => {
        const port = Number(rig.cp.grpcAddress.split(":").pop());
        await current.close();
        current = await startCp(port);
        rig.cp = current.cp;
      },
      dump: async () => {
        const res = await fetch(`http://127.0.0.1:${z.ports.admin}/config_dump`);
        return (await res.json()) as Dump;
      },
      close,
    };
    return rig;
  } catch (e) {
    await close();
    throw e;
  }
}

function applyTo(cp: ControlPlane, yaml: string): void {
  const r = cp.store.apply(parseText(yaml, "test.yaml").documents);
  if (!r.ok) throw new Error(`not applied: ${JSON.stringify(r.findings)}`);
}

/** A certificate for `identity` from `ca`, as a peer proxy would hold it. */
export function certFrom(ca: CertificateAuthority, identity: string): WorkloadCert {
  return issueWorkloadCert(ca, identity);
}

/**
 * Sends `text` in plaintext to the proxy's inbound port (15006 role) and half-closes; resolves
 * with what came back before the connection closed, and whether it was reset.
 */
export function plaintextExchange(port: number, text: string): Promise<{ reply: string; reset: boolean }> {
  return new Promise((resolve) => {
    const s = netConnect({ host: "127.0.0.1", port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let reset = false;
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("error", () => (reset = true));
    s.once("connect", () => s.end(text));
    s.once("close", () => resolve({ reply: Buffer.concat(chunks).toString(), reset }));
    // Bounded: a connection that neither answers nor closes fails the caller's assertion.
    setTimeout(() => s.destroy(), 10_000).unref();
  });
}

/** Like `until`, for an async check. */
export async function untilAsync(check: () => Promise<boolean>, what: string, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never happened: ${what}`);
}

export { CLIENT_ID, SERVER_ID, SILENT, TD } from "../hbone/harness.js";
export { until };
