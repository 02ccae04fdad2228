/**
 * In-process HBONE rig: a real control plane (CA over TLS gRPC) with pods on node1, a real
 * WorkloadCertManager using the node's token, an HboneServer behind a TCP listener on
 * 127.0.0.x, and plain TCP upstreams standing in for pods. Not a test file.
 */
import * as grpc from "@grpc/grpc-js";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { parseText } from "../../../src/api/load.js";
import { startControlPlane, type ControlPlane } from "../../../src/controlplane/server.js";
import { CertificateAuthority, generateKeyAndCsr } from "../../../src/identity/index.js";
import { caSigner, WorkloadCertManager, type WorkloadCert } from "../../../src/ztunnel/certs.js";
import { HboneServer, type HboneServerOptions } from "../../../src/ztunnel/hbone/server.js";

export const TD = "cluster.local";
export const CLIENT_ID = `spiffe://${TD}/ns/shop/sa/client`;
export const SERVER_ID = `spiffe://${TD}/ns/shop/sa/server`;
export const SILENT = pino({ level: "silent" });

const PODS = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop}
spec: {nodeName: node1, serviceAccountName: client, containers: [{name: c, command: ["/bin/sleep", "infinity"]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: shop}
spec: {nodeName: node1, serviceAccountName: server, containers: [{name: c, command: ["/bin/sleep", "infinity"]}]}
`;

export interface Mesh {
  dir: string;
  cp: ControlPlane;
  token: string;
  certs: WorkloadCertManager;
  bundle: () => string[];
  close(): Promise<void>;
}

export async function startMesh(): Promise<Mesh> {
  const dir = mkdtempSync(join(tmpdir(), "ambit-hbone-"));
  const cp = await startControlPlane({
    stateDir: dir,
    grpcPort: 0,
    debugPort: 0,
    nodes: [{ name: "node1", podCidr: "10.244.1.0/24", address: "10.0.0.1" }],
    log: SILENT,
  });
  const applied = cp.store.apply(parseText(PODS, "pods.yaml").documents);
  if (!applied.ok) throw new Error(`pods not applied: ${JSON.stringify(applied.findings)}`);
  const token = await cp.tokens.create("node1");
  const bundle = () => cp.trustBundle();
  const certs = new WorkloadCertManager({
    sign: caSigner({
      address: cp.grpcAddress,
      credentials: grpc.credentials.createSsl(Buffer.from(bundle().join(""))),
      token: () => token,
      node: "node1",
    }),
    trustBundle: bundle,
    log: SILENT,
  });
  return {
    dir,
    cp,
    token,
    certs,
    bundle,
    close: async () => {
      certs.close();
      await cp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An HboneServer accepting on host:0 as the proxy would (the dialled address is the local one). */
export interface RunningServer {
  server: HboneServer;
  port: number;
  host: string;
  close(): Promise<void>;
}

export async function startHbone(host: string, opts: HboneServerOptions, port = 0): Promise<RunningServer> {
  const server = new HboneServer(opts);
  const listener = createServer({ allowHalfOpen: true }, (s) =>
    server.accept(s, { localIp: s.localAddress ?? host }),
  );
  await listen(listener, host, port);
  return {
    server,
    host,
    port: (listener.address() as AddressInfo).port,
    close: async () => {
      await server.close();
      await new Promise<void>((r) => listener.close(() => r()));
    },
  };
}

export function listen(s: Server, host: string, port = 0): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once("error", reject);
    s.listen(port, host, () => resolve());
  });
}

export function dialUpstream(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // Default options, as a proxy would dial: the HBONE server must make it half-open itself.
    const s = netConnect({ host: "127.0.0.1", port });
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

/** A TCP "pod" on 127.0.0.1 with the given behaviour per connection. */
export async function startUpstream(
  handler: (s: Socket) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    handler(s);
  });
  await listen(srv, "127.0.0.1");
  return {
    port: (srv.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

/** Reads a stream to its end. */
export function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on("data", (c: Buffer) => chunks.push(c));
    s.once("end", () => resolve(Buffer.concat(chunks)));
    s.once("error", reject);
  });
}

export { capturingLogger } from "../../unit/log-capture.js";

/** Polls until `get` returns a value; bounded (count and time), for background effects. */
export async function until<T>(get: () => T | undefined | false, what: string, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = get();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never happened: ${what}`);
}

/** Polls until `check` holds (`until` for a condition). */
export async function eventually(check: () => boolean, what: string, tries = 200): Promise<void> {
  await until(check, what, tries);
}

/** A certificate for `identity` signed by `ca`, as a proxy holds one (key, chain, validity). */
export function issueWorkloadCert(
  ca: CertificateAuthority,
  identity: string,
  ttlSeconds = 3600,
): WorkloadCert {
  const { keyPem, csrPem } = generateKeyAndCsr(identity);
  const c = ca.signCsr(csrPem, { identity, ttlSeconds });
  return {
    identity,
    keyPem,
    chainPem: c.chain,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    serial: c.serial,
  };
}

/** A CA outside the control plane, for certificates it would never issue (other trust domain, expired). */
export async function sideCa(trustDomain: string): Promise<{
  ca: CertificateAuthority;
  shiftMs: { value: number };
  issue(id: string, ttl?: number): WorkloadCert;
  close(): void;
}> {
  const dir = mkdtempSync(join(tmpdir(), "ambit-hbone-ca-"));
  const shiftMs = { value: 0 };
  const ca = await CertificateAuthority.open({
    trustDomain,
    stateDir: dir,
    now: () => new Date(Date.now() + shiftMs.value),
    log: SILENT,
  });
  return {
    ca,
    shiftMs,
    issue: (identity, ttlSeconds) => issueWorkloadCert(ca, identity, ttlSeconds),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
