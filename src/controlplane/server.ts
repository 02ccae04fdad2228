/**
 * The control plane, embeddable in-process (tests, `ambit up`) or run by `ambit controlplane`:
 * config store -> registry -> xDS, the CA and xDS on one TLS gRPC port (15012), the admin/debug
 * HTTP API on localhost (15014). Everything it listens on is chosen by the caller; port 0 works.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Server as HttpServer } from "node:http";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { AmbitError, errorText } from "../common/errors.js";
import { createLogger, type Logger } from "../common/log.js";
import { PORTS } from "../common/paths.js";
import { VERSION } from "../common/version.js";
import { CertificateAuthority, NodeTokenStore, ServingCertProvider } from "../identity/index.js";
import { CONTROL_PLANE_SERVER_NAME, XdsServer } from "../xds/index.js";
import { createAdminApi } from "./admin-api.js";
import { addCaService } from "./ca-service.js";
import { nodeRunsIdentity } from "./node-identities.js";
import { Deriver, type DerivedState } from "./publish.js";
import {
  emptyAllocations,
  type AllocationTable,
  type NodeSpec,
  type RegistryMesh,
} from "./registry/types.js";
import { ConfigStore } from "./store/store.js";
import { emptySnapshot } from "./store/snapshot.js";
import { loadMeshFile, meshFromSnapshot } from "./mesh.js";

export interface ControlPlaneOptions {
  stateDir: string;
  /** Directory of YAML watched for changes (in addition to `ambit apply`). */
  configDir?: string;
  /** Mesh config file (Istio MeshConfig YAML); the `istio` ConfigMap in the root namespace overrides it. */
  meshConfigFile?: string;
  /** Operator-provided CA (cacerts layout); a self-signed root in the state directory otherwise. */
  cacertsDir?: string;
  /** Address for the gRPC port (xDS + CA). Default 127.0.0.1. */
  grpcHost?: string;
  grpcPort?: number;
  /**
   * Also serve the gRPC port (same TLS, same services) on this Unix socket. Local mode uses it:
   * the node proxies live in network namespaces with no route to the host, and a socket file
   * crosses namespaces without opening one.
   */
  grpcUnixSocket?: string;
  /** The admin API stays on loopback unless told otherwise. */
  debugHost?: string;
  debugPort?: number;
  /** Nodes of the local or hosts mode: Deployments and Pods are scheduled onto them. */
  nodes?: readonly NodeSpec[];
  /** Extra DNS names / IPs for the serving certificate. */
  servingNames?: readonly string[];
  xdsDebounceMs?: number;
  log?: Logger;
}

export interface ControlPlane {
  grpcAddress: string;
  /** "unix:<path>" when grpcUnixSocket was given. */
  grpcUnixAddress?: string;
  debugAddress: string;
  store: ConfigStore;
  xds: XdsServer;
  ca: CertificateAuthority;
  tokens: NodeTokenStore;
  adminToken: string;
  /** Root certificates proxies trust for the gRPC port and for workload certificates. */
  trustBundle(): string[];
  state(): DerivedState;
  /** Recomputation of the registry finished for the latest store revision (for tests/bench). */
  publishedRevision(): number;
  close(): Promise<void>;
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const log = opts.log ?? createLogger("controlplane");
  mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
  const adminToken = loadOrCreateAdminToken(opts.stateDir);
  const fileMesh = opts.meshConfigFile
    ? loadMeshFile(readMeshFile(opts.meshConfigFile), opts.meshConfigFile)
    : {};

  const store = new ConfigStore({ stateDir: opts.stateDir, log: log.child({ part: "store" }) });
  let mesh: RegistryMesh = meshFromSnapshot(store.current(), fileMesh).registry;
  const ca = await CertificateAuthority.open({
    trustDomain: mesh.trustDomain ?? "cluster.local",
    stateDir: opts.stateDir,
    ...(opts.cacertsDir ? { pluginCertsDir: opts.cacertsDir } : {}),
    log: log.child({ part: "ca" }),
  });
  const caWatch = opts.cacertsDir ? ca.watch() : undefined;
  const tokens = await NodeTokenStore.open(opts.stateDir);

