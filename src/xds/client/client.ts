/**
 * The proxies' xDS client: one delta ADS stream to the control plane carrying every subscribed
 * type. It applies responses to XdsSubscriptions and ACKs or NACKs each one; when the stream
 * breaks it keeps the last good state (proxies keep serving) and reconnects with backoff and
 * jitter, announcing what it holds (initial_resource_versions) so that the server also tells it
 * what was removed meanwhile.
 *
 *   const xds = new XdsClient({ address: "cp:15012", credentials, node: { id: "ztunnel~node1" } });
 *   const addresses = xds.subscribe(ADDRESS_TYPE_URL, { decode: decodeAddress });
 *   addresses.on("change", (c) => ...);
 *   xds.start();  await addresses.synced();
 */
import { EventEmitter } from "node:events";
import * as grpc from "@grpc/grpc-js";
import { AmbitError, errorText } from "../../common/errors.js";
import { createLogger, type Logger } from "../../common/log.js";
import type { XdsDeltaRequest, XdsDeltaResponse, XdsNode } from "../wire/discovery.js";
import { DELTA_ADS_PATH, clientCodecs } from "../wire/service.js";
import type { JsonValue } from "../wire/struct.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { XdsSubscription, type XdsDecode } from "./subscription.js";

export interface XdsClientOptions {
  /** "host:port" of the control plane (15012). */
  address: string;
  credentials: grpc.ChannelCredentials;
  node: { id: string; cluster?: string; metadata?: Record<string, JsonValue> };
  /** Bearer token, fetched on every (re)connect so rotated tokens are picked up. Never logged. */
  token?: () => string | Promise<string>;
  log?: Logger;
  backoff?: BackoffOptions;
  channelOptions?: grpc.ChannelOptions;
}

export interface XdsClientEvents {
  /** The first response arrived on a new stream. */
  connected: [];
  /** The stream ended; the client will reconnect after `retryInMs` (state is kept). */
  disconnected: [reason: string, retryInMs: number];
}

type Call = grpc.ClientDuplexStream<XdsDeltaRequest, XdsDeltaResponse>;

// One logger for the clients given none (a pino instance is not free to create).
let sharedLog: Logger | undefined;
const defaultLog = (): Logger => (sharedLog ??= createLogger("xds-client"));

/** google.rpc.Code INVALID_ARGUMENT, the status a NACK carries. */
const INVALID_ARGUMENT = 3;

export class XdsClient extends EventEmitter<XdsClientEvents> {
  private readonly log: Logger;
  private readonly node: XdsNode;
  private readonly grpcClient: grpc.Client;
  // typeUrl -> subscription
  private readonly subs = new Map<string, XdsSubscription<unknown>>();
  private readonly backoff: Backoff;
  private call: Call | undefined;
  private nodeSentOn: Call | undefined;
  private streamUp = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;

  constructor(private readonly opts: XdsClientOptions) {
    super();
    this.log = opts.log ?? defaultLog();
    this.node = { id: opts.node.id, cluster: opts.node.cluster ?? "", metadata: opts.node.metadata ?? {} };
    this.backoff = new Backoff(opts.backoff);
    this.grpcClient = new grpc.Client(opts.address, opts.credentials, {
      // The channel has its own reconnect backoff (gRPC's default grows to 120 s); keep it within
      // ours so a control plane that comes back is found as promptly as the stream retries.
      "grpc.initial_reconnect_backoff_ms": opts.backoff?.initialMs ?? 100,
      "grpc.max_reconnect_backoff_ms": opts.backoff?.maxMs ?? 15_000,
      // Ambit's server splits responses at 256 KiB of resources, but a response always carries at
      // least one resource, and a single large one may exceed gRPC's default limit of 4 MiB.
      "grpc.max_receive_message_length": 64 << 20,
      // A larger HTTP/2 window lets the initial push (megabytes) flow without waiting for a
      // WINDOW_UPDATE round trip every 64 KiB.
      "grpc-node.flow_control_window": 4 << 20,
      // The stream is re-established by this client (with the names it holds); grpc-js'
      // transparent retries would only add a buffer of every request it writes (the ACKs).
      "grpc.enable_retries": 0,
      // No channelz service reads it; a proxy's state is in its own admin endpoints.
      "grpc.enable_channelz": 0,
      ...opts.channelOptions,
    });
  }

  /** True while a stream is up and has delivered at least one response. */
  get connected(): boolean {
    return this.streamUp;
  }

