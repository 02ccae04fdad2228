/**
 * One node proxy ("ztunnel"): an xDS client filling the state store, a certificate manager for
 * the workloads on its node, and the listeners — 15001 outbound, 15006 inbound plaintext,
 * 15008 HBONE, 15053 DNS, 15020 metrics, 15021 readiness, 15000 admin (localhost) — that carry
 * out the pure plans. Embeddable (tests) and run by `ambit ztunnel`.
 *
 * Two mesh settings are followed at runtime: the trust bundle (trust-bundle.ts: the roots file,
 * watched by roots-file.ts, merged with the roots the CA answers with), used by every new HBONE
 * handshake and every new connection to the control plane; and the root namespace, pushed by the
 * control plane with the mesh settings (state.ts).
 */
import { createServer, type Server, type Socket } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { errorText } from "../common/errors.js";
import { createLogger, type Logger } from "../common/log.js";
import { PORTS } from "../common/paths.js";
import {
  ADDRESS_TYPE_URL,
  AUTHORIZATION_TYPE_URL,
  CONFIG_TYPE_URL,
  controlPlaneChannelOptions,
  XdsClient,
  decodeAddress,
  decodeAuthorization,
  decodeConfig,
} from "../xds/index.js";
import { AccessLog, DnsMetrics, TcpMetrics, startTelemetryServer } from "../telemetry/index.js";
import { DnsServer } from "./dns/index.js";
import { startAdminServer, type AdminServer } from "./admin.js";
import { caSigner, WorkloadCertManager } from "./certs.js";
import { ConnectionTable } from "./connections.js";
import type { OriginalDestination, ProxyContext } from "./context.js";
import { tcpConnect, transparentConnect } from "./dial.js";
import { HbonePool } from "./hbone/client.js";
import { HboneServer } from "./hbone/server.js";
import { certificateFor, handleHboneConnect, handlePlaintextInbound } from "./inbound.js";
import { normalizeIp } from "./ip.js";
import { handleOutbound } from "./outbound.js";
import { RootsFileWatcher } from "./roots-file.js";
import { ProxyState } from "./state.js";
import { parseRoots, TrustBundle } from "./trust-bundle.js";

export interface ZtunnelOptions {
  node: string;
  /** Control plane gRPC (xDS + CA): "host:port" or "unix:/path". */
  controlPlane: string;
  /** PEM roots that sign the control plane's serving certificate (and workload certificates). */
  controlPlaneRoots: string;
  /**
   * The file `controlPlaneRoots` was read from: followed for changes (roots-file.ts), so a
   * rotated trust bundle is used without a restart.
   */
  controlPlaneRootsFile?: string;
  /** Tuning of the roots file watch (tests). */
  rootsWatch?: { debounceMs?: number; pollMs?: number };
  /** Name to verify in the control plane's certificate (default "istiod.istio-system.svc"). */
  controlPlaneName?: string;
  /** The node token; read on every (re)connect. */
  token: () => string;
  trustDomain?: string;
  rootNamespace?: string;
  domainSuffix?: string;
  /** Data-path listeners bind here (default 0.0.0.0); admin always on 127.0.0.1. */
  host?: string;
  /** Listener ports by PORTS key; 0 picks a free port (tests). */
  ports?: Partial<Record<keyof typeof PORTS, number>>;
  /** Also serve the admin API on this Unix socket (local mode: reachable from the host). */
  adminSocket?: string;
  originalDestination: (socket: Socket) => OriginalDestination;
  connect?: (host: string, port: number) => Socket;
  /** Given: connect to local pods from the client's IP (--preserve-source-ip; needs reply routing). */
  transparentSocket?: (family: 4 | 6) => number;
  log?: Logger;
}

export interface Ztunnel {
  state: ProxyState;
  ports: {
    outbound: number;
    inbound: number;
    hbone: number;
    dns: number;
    metrics: number;
    ready: number;
    admin: number;
  };
  ready(): boolean;
  /** Resolves once the first full config has arrived from the control plane. */
  synced(): Promise<void>;
  close(): Promise<void>;
}

