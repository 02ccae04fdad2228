/**
 * One proxy's delta ADS stream: reads DeltaDiscoveryRequests, keeps one Subscription per type
 * URL, answers subscriptions and pushes, and records ACKs / NACKs. Rules followed (Envoy xDS
 * protocol):
 *  - the node is required on the first request of a stream and may be omitted afterwards;
 *  - every response carries a fresh nonce; a request echoing it with no error_detail is an ACK,
 *    with error_detail a NACK; a nonce this stream is not waiting on is stale and ignored;
 *  - a request may both answer a response and change the subscription;
 *  - several type URLs share the stream (ADS) and are tracked independently.
 * A request this stream cannot make sense of ends this stream only, with a clear status.
 */
import * as grpc from "@grpc/grpc-js";
import { AmbitError, errorText } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import type {
  XdsDeltaRequest,
  XdsMalformedRequest,
  XdsNode,
  XdsOutgoingResponse,
} from "../wire/discovery.js";
import type { XdsProxyStatus } from "./status.js";
import { buildBodies, type SnapshotBodies } from "./bodies.js";
import { Outbox, type SendBudget } from "./outbox.js";
import type { ResourceStore } from "./store.js";
import {
  Subscription,
  advanceAcked,
  applySubscriptionRequest,
  commitPlan,
  planDelta,
  recordReply,
  type DeltaPlan,
} from "./subscription.js";

export type AdsCall = grpc.ServerDuplexStream<XdsDeltaRequest | XdsMalformedRequest, XdsOutgoingResponse>;

/** What a stream needs from its server. */
export interface StreamContext {
  store: ResourceStore;
  log: Logger;
  serves(typeUrl: string): boolean;
  version(): number;
  maxResponseBytes: number;
  bodies: SnapshotBodies;
  /** Shared by every stream: bounds the bytes of bulk responses in flight. */
  budget: SendBudget;
  /** Called after an ACK/NACK or a push changed what proxies have acknowledged. */
  onProgress(): void;
  onClose(stream: AdsStream): void;
}

/** gRPC status per error code; anything else the client sent wrong is INVALID_ARGUMENT. */
const STATUS_OF: Record<string, grpc.status> = {
  XDS_FORBIDDEN_NODE: grpc.status.PERMISSION_DENIED,
  XDS_INTERNAL: grpc.status.INTERNAL,
};

/** Bound on unanswered responses remembered per type; older ones are forgotten (stale). */
const MAX_OUTSTANDING = 1024;

export class AdsStream {
  node: XdsNode | undefined;
  readonly connectedAt = new Date();
  readonly peer: string;
  // typeUrl -> subscription
  private readonly subs = new Map<string, Subscription>();
  private readonly ignored = new Set<string>();
  private nonceSeq = 0;
  private closed = false;
  private readonly outbox: Outbox;

  constructor(
    readonly id: number,
    private readonly call: AdsCall,
    private readonly ctx: StreamContext,
    readonly principal: string | undefined,
    private readonly requiredNodeId: string | undefined,
  ) {
    this.peer = call.getPeer();
    this.outbox = new Outbox((msg, done) => {
      if (this.closed || call.writableEnded) return;
      call.write(msg, done);
    }, ctx.budget);
  }

  subscription(typeUrl: string): Subscription | undefined {
    return this.subs.get(typeUrl);
  }

  handle(msg: XdsDeltaRequest | XdsMalformedRequest): void {
    if (this.closed) return;
    try {
      if ("malformed" in msg) {
        throw new AmbitError("XDS_MALFORMED_REQUEST", msg.malformed, "the client does not speak delta xDS");
      }
      this.handleRequest(msg);
    } catch (e) {
      const err =
        e instanceof AmbitError ? e : new AmbitError("XDS_INTERNAL", errorText(e), undefined, { cause: e });
      this.ctx.log.warn(
        { stream: this.id, peer: this.peer, node: this.node?.id, err: err.describe() },
        "xds stream ended",
      );
      this.fail(STATUS_OF[err.code] ?? grpc.status.INVALID_ARGUMENT, err);
    }
  }

  private handleRequest(req: XdsDeltaRequest): void {
    if (req.node && !this.node) this.acceptNode(req.node);
    if (!this.node) {
      throw new AmbitError(
        "XDS_MISSING_NODE",
        "the first request of the stream has no node",
        "send node.id on the first request",
      );
    }
    if (!req.typeUrl) {
      throw new AmbitError(
        "XDS_MISSING_TYPE_URL",
        "request has no type_url",
        "set type_url on every request",
      );
    }
    if (!this.ctx.serves(req.typeUrl)) {
      if (!this.ignored.has(req.typeUrl)) {
        this.ignored.add(req.typeUrl);
        this.ctx.log.warn(
          { stream: this.id, node: this.node.id, typeUrl: req.typeUrl },
          "xds: unknown type URL ignored",
        );
      }
      return;
    }
    let sub = this.subs.get(req.typeUrl);
    const first = sub === undefined;
    sub ??= new Subscription(req.typeUrl);
    this.subs.set(req.typeUrl, sub);

    if (req.responseNonce) this.reply(sub, req);
    const change = applySubscriptionRequest(sub, req.subscribe, req.unsubscribe, first);
    if (first) {
      // On a new stream the proxy says what it already holds: what it announces at the current
      // version is not resent, what it announces without a version (ztunnel, Ambit's client) is.
      for (const [name, version] of Object.entries(req.initialVersions)) {
        if (sub.wants(name)) sub.known.set(name, version);
      }
      // Always answer the first request of a type, even with nothing to send: the proxy then
      // knows it is in sync with the current version.
      this.send(sub, planDelta(this.ctx.store.get(req.typeUrl), sub, "all", true), this.ctx.version(), true);
    } else if (change.added === "all" || change.added.length > 0) {
      this.send(
        sub,
        planDelta(this.ctx.store.get(req.typeUrl), sub, change.added, true),
        this.ctx.version(),
        false,
      );
    }
  }