  const xds = new XdsServer({
    log: log.child({ part: "xds" }),
    ...(opts.xdsDebounceMs !== undefined ? { debounceMs: opts.xdsDebounceMs } : {}),
    authenticate: (md) => {
      const auth = String(md.get("authorization")[0] ?? "");
      const who = auth.startsWith("Bearer ") ? tokens.authenticate(auth.slice(7)) : undefined;
      if (!who)
        return new AmbitError(
          "XDS_UNAUTHENTICATED",
          "missing or unknown node token",
          "give the node proxy the token created for its node",
        );
      return { node: who.node, principal: `node/${who.node}` };
    },
  });

  // Registry state, recomputed on every accepted change (incrementally: publish.ts).
  let allocations: AllocationTable = loadAllocations(opts.stateDir);
  const deriver = new Deriver();
  // Replaced by publish() below, before anything reads it.
  let derived: DerivedState = new Deriver().update(emptySnapshot(), mesh, [], allocations);
  // The allocation table as last written, so an unchanged table is not rewritten on every change.
  let savedAllocations = JSON.stringify(allocations);
  // Warnings of the last publish: each is logged once, when it appears.
  let loggedWarnings = new Set<string>();
  // Whether the xDS server holds the last state the deriver returned.
  let xdsSynced = false;
  let published = -1;
  const publish = () => {
    const snap = store.current();
    try {
      mesh = meshFromSnapshot(snap, fileMesh).registry;
      // Deltas (derived.changes) apply on top of the previous state: only when the xDS server got
      // it in full. Any failure from here on makes the next publish hand over everything.
      const synced = xdsSynced;
      xdsSynced = false;
      const next = deriver.update(snap, mesh, opts.nodes ?? [], allocations);
      // The deriver hands back the same table object while no allocation changed.
      if (next.allocations !== allocations) {
        const text = JSON.stringify(next.allocations);
        if (text !== savedAllocations) {
          saveAllocations(opts.stateDir, text);
          savedAllocations = text;
        }
      }
      derived = next;
      allocations = derived.allocations;
      if (derived.changes && synced)
        for (const [typeUrl, c] of derived.changes) xds.updateResources(typeUrl, c.upserts, c.removed);
      else for (const [typeUrl, resources] of derived.resources) xds.setResources(typeUrl, resources);
      xdsSynced = true;
      for (const w of derived.warnings) if (!loggedWarnings.has(w)) log.warn({ revision: snap.revision }, w);
      loggedWarnings = new Set(derived.warnings);
      published = snap.revision;
    } catch (e) {
      // The store only holds validated config, so this is a bug; keep serving the last push.
      log.error(
        { revision: snap.revision, err: errorText(e) },
        "could not derive proxy config; proxies keep the last good push",
      );
    }
  };
  store.subscribe(publish);
  if (opts.configDir) {
    const r = store.watchDirectory(opts.configDir);
    if (!r.ok)
      log.error(
        { dir: opts.configDir, findings: r.findings.length },
        "config directory has errors; see `ambit analyze -f` / the config dump",
      );
  }
  publish();