  /**
   * Subscribes to a type: all its resources (wildcard), or only `names`. May be called before
   * or after start(); one subscription per type URL.
   */
  subscribe<T>(
    typeUrl: string,
    opts: { decode: XdsDecode<T>; names?: readonly string[] },
  ): XdsSubscription<T> {
    if (this.subs.has(typeUrl)) {
      throw new AmbitError(
        "XDS_DUPLICATE_SUBSCRIPTION",
        `already subscribed to ${typeUrl}`,
        "subscribe once per type URL",
      );
    }
    const sub = new XdsSubscription<T>(typeUrl, opts.decode, opts.names);
    this.subs.set(typeUrl, sub as XdsSubscription<unknown>);
    const first = this.initialRequest(sub);
    if (this.call && first) this.write(this.call, first);
    return sub;
  }

  /**
   * Changes the names of an explicit (non-wildcard) subscription: new names are requested,
   * dropped ones unsubscribed and removed from local state.
   */
  setNames(typeUrl: string, names: readonly string[]): void {
    const sub = this.subs.get(typeUrl);
    if (!sub?.names) {
      throw new AmbitError(
        "XDS_NOT_EXPLICIT",
        `no explicit subscription to ${typeUrl}`,
        "subscribe with `names` before changing them; wildcard subscriptions receive everything",
      );
    }
    const { subscribe, unsubscribe } = sub.rename(names);
    if (!this.call || (subscribe.length === 0 && unsubscribe.length === 0)) return;
    this.write(this.call, { typeUrl, subscribe, unsubscribe, initialVersions: {}, responseNonce: "" });
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.connect();
  }

  /** Stops for good: ends the stream, cancels reconnects, closes the channel. State stays readable. */
  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const call = this.call;
    this.call = undefined;
    this.streamUp = false;
    call?.cancel();
    this.grpcClient.close();
  }

  private async connect(): Promise<void> {
    const metadata = new grpc.Metadata();
    try {
      if (this.opts.token) metadata.set("authorization", `Bearer ${await this.opts.token()}`);
    } catch (e) {
      this.ended(`cannot get a token: ${errorText(e)}`);
      return;
    }
    if (this.closed) return;
    const call = this.grpcClient.makeBidiStreamRequest(
      DELTA_ADS_PATH,
      clientCodecs.serialize,
      clientCodecs.deserialize,
      metadata,
    );
    this.call = call;
    let done = false;
    const end = (reason: string) => {
      if (done) return;
      done = true;
      if (this.call === call) this.ended(reason);
    };
    call.on("data", (resp: XdsDeltaResponse) => this.onResponse(call, resp));
    call.on("error", (e: grpc.ServiceError) =>
      end(`${grpc.status[e.code] ?? e.code}: ${e.details || e.message}`),
    );
    call.on("status", (s: grpc.StatusObject) =>
      end(`stream ended: ${grpc.status[s.code] ?? s.code} ${s.details}`),
    );
    call.on("end", () => end("stream ended by the control plane"));
    for (const sub of this.subs.values()) {
      const first = this.initialRequest(sub);
      if (first) this.write(call, first);
    }
  }

  /** The node goes on the first request of each stream only (xDS protocol). */
  private write(call: Call, req: XdsDeltaRequest): void {
    if (this.nodeSentOn !== call) {
      req.node = this.node;
      this.nodeSentOn = call;
    }
    call.write(req);
  }

  /**
   * First request of a type on a stream: what to subscribe to and what we already hold. None
   * for an explicit subscription with no names: an empty first request would mean wildcard.
   */
  private initialRequest(sub: XdsSubscription<unknown>): XdsDeltaRequest | undefined {
    const names = sub.names;
    if (names?.length === 0) return undefined;
    return {
      typeUrl: sub.typeUrl,
      subscribe: names ? [...names] : ["*"],
      unsubscribe: [],
      initialVersions: sub.versions(),
      responseNonce: "",
    };
  }

  private onResponse(call: Call, resp: XdsDeltaResponse): void {
    if (this.call !== call) return;
    if (!this.streamUp) {
      this.streamUp = true;
      this.backoff.reset();
      this.log.info({ address: this.opts.address }, "xds: connected");
      this.emit("connected");
    }
    const sub = this.subs.get(resp.typeUrl);
    const ack: XdsDeltaRequest = {
      typeUrl: resp.typeUrl,
      subscribe: [],
      unsubscribe: [],
      initialVersions: {},
      responseNonce: resp.nonce,
    };
    const nack = sub ? sub.apply(resp) : `not subscribed to ${resp.typeUrl}`;
    if (nack !== undefined) {
      this.log.warn({ typeUrl: resp.typeUrl, version: resp.systemVersionInfo, error: nack }, "xds: NACK");
      ack.errorDetail = { code: INVALID_ARGUMENT, message: nack };
    }
    this.write(call, ack);
  }

  private ended(reason: string): void {
    const call = this.call;
    this.call = undefined;
    this.streamUp = false;
    call?.cancel();
    if (this.closed) return;
    const delay = this.backoff.next();
    this.log.warn(
      { address: this.opts.address, reason, retryInMs: delay },
      "xds: disconnected, keeping last config",
    );
    this.emit("disconnected", reason, delay);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }
}