  private acceptNode(node: XdsNode): void {
    if (!node.id) {
      throw new AmbitError("XDS_MISSING_NODE", "node.id is empty", "set node.id on the first request");
    }
    if (this.requiredNodeId !== undefined && node.id !== this.requiredNodeId) {
      throw new AmbitError(
        "XDS_FORBIDDEN_NODE",
        `credentials for node "${this.requiredNodeId}" cannot subscribe as "${node.id}"`,
        "the proxy must present its own identity",
      );
    }
    this.node = node;
    this.ctx.log.info(
      { stream: this.id, node: node.id, peer: this.peer, principal: this.principal },
      "xds: proxy connected",
    );
  }

  private reply(sub: Subscription, req: XdsDeltaRequest): void {
    const error = req.errorDetail
      ? req.errorDetail.message || `NACK (code ${req.errorDetail.code})`
      : undefined;
    if (!recordReply(sub, req.responseNonce, error, new Date())) {
      this.ctx.log.debug(
        { stream: this.id, typeUrl: sub.typeUrl, nonce: req.responseNonce },
        "xds: stale nonce ignored",
      );
      return;
    }
    if (error !== undefined) {
      this.ctx.log.warn(
        { node: this.node?.id, typeUrl: sub.typeUrl, nonce: req.responseNonce, error },
        "xds: NACK",
      );
    }
    this.ctx.onProgress();
  }

  /** Pushes the changes among `names` (config version `version`) to this stream. */
  push(typeUrl: string, names: Iterable<string>, version: number): void {
    const sub = this.subs.get(typeUrl);
    if (!sub || this.closed) return;
    this.send(sub, planDelta(this.ctx.store.get(typeUrl), sub, names), version, false);
  }

  /** After a push: subscriptions of types it did not touch are up to date with `version`. */
  catchUp(version: number): void {
    for (const sub of this.subs.values()) {
      if (sub.sentVersion < version) {
        sub.sentVersion = version;
        advanceAcked(sub);
      }
    }
  }

  /**
   * Sends a plan as one or more responses (bodies.ts), each with its own nonce. Nothing to send
   * and not forced: the proxy is simply up to date with `version`.
   */
  private send(sub: Subscription, plan: DeltaPlan, version: number, force: boolean): void {
    if (version > sub.sentVersion) sub.sentVersion = version;
    if (!plan.snapshot && plan.upserts.length === 0 && plan.removed.length === 0 && !force) {
      advanceAcked(sub);
      return;
    }
    commitPlan(sub, plan);
    const bodies = plan.snapshot
      ? this.ctx.bodies.get(sub.typeUrl, plan.snapshot)
      : buildBodies(this.ctx.store, sub.typeUrl, plan.upserts, this.ctx.maxResponseBytes);
    bodies.forEach((body, i) => {
      const nonce = String(++this.nonceSeq);
      const removed = i === bodies.length - 1 ? plan.removed : [];
      sub.outstanding.set(nonce, version);
      if (sub.outstanding.size > MAX_OUTSTANDING) {
        sub.outstanding.delete(sub.outstanding.keys().next().value ?? "");
      }
      sub.lastSentNonce = nonce;
      sub.lastSentAt = new Date();
      this.outbox.send({ body, systemVersionInfo: String(version), nonce, removed });
    });
  }

  /** Ends the stream with an error status (the client sees code and text). */
  fail(code: grpc.status, err: AmbitError): void {
    if (this.closed) return;
    this.closed = true;
    this.outbox.stop();
    this.ctx.onClose(this);
    this.call.emit("error", { code, details: err.describe() });
  }

  /** Ends the stream normally (server shutdown) or after the client went away. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.log.info({ stream: this.id, node: this.node?.id, peer: this.peer }, "xds: proxy disconnected");
    this.outbox.stop();
    this.ctx.onClose(this);
    if (!this.call.cancelled && !this.call.writableEnded) this.call.end();
  }

  status(): XdsProxyStatus {
    return {
      streamId: this.id,
      nodeId: this.node?.id ?? "",
      cluster: this.node?.cluster ?? "",
      metadata: this.node?.metadata ?? {},
      principal: this.principal,
      peer: this.peer,
      connectedAt: this.connectedAt,
      ignoredTypes: [...this.ignored],
      types: [...this.subs.values()].map((s) => ({
        typeUrl: s.typeUrl,
        wildcard: s.wildcard,
        subscribedNames: s.names.size,
        resources: s.known.size,
        sentVersion: s.sentVersion,
        lastSentNonce: s.lastSentNonce,
        lastSentAt: s.lastSentAt,
        ackedVersion: s.ackedVersion,
        lastAckAt: s.lastAckAt,
        pendingResponses: s.outstanding.size,
        lastNack: s.lastNack,
      })),
    };
  }
}