  const grpcServer = new grpc.Server({
    "grpc.max_receive_message_length": 4 << 20,
    // Nothing serves channelz (grpc.channelz.v1); its per-connection and per-stream bookkeeping
    // would be pure cost (docs/controlplane.md).
    "grpc.enable_channelz": 0,
  });
  addCaService(grpcServer, {
    ca,
    trustDomain: mesh.trustDomain ?? "cluster.local",
    trustBundle: () => ca.trustBundle(),
    authenticate: (t) => tokens.authenticate(t),
    // A node may only obtain certificates for identities of workloads scheduled on it.
    mayIssue: (node, id) => nodeRunsIdentity(derived.workloads, node, id),
    log: log.child({ part: "ca" }),
  });
  xds.attach(grpcServer);
  const grpcHost = opts.grpcHost ?? "127.0.0.1";
  const serving = new ServingCertProvider(ca, {
    dnsNames: [
      "localhost",
      "ambit-controlplane",
      CONTROL_PLANE_SERVER_NAME,
      ...(opts.servingNames ?? []).filter((n) => !/^[\d.:]+$/.test(n)),
    ],
    ipAddresses: [
      "127.0.0.1",
      ...(grpcHost !== "0.0.0.0" && grpcHost !== "127.0.0.1" ? [grpcHost] : []),
      ...(opts.servingNames ?? []).filter((n) => /^[\d.:]+$/.test(n)),
    ],
  });
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync(
      `${grpcHost}:${opts.grpcPort ?? PORTS.xds}`,
      grpc.experimental.createCertificateProviderServerCredentials(serving, null, false),
      (err, port) =>
        err
          ? reject(
              new AmbitError(
                "PORT_IN_USE",
                `cannot listen on ${grpcHost}:${opts.grpcPort ?? PORTS.xds}: ${err.message}`,
                "is another control plane running? pick another port with --grpc-port",
              ),
            )
          : resolve(port),
    ),
  );

  if (opts.grpcUnixSocket) {
    const path = opts.grpcUnixSocket;
    rmSync(path, { force: true });
    await new Promise<void>((resolve, reject) =>
      grpcServer.bindAsync(
        `unix:${path}`,
        grpc.experimental.createCertificateProviderServerCredentials(serving, null, false),
        (err) =>
          err
            ? reject(
                new AmbitError(
                  "SOCKET_UNAVAILABLE",
                  `cannot listen on unix:${path}: ${err.message}`,
                  "check that the state directory is writable and no other control plane uses it",
                ),
              )
            : resolve(),
      ),
    );
  }

  const admin: HttpServer = createAdminApi({
    store,
    adminToken,
    log: log.child({ part: "admin" }),
    version: VERSION,
    proxyStatus: () => xds.status(),
    pods: () => derived.pods,
    registry: () => ({
      workloads: derived.workloads,
      services: derived.services,
      authorizations: derived.authorizations,
      warnings: derived.warnings,
    }),
    configDump: () => ({
      mesh: meshFromSnapshot(store.current(), fileMesh).config,
      trustBundle: ca.trustBundle(),
      caMode: ca.mode,
    }),
  });
  const debugHost = opts.debugHost ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    admin.once("error", (e) =>
      reject(
        new AmbitError(
          "PORT_IN_USE",
          `cannot listen on ${debugHost}:${opts.debugPort ?? PORTS.debug}: ${e.message}`,
          "pick another port with --debug-port",
        ),
      ),
    );
    admin.listen(opts.debugPort ?? PORTS.debug, debugHost, () => resolve());
  });
  const debugPort = (admin.address() as AddressInfo).port;
  log.info(
    {
      grpc: `${grpcHost}:${grpcPort}`,
      debug: `${debugHost}:${debugPort}`,
      ca: ca.mode,
      revision: store.current().revision,
    },
    "control plane ready",
  );

  return {
    grpcAddress: `${grpcHost}:${grpcPort}`,
    ...(opts.grpcUnixSocket ? { grpcUnixAddress: `unix:${opts.grpcUnixSocket}` } : {}),
    debugAddress: `${debugHost}:${debugPort}`,
    store,
    xds,
    ca,
    tokens,
    adminToken,
    trustBundle: () => ca.trustBundle(),
    state: () => derived,
    publishedRevision: () => published,
    close: async () => {
      store.close();
      caWatch?.close();
      serving.close();
      await new Promise<void>((r) => admin.close(() => r()));
      admin.closeAllConnections();
      xds.close();
      await new Promise<void>((r) => grpcServer.tryShutdown(() => r()));
      grpcServer.forceShutdown();
    },
  };
}

function loadOrCreateAdminToken(stateDir: string): string {
  const file = join(stateDir, "admin-token");
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    const token = randomBytes(32).toString("hex");
    writeFileSync(`${file}.tmp`, `${token}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    return token;
  }
}

function loadAllocations(stateDir: string): AllocationTable {
  try {
    return JSON.parse(readFileSync(join(stateDir, "allocations.json"), "utf8")) as AllocationTable;
  } catch {
    return emptyAllocations();
  }
}

function saveAllocations(stateDir: string, text: string): void {
  const file = join(stateDir, "allocations.json");
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

function readMeshFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new AmbitError(
      "MESH_CONFIG_UNREADABLE",
      `cannot read mesh config ${file}: ${(e as Error).message}`,
      "check --mesh-config",
    );
  }
}
