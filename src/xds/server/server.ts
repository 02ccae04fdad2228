/**
 * The control plane's delta ADS server. The control plane hands it complete sets of encoded
 * resources per type (setResources); the server hashes them into versions, debounces bursts
 * into one push with one new config version, and sends each connected proxy only what changed
 * for what it subscribed to. It tracks, per proxy and type, what was sent and ACKed/NACKed.
 *
 *   const xds = new XdsServer({ log });
 *   xds.attach(grpcServer);                        // next to the CA service, port 15012
 *   const v = xds.setResources(ADDRESS_TYPE_URL, addresses);   // Map<name, bytes>
 *   await xds.whenAcked(ADDRESS_TYPE_URL, v);      // every subscriber has applied v
 */
import { EventEmitter } from "node:events";
import * as grpc from "@grpc/grpc-js";
import { AmbitError, errorText } from "../../common/errors.js";
import { createLogger, type Logger } from "../../common/log.js";
import { AMBIT_TYPE_URLS } from "../typeurls.js";
import { serverAdsService } from "./codec.js";
import { systemClock, type Clock } from "./clock.js";
import { SnapshotBodies } from "./bodies.js";
import { Debouncer } from "./debounce.js";
import type { XdsProxyStatus } from "./status.js";
import { SendBudget } from "./outbox.js";
import { ResourceStore, type TypeResources } from "./store.js";
import { AdsStream, type AdsCall } from "./stream.js";
import { AckWaiters, type AckWaitOptions } from "./waiters.js";

/** Who the caller is, as established by the authenticate hook. */
export interface XdsAuthResult {
  /** For status and logs, e.g. the SPIFFE identity or service account. */
  principal?: string;
  /** When set, the stream may only use this node.id. */
  node?: string;
}

export type XdsAuthenticate = (
  metadata: grpc.Metadata,
  peer: { address: string; authContext: ReturnType<AdsCall["getAuthContext"]> },
) => XdsAuthResult | AmbitError | Promise<XdsAuthResult | AmbitError>;

export interface XdsServerOptions {
  log?: Logger;
  /** Quiet period before a push (default 10 ms). */
  debounceMs?: number;
  /** Longest a change waits for its push during a steady stream of changes (default 100 ms). */
  maxDelayMs?: number;
  /** Rejects a stream (UNAUTHENTICATED) by returning or throwing an AmbitError. */
  authenticate?: XdsAuthenticate;
  /** Type URLs served; setResources adds its type. Others are ignored with a log line. */
  types?: readonly string[];
  /**
   * Resource bytes per response before it is split (default 256 KiB). Responses of a megabyte
   * cost no less CPU to send, but each is copied into a frame buffer of its own by grpc-js, and
   * glibc keeps freed buffers that large around: an initial push to 100 proxies in 1 MiB
   * responses left the control plane ~100 MB larger than in 256 KiB ones.
   */
  maxResponseBytes?: number;
  /**
   * Bytes of large responses (initial pushes) in flight across all proxies (default 16 MiB):
   * bounds the memory a push to many proxies holds at once (outbox.ts).
   */
  maxBulkInFlightBytes?: number;
  clock?: Clock;
}

export interface XdsServerEvents {
  /** A proxy ACKed or NACKed, or a push completed. */
  progress: [];
  /** A push went out: config version and the type URLs it covered. */
  push: [version: number, typeUrls: string[]];
}

export class XdsServer extends EventEmitter<XdsServerEvents> {
  private readonly log: Logger;
  private readonly store = new ResourceStore();
  private readonly served: Set<string>;
  private readonly streams = new Set<AdsStream>();
  // typeUrl -> names changed since the last push
  private readonly dirty = new Map<string, Set<string>>();
  private readonly debouncer: Debouncer;
  private readonly waiters: AckWaiters;
  private readonly maxResponseBytes: number;
  private readonly bodies: SnapshotBodies;
  private readonly budget: SendBudget;
  private configVersion = 0;
  private pushPending = false;
  private nextStreamId = 0;
  private closed = false;

  constructor(private readonly opts: XdsServerOptions = {}) {
    super();
    this.log = opts.log ?? createLogger("xds-server");
    this.served = new Set(opts.types ?? AMBIT_TYPE_URLS);
    this.maxResponseBytes = opts.maxResponseBytes ?? 256 << 10;
    this.bodies = new SnapshotBodies(this.store, this.maxResponseBytes);
    this.budget = new SendBudget(opts.maxBulkInFlightBytes ?? 16 << 20, 10_000, opts.clock ?? systemClock);
    this.debouncer = new Debouncer(() => this.push(), {
      delayMs: opts.debounceMs ?? 10,
      maxDelayMs: opts.maxDelayMs ?? 100,
      clock: opts.clock ?? systemClock,
    });
    this.waiters = new AckWaiters(() => this.streams, opts.clock ?? systemClock);
    this.on("progress", () => this.waiters.check());
  }

  /** Registers DeltaAggregatedResources on a grpc.Server (before or after it is bound). */
  attach(server: grpc.Server): void {
    server.addService(serverAdsService, {
      DeltaAggregatedResources: (call: AdsCall) => this.accept(call),
    });
  }

  /** Current config version (system_version_info); it grows by one per push. */
  version(): number {
    return this.configVersion;
  }