export async function startZtunnel(opts: ZtunnelOptions): Promise<Ztunnel> {
  const log = opts.log ?? createLogger("ztunnel");
  const ports = { ...PORTS, ...opts.ports };
  const host = opts.host ?? "0.0.0.0";
  const trustDomain = opts.trustDomain ?? "cluster.local";
  // Refuse to start without a usable bundle: every handshake would fail; say why instead.
  parseRoots(opts.controlPlaneRoots, opts.controlPlaneRootsFile ?? "the control plane roots");
  // Read on every TLS handshake of the data path (the same array until it changes), and by the
  // gRPC channels on every new connection to the control plane (it is their CertificateProvider).
  const bundle = new TrustBundle(opts.controlPlaneRoots);
  const roots = () => bundle.roots();
  const credentials = grpc.experimental.createCertificateProviderChannelCredentials(bundle, null);
  bundle.on("change", () =>
    log.info({ roots: bundle.describe().map((r) => r.fingerprint256) }, "trust bundle changed"),
  );
  const rootsFile = opts.controlPlaneRootsFile
    ? new RootsFileWatcher({
        path: opts.controlPlaneRootsFile,
        initialText: opts.controlPlaneRoots,
        onRoots: (pems) => bundle.setFileRoots(pems),
        ...opts.rootsWatch,
        log: log.child({ part: "roots" }),
      })
    : undefined;
  const channelOptions = controlPlaneChannelOptions(opts.controlPlaneName);

  const state = new ProxyState({ rootNamespace: opts.rootNamespace ?? "istio-system" });
  const xds = new XdsClient({
    address: opts.controlPlane,
    credentials,
    channelOptions,
    node: { id: opts.node, metadata: { NODE_NAME: opts.node, ROLE: "ztunnel" } },
    token: opts.token,
    log: log.child({ part: "xds" }),
  });
  const subs = {
    addresses: xds.subscribe(ADDRESS_TYPE_URL, { decode: decodeAddress }),
    authorizations: xds.subscribe(AUTHORIZATION_TYPE_URL, { decode: decodeAuthorization }),
    config: xds.subscribe(CONFIG_TYPE_URL, { decode: decodeConfig }),
  };
  state.attach(subs);
  xds.start();

  const certs = new WorkloadCertManager({
    sign: caSigner({
      address: opts.controlPlane,
      credentials,
      channelOptions,
      token: opts.token,
      node: opts.node,
    }),
    trustBundle: roots,
    onCaRoots: (pems) => bundle.setCaRoots(pems),
    log: log.child({ part: "certs" }),
  });
  const pool = new HbonePool({
    certFor: (id) => certs.get(id),
    trustBundle: roots,
    log: log.child({ part: "hbone-client" }),
  });
  const metrics = new TcpMetrics();
  const ctx: ProxyContext = {
    node: opts.node,
    state,
    certs,
    pool,
    metrics,
    accessLog: new AccessLog(log.child({ part: "access" })),
    connections: new ConnectionTable(),
    log,
    hbonePort: ports.hbone,
    originalDestination: opts.originalDestination,
    connect: opts.connect ?? tcpConnect,
    ...(opts.transparentSocket
      ? { connectFrom: transparentConnect({ socketFd: opts.transparentSocket, log }) }
      : {}),
    connectTimeoutMs: 5_000,
  };
  const hbone = new HboneServer({
    trustDomain: () => trustDomain,
    trustBundle: roots,
    certificateFor: (ip) => certificateFor(ctx, ip),
    onConnect: (req) => handleHboneConnect(ctx, req),
    log: log.child({ part: "hbone-server" }),
  });

  const servers: Server[] = [];
  const listen = async (port: number, handler: (s: Socket) => void, what: string): Promise<number> => {
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
      try {
        handler(s);
      } catch (e) {
        log.error({ err: errorText(e), listener: what }, "connection handler failed");
        s.destroy();
      }
    });
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    const addr = server.address();
    return typeof addr === "object" && addr ? addr.port : port;
  };
  const outboundPort = await listen(ports.ztunnelOutbound, (s) => void handleOutbound(ctx, s), "outbound");
  const inboundPort = await listen(
    ports.ztunnelInbound,
    (s) => void handlePlaintextInbound(ctx, s),
    "inbound",
  );
  const hbonePort = await listen(
    ports.hbone,
    (s) => {
      let localIp = normalizeIp(s.localAddress ?? "");
      try {
        localIp = normalizeIp(opts.originalDestination(s).address);
      } catch {
        // Not redirected (a client that dialled the node's own address): keep the local address.
      }
      hbone.accept(s, { localIp });
    },
    "hbone",
  );

  const dns = new DnsServer({
    table: {
      domainSuffix: opts.domainSuffix ?? "cluster.local",
      services: () => state.services(),
      // source_* labels of istio_dns_* (does not change answers)
      clientWorkload: (ip) => state.workloadByIp(ip),
    },
    host,
    port: ports.dns,
    metrics: new DnsMetrics(metrics.registry),
    log: log.child({ part: "dns" }),
  });
  const dnsPorts = await dns.start();

  let synced = false;
  const syncedPromise = Promise.all([
    subs.addresses.synced(),
    subs.authorizations.synced(),
    subs.config.synced(),
  ]).then(() => {
    synced = true;
    log.info({ node: opts.node, workloads: state.workloads().length }, "configuration received");
  });
  const telemetry = await startTelemetryServer({
    host,
    port: ports.metrics,
    readyPort: ports.ready,
    registry: metrics.registry,
    ready: () => synced,
  });
  const admin: AdminServer = await startAdminServer({
    port: ports.admin,
    ...(opts.adminSocket ? { socketPath: opts.adminSocket } : {}),
    dump: () => ({
      node: opts.node,
      synced,
      mesh: state.meshSettings(),
      trustBundle: {
        updatedAt: bundle.updatedAt().toISOString(),
        roots: bundle.describe(),
        ...(rootsFile ? { file: rootsFile.status() } : {}),
      },
      workloads: state.workloads(),
      services: state.servicesWithEndpoints(),
      policies: state.authorizations(),
      certificates: certs.list(),
      connections: ctx.connections.list(),
      pools: pool.stats(),
    }),
    metrics: () => metrics.registry.metrics(),
    ready: () => synced,
  });
  log.info(
    {
      node: opts.node,
      outbound: outboundPort,
      inbound: inboundPort,
      hbone: hbonePort,
      dns: dnsPorts.udpPort,
    },
    "ztunnel listening",
  );

  return {
    state,
    ports: {
      outbound: outboundPort,
      inbound: inboundPort,
      hbone: hbonePort,
      dns: dnsPorts.udpPort,
      metrics: telemetry.port,
      ready: telemetry.readyPort,
      admin: admin.port,
    },
    ready: () => synced,
    synced: () => syncedPromise,
    close: async () => {
      for (const s of servers) s.close();
      await Promise.allSettled([dns.close(), telemetry.close(), admin.close(), hbone.close(), pool.close()]);
      rootsFile?.close();
      certs.close();
      xds.close();
    },
  };
}
