/**
 * The control plane's current resources, per type URL. Each resource's version is a hash of
 * its encoded bytes, so "changed" means "different bytes". The version is the server's own
 * record of what each proxy was sent (KnownVersions); it does not go on the wire. istiod sends
 * no per-resource version for the workload API types either, and ztunnel keeps only names
 * (src/xds/client.rs `known_resources`): for 100 proxies x 11,000 resources a version is 18
 * bytes on the wire and a string plus a wrapper object in every proxy's state, all for one
 * case, a reconnect, which then resends what the proxy held (as Istio does) instead of only
 * what changed.
 */
import { createHash } from "node:crypto";
import { encodeResourceEnvelope } from "../wire/discovery.js";

export interface StoredResource {
  readonly name: string;
  /** Content hash of `bytes`. */
  readonly version: string;
  readonly bytes: Uint8Array;
  /** envoy Resource{name, Any} encoded once, on first send. */
  envelope?: Uint8Array;
}

/** name -> resource, one per type URL. */
export type TypeResources = ReadonlyMap<string, StoredResource>;

export function contentVersion(bytes: Uint8Array): string {
  // 96 bits of SHA-256: collisions are not a practical concern for config of this size.
  return createHash("sha256").update(bytes).digest("base64url").slice(0, 16);
}

export class ResourceStore {
  // typeUrl -> (name -> resource)
  private readonly types = new Map<string, Map<string, StoredResource>>();

  get(typeUrl: string): TypeResources | undefined {
    return this.types.get(typeUrl);
  }

  /**
   * Replaces the full set of one type. Returns the names that were added, changed or removed.
   * Unchanged resources keep their entry object (and its cached envelope).
   */
  replace(typeUrl: string, next: ReadonlyMap<string, Uint8Array>): string[] {
    const prev = this.types.get(typeUrl);
    const removed: string[] = [];
    if (prev && prev.size > 0) {
      let kept = 0; // names of `next` already in `prev`
      for (const name of next.keys()) if (prev.has(name)) kept++;
      if (kept < prev.size) for (const name of prev.keys()) if (!next.has(name)) removed.push(name);
    }
    return this.update(typeUrl, next, removed);
  }

  /**
   * Adds or changes the resources of `upserts` and removes `removed`, leaving the others as they
   * are. Returns the names that were added, changed or removed. The previous map is left
   * untouched (proxies' KnownVersions may share it): changes go into a copy.
   */
  update(typeUrl: string, upserts: ReadonlyMap<string, Uint8Array>, removed: Iterable<string>): string[] {
    const prev = this.types.get(typeUrl) ?? new Map<string, StoredResource>();
    const changed: string[] = [];
    const fresh: StoredResource[] = [];
    for (const [name, bytes] of upserts) {
      const old = prev.get(name);
      // Callers usually hand back the same array for an unchanged resource: check that first.
      if (old && (old.bytes === bytes || Buffer.compare(old.bytes, bytes) === 0)) continue;
      fresh.push({ name, version: contentVersion(bytes), bytes });
      changed.push(name);
    }
    const gone: string[] = [];
    for (const name of removed) if (prev.has(name) && !upserts.has(name)) gone.push(name);
    if (changed.length === 0 && gone.length === 0) return [];
    const out = new Map(prev);
    for (const r of fresh) out.set(r.name, r);
    for (const name of gone) out.delete(name);
    this.types.set(typeUrl, out);
    return [...changed, ...gone];
  }

  /** The pre-encoded envelope of a resource, built on first use. */
  envelope(typeUrl: string, r: StoredResource): Uint8Array {
    r.envelope ??= encodeResourceEnvelope(r.name, "", typeUrl, r.bytes);
    return r.envelope;
  }
}
