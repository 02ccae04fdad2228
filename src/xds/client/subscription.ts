/**
 * A proxy's state for one type URL: the last good value of every resource it holds. The xDS
 * client writes it; the data path reads it (resources(), get()).
 *
 * Per-resource versions are kept only when the server sends them (Envoy's types from a server
 * that versions them), in a second map that stays empty otherwise. Ambit's control plane, like
 * istiod for the workload API, sends none, and ztunnel keeps only names: every proxy holds
 * every address of the mesh, so the state is one map entry per resource and nothing more.
 *
 * A response is applied resource by resource: a resource whose decode throws keeps its last
 * good value (or stays absent) while the others are applied, and the response is NACKed with
 * every failure in error_detail. The server does not resend a NACKed version (xDS protocol), so
 * rejecting a whole response would also lose its good resources until they next change; this
 * is the choice Istio's ztunnel makes too.
 */
import { EventEmitter } from "node:events";
import { errorText } from "../../common/errors.js";
import type { XdsDeltaResponse } from "../wire/discovery.js";

/** Turns the bytes of one resource into the proxy's type; throws (AmbitError) when unusable. */
export type XdsDecode<T> = (bytes: Uint8Array, name: string) => T;

export interface XdsChange {
  typeUrl: string;
  /** system_version_info of the response that caused it. */
  systemVersion: string;
  added: string[];
  updated: string[];
  removed: string[];
}

export interface XdsRejection {
  typeUrl: string;
  systemVersion: string;
  nonce: string;
  /** name -> why it was rejected */
  errors: Map<string, string>;
}

export interface XdsSubscriptionEvents {
  change: [XdsChange];
  nack: [XdsRejection];
}

/** Bound on the error text sent back in a NACK. */
const MAX_NACK_MESSAGE = 4096;

export class XdsSubscription<T> extends EventEmitter<XdsSubscriptionEvents> {
  // name -> last good value: applying a resource is one map operation, and the data path reads
  // this very map (resources()).
  private readonly held = new Map<string, T>();
  // name -> version, for the resources that came with one (none from Ambit's control plane)
  private readonly heldVersions = new Map<string, string>();
  private syncedOnce = false;
  private readonly syncWaiters: (() => void)[] = [];
  /** system_version_info of the last response applied. */
  systemVersion = "";

  constructor(
    readonly typeUrl: string,
    private readonly decode: XdsDecode<T>,
    names: readonly string[] | undefined,
  ) {
    super();
    this.explicit = names ? new Set(names) : undefined;
  }

  /** Explicit names; undefined means wildcard (everything the server has). */
  private explicit: Set<string> | undefined;

  get names(): readonly string[] | undefined {
    return this.explicit ? [...this.explicit] : undefined;
  }

  /**
   * Replaces the explicit names (not for wildcard subscriptions). Returns what to send the
   * server; resources no longer subscribed are dropped here, since the server does not send
   * removals for names a proxy unsubscribed from (xDS protocol).
   */
  rename(names: readonly string[]): { subscribe: string[]; unsubscribe: string[] } {
    const next = new Set(names);
    const prev = this.explicit ?? new Set<string>();
    const subscribe = [...next].filter((n) => !prev.has(n));
    const unsubscribe = [...prev].filter((n) => !next.has(n));
    this.explicit = next;
    const removed = unsubscribe.filter((n) => this.forget(n));
    if (removed.length > 0) {
      this.emit("change", {
        typeUrl: this.typeUrl,
        systemVersion: this.systemVersion,
        added: [],
        updated: [],
        removed,
      });
    }
    return { subscribe, unsubscribe };
  }

  /** Current state, name -> value (a live read-only view). */
  resources(): ReadonlyMap<string, T> {
    return this.held;
  }

  get(name: string): T | undefined {
    return this.held.get(name);
  }

  /**
   * name -> version held, sent as initial_resource_versions when reconnecting: every name held,
   * with "" where the server gave no version (the server then resends it, xDS protocol).
   */
  versions(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of this.held.keys()) out[name] = this.heldVersions.get(name) ?? "";
    return out;
  }

  /** Resolves once the first response has been applied (the proxy has an initial config). */
  synced(): Promise<void> {
    if (this.syncedOnce) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Applies a response; returns the NACK message, or undefined to ACK. */
  apply(resp: XdsDeltaResponse): string | undefined {
    const change: XdsChange = {
      typeUrl: this.typeUrl,
      systemVersion: resp.systemVersionInfo,
      added: [],
      updated: [],
      removed: [],
    };
    const errors = new Map<string, string>();
    for (const r of resp.resources) {
      if (r.typeUrl !== this.typeUrl) {
        errors.set(r.name, `resource has type ${r.typeUrl}, expected ${this.typeUrl}`);
        continue;
      }
      let value: T;
      try {
        value = this.decode(r.value, r.name);
      } catch (e) {
        errors.set(r.name, errorText(e));
        continue;
      }
      // One lookup: the map grows when the name is new.
      const size = this.held.size;
      this.held.set(r.name, value);
      if (this.held.size > size) change.added.push(r.name);
      else change.updated.push(r.name);
      if (r.version) this.heldVersions.set(r.name, r.version);
      else if (this.heldVersions.size > 0) this.heldVersions.delete(r.name);
    }
    for (const name of resp.removed) if (this.forget(name)) change.removed.push(name);
    this.systemVersion = resp.systemVersionInfo;
    if (change.added.length + change.updated.length + change.removed.length > 0) this.emit("change", change);
    if (!this.syncedOnce) {
      this.syncedOnce = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
    if (errors.size === 0) return undefined;
    this.emit("nack", {
      typeUrl: this.typeUrl,
      systemVersion: resp.systemVersionInfo,
      nonce: resp.nonce,
      errors,
    });
    const text = [...errors].map(([name, why]) => `${name}: ${why}`).join("; ");
    const head = `rejected ${errors.size} of ${resp.resources.length} resources: `;
    return (head + text).slice(0, MAX_NACK_MESSAGE);
  }

  /** Drops a resource; true when it was held. */
  private forget(name: string): boolean {
    this.heldVersions.delete(name);
    return this.held.delete(name);
  }
}
