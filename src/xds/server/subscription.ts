/**
 * What one proxy stream has asked for and holds, for one type URL, and the pure planning of
 * what to send it. Rules followed (Envoy xDS protocol, "Incremental xDS"):
 *  - the first request of a type with no names, or with "*", is a wildcard subscription;
 *    "*" in a later subscribe / unsubscribe list turns wildcard on / off;
 *  - `known` is what the proxy holds: filled from initial_resource_versions on a new stream and
 *    updated whenever a response is sent (a NACKed version counts as sent: it is not resent,
 *    the next change to the resource is);
 *  - a resource the proxy holds that no longer exists is listed in removed_resources; so is an
 *    explicitly subscribed name the server does not have ("does not exist").
 */
import { KnownVersions } from "./known.js";
import type { StoredResource, TypeResources } from "./store.js";

export const WILDCARD = "*";

export interface NackRecord {
  message: string;
  /** Config version of the rejected response. */
  version: number;
  nonce: string;
  at: Date;
}

export class Subscription {
  wildcard = false;
  /** Explicitly subscribed names. */
  readonly names = new Set<string>();
  /** name -> version the proxy holds, as far as this server told it. */
  readonly known = new KnownVersions();
  /** Config version this proxy has been brought up to (last response, or a push with nothing for it). */
  sentVersion = 0;
  /** Highest config version the proxy has applied (ACKed) completely. */
  ackedVersion = 0;
  /** nonce -> config version, responses not yet ACKed/NACKed, oldest first. */
  readonly outstanding = new Map<string, number>();
  lastSentNonce = "";
  lastSentAt: Date | undefined;
  lastAckAt: Date | undefined;
  lastNack: NackRecord | undefined;
  /** Set by a NACK, cleared by the ACK of a later version: the proxy is not in sync. */
  rejected = false;

  constructor(readonly typeUrl: string) {}

  wants(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }
}

/** What to send: resources to add/update and names to remove. */
export interface DeltaPlan {
  /** Empty when `snapshot` is set: then the snapshot is what is sent. */
  upserts: StoredResource[];
  removed: string[];
  /** Set when a wildcard proxy gets this whole store snapshot (it held nothing, or nothing current). */
  snapshot?: TypeResources | undefined;
}

export interface SubscriptionChange {
  /** Names the proxy newly wants ("all" when it just became a wildcard subscriber). */
  added: string[] | "all";
}

/** Applies a request's subscribe / unsubscribe lists. `first`: first request of the type. */
export function applySubscriptionRequest(
  sub: Subscription,
  subscribe: readonly string[],
  unsubscribe: readonly string[],
  first: boolean,
): SubscriptionChange {
  const wasWildcard = sub.wildcard;
  if (first && subscribe.length === 0) sub.wildcard = true;
  const added: string[] = [];
  for (const name of subscribe) {
    if (name === WILDCARD) {
      sub.wildcard = true;
    } else if (!sub.names.has(name)) {
      sub.names.add(name);
      if (!wasWildcard) added.push(name);
    }
  }
  for (const name of unsubscribe) {
    if (name === WILDCARD) sub.wildcard = false;
    else sub.names.delete(name);
  }
  // The proxy forgets what it no longer subscribes to; so must our record of what it holds.
  if (unsubscribe.length > 0) {
    for (const name of [...sub.known.keys()]) if (!sub.wants(name)) sub.known.delete(name);
  }
  return { added: sub.wildcard && !wasWildcard ? "all" : added.filter((n) => sub.wants(n)) };
}

/**
 * Plans a response. `candidates` limits the names looked at (the ones that changed, or were
 * just subscribed); "all" looks at everything the proxy wants or holds. `announceMissing`
 * lists explicitly wanted names the server lacks in `removed` (used when they are subscribed).
 */
export function planDelta(
  resources: TypeResources | undefined,
  sub: Subscription,
  candidates: Iterable<string> | "all",
  announceMissing = false,
): DeltaPlan {
  const plan: DeltaPlan = { upserts: [], removed: [] };
  const consider = (name: string) => {
    if (!sub.wants(name)) return;
    const r = resources?.get(name);
    const held = sub.known.get(name);
    if (r) {
      if (held !== r.version) plan.upserts.push(r);
    } else if (held !== undefined || (announceMissing && sub.names.has(name))) {
      plan.removed.push(name);
    }
  };
  if (candidates !== "all") {
    for (const name of candidates) consider(name);
    return plan;
  }
  if (sub.wildcard && sub.known.size === 0) {
    // A fresh wildcard subscriber gets everything; commitPlan can then share the snapshot, and
    // the responses are the snapshot's, encoded once for every proxy (bodies.ts).
    if (resources && resources.size > 0) plan.snapshot = resources;
    return plan;
  }
  const names = sub.wildcard ? (resources?.keys() ?? []) : sub.names;
  for (const name of names) consider(name);
  for (const name of sub.known.keys()) if (!resources?.has(name) && sub.wants(name)) plan.removed.push(name);
  if (sub.wildcard && resources && resources.size > 0 && plan.upserts.length === resources.size) {
    // Everything is due (a proxy reconnecting without versions, as ztunnel does): the shared
    // snapshot responses serve it, with the removals on the last one, instead of a private
    // encoding of every resource per reconnecting proxy.
    plan.snapshot = resources;
    plan.upserts = [];
  }
  return dedupeRemoved(plan);
}

function dedupeRemoved(plan: DeltaPlan): DeltaPlan {
  if (plan.removed.length > 1) plan.removed = [...new Set(plan.removed)];
  return plan;
}

/** Records that the plan was sent: the proxy now holds exactly these versions. */
export function commitPlan(sub: Subscription, plan: DeltaPlan): void {
  if (plan.snapshot) {
    sub.known.resetTo(plan.snapshot);
    return;
  }
  for (const r of plan.upserts) sub.known.set(r.name, r.version);
  for (const name of plan.removed) sub.known.delete(name);
}

/** Records an ACK or NACK of `nonce`. Returns false when the nonce is stale or unknown. */
export function recordReply(sub: Subscription, nonce: string, error: string | undefined, now: Date): boolean {
  const version = sub.outstanding.get(nonce);
  if (version === undefined) return false;
  // Responses are applied in order, so a reply answers every older outstanding response too.
  for (const n of sub.outstanding.keys()) {
    sub.outstanding.delete(n);
    if (n === nonce) break;
  }
  if (error !== undefined) {
    sub.lastNack = { message: error, version, nonce, at: now };
    sub.rejected = true;
    return true;
  }
  sub.lastAckAt = now;
  if (sub.rejected && sub.lastNack && version > sub.lastNack.version) sub.rejected = false;
  if (!sub.rejected) advanceAcked(sub);
  return true;
}

/** Everything before the oldest unanswered response is applied; with none pending, all of it. */
export function advanceAcked(sub: Subscription): void {
  if (sub.rejected) return;
  const first = sub.outstanding.values().next();
  const upTo = first.done ? sub.sentVersion : first.value - 1;
  if (upTo > sub.ackedVersion) sub.ackedVersion = upTo;
}