  /**
   * Replaces the full set of resources of one type (name -> encoded resource). Returns the
   * config version that carries this change to proxies (the current one if nothing changed).
   */
  setResources(typeUrl: string, resources: ReadonlyMap<string, Uint8Array>): number {
    if (this.closed) throw new AmbitError("XDS_SERVER_CLOSED", "the xDS server is closed");
    this.served.add(typeUrl);
    return this.changed(typeUrl, this.store.replace(typeUrl, resources));
  }

  /**
   * Adds or changes `upserts` and removes `removed`, keeping every other resource of the type:
   * for a caller that knows what changed, without handing over (and comparing) the full set.
   * Returns the config version that carries the change, as setResources does.
   */
  updateResources(
    typeUrl: string,
    upserts: ReadonlyMap<string, Uint8Array>,
    removed: Iterable<string> = [],
  ): number {
    if (this.closed) throw new AmbitError("XDS_SERVER_CLOSED", "the xDS server is closed");
    this.served.add(typeUrl);
    return this.changed(typeUrl, this.store.update(typeUrl, upserts, removed));
  }

  private changed(typeUrl: string, changed: readonly string[]): number {
    if (changed.length === 0) return this.configVersion;
    if (!this.pushPending) {
      // The new version covers the whole burst; proxies subscribing meanwhile get it directly.
      this.configVersion++;
      this.pushPending = true;
    }
    const set = this.dirty.get(typeUrl) ?? new Set<string>();
    for (const n of changed) set.add(n);
    this.dirty.set(typeUrl, set);
    this.debouncer.trigger();
    return this.configVersion;
  }

  /** Runs a pending push now instead of waiting for the debounce timer. */
  flush(): void {
    this.debouncer.flush();
  }

  /**
   * Resolves when every connected subscriber of `typeUrl` has ACKed `version` or later (and at
   * least `minSubscribers` are connected); rejects with XDS_ACK_TIMEOUT after `timeoutMs`.
   */
  whenAcked(typeUrl: string, version: number, opts?: AckWaitOptions): Promise<void> {
    return this.waiters.add(typeUrl, version, opts);
  }

  /** The resources currently served for a type, name -> {version, bytes} (tests, debugging). */
  resources(typeUrl: string): TypeResources {
    return this.store.get(typeUrl) ?? new Map();
  }

  status(): XdsProxyStatus[] {
    return [...this.streams].filter((s) => s.node).map((s) => s.status());
  }

  /** Ends every stream (proxies reconnect elsewhere or later) and stops pushing. */
  close(): void {
    this.closed = true;
    this.debouncer.cancel();
    for (const s of [...this.streams]) s.close();
    this.waiters.rejectAll(new AmbitError("XDS_SERVER_CLOSED", "the xDS server closed"));
  }

  private push(): void {
    this.pushPending = false;
    const version = this.configVersion;
    const types = [...this.dirty.keys()];
    for (const [typeUrl, names] of this.dirty) {
      for (const s of this.streams) s.push(typeUrl, names, version);
    }
    // Types that did not change are at the new version too, without a response.
    for (const s of this.streams) s.catchUp(version);
    this.dirty.clear();
    this.emit("push", version, types);
    this.emit("progress");
  }

  private accept(call: AdsCall): void {
    if (this.closed) {
      call.emit("error", { code: grpc.status.UNAVAILABLE, details: "xDS server is shutting down" });
      return;
    }
    const id = ++this.nextStreamId;
    let stream: AdsStream | undefined;
    const ctx = {
      store: this.store,
      log: this.log,
      serves: (t: string) => this.served.has(t),
      version: () => this.configVersion,
      maxResponseBytes: this.maxResponseBytes,
      bodies: this.bodies,
      budget: this.budget,
      onProgress: () => this.emit("progress"),
      onClose: (s: AdsStream) => {
        this.streams.delete(s);
        this.emit("progress");
      },
    };
    const start = (auth: XdsAuthResult) => {
      stream = new AdsStream(id, call, ctx, auth.principal, auth.node);
      this.streams.add(stream);
    };
    // Requests are queued behind authentication so none is handled before the caller is known.
    let ready: Promise<void> | undefined;
    const authenticate = this.opts.authenticate;
    if (authenticate) {
      ready = runAuthenticate(authenticate, call).then(start, (err: AmbitError) => {
        this.log.warn({ peer: call.getPeer(), err: err.describe() }, "xds: stream rejected");
        call.emit("error", { code: grpc.status.UNAUTHENTICATED, details: err.describe() });
      });
    } else {
      start({});
    }
    call.on("data", (msg: Parameters<AdsStream["handle"]>[0]) => {
      if (ready) void ready.then(() => stream?.handle(msg));
      else stream?.handle(msg);
    });
    const gone = () => stream?.close();
    call.on("end", gone);
    call.on("cancelled", gone);
    call.on("error", gone);
    call.on("close", gone);
  }
}

async function runAuthenticate(authenticate: XdsAuthenticate, call: AdsCall): Promise<XdsAuthResult> {
  let result: XdsAuthResult | AmbitError;
  try {
    result = await authenticate(call.metadata, {
      address: call.getPeer(),
      authContext: call.getAuthContext(),
    });
  } catch (e) {
    throw e instanceof AmbitError ? e : new AmbitError("XDS_UNAUTHENTICATED", errorText(e));
  }
  if (result instanceof AmbitError) throw result;
  return result;
}
