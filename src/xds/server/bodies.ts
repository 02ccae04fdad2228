/**
 * Splits the resources of a response into response bodies of at most `maxBytes` of resources
 * each (at least one resource per body). Delta xDS lets any response carry any subset, so a
 * large initial push becomes several moderate gRPC messages rather than one huge one.
 *
 * Bodies for a whole store snapshot are cached: every fresh wildcard subscriber of a type gets
 * exactly that list, so 100 proxies share one encoding of 12,000 resources.
 */
import { encodeResponseBody } from "../wire/discovery.js";
import type { ResourceStore, StoredResource, TypeResources } from "./store.js";

export function buildBodies(
  store: ResourceStore,
  typeUrl: string,
  resources: Iterable<StoredResource>,
  maxBytes: number,
): Buffer[] {
  const bodies: Buffer[] = [];
  let chunk: Uint8Array[] = [];
  let bytes = 0;
  for (const r of resources) {
    const env = store.envelope(typeUrl, r);
    if (chunk.length > 0 && bytes + env.length > maxBytes) {
      bodies.push(encodeResponseBody(typeUrl, chunk));
      chunk = [];
      bytes = 0;
    }
    chunk.push(env);
    bytes += env.length;
  }
  if (chunk.length > 0 || bodies.length === 0) bodies.push(encodeResponseBody(typeUrl, chunk));
  return bodies;
}

export class SnapshotBodies {
  // snapshot -> its bodies; snapshots are immutable, and dropped with them
  private readonly cache = new WeakMap<TypeResources, Buffer[]>();

  constructor(
    private readonly store: ResourceStore,
    private readonly maxBytes: number,
  ) {}

  get(typeUrl: string, snapshot: TypeResources): Buffer[] {
    let bodies = this.cache.get(snapshot);
    if (!bodies) {
      bodies = buildBodies(this.store, typeUrl, snapshot.values(), this.maxBytes);
      this.cache.set(snapshot, bodies);
    }
    return bodies;
  }
}
