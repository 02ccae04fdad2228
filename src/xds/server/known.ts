/**
 * What one proxy holds of one type (name -> version), stored cheaply. A proxy that received the
 * whole set shares the store's immutable snapshot map (`base`; ResourceStore builds a new map
 * on every replace and never mutates an old one) and only later changes live in its own
 * `overlay`. 100 proxies x 12,000 resources then cost 100 small overlays instead of 1.2 million
 * map entries. Once the overlay grows large it is folded into a private map.
 */
import type { StoredResource } from "./store.js";

/** Marks a name of `base` the proxy no longer holds (a value no request can carry). */
const REMOVED = null;

export class KnownVersions {
  private base: ReadonlyMap<string, StoredResource> | undefined;
  // name -> version, or REMOVED when the proxy no longer holds a name present in base. A
  // version is a content hash (store.ts), or whatever a proxy announced in
  // initial_resource_versions: "" from a client that keeps none (ztunnel, Ambit's), which is
  // held but never current.
  private overlay = new Map<string, string | typeof REMOVED>();

  /** Makes the proxy hold exactly `snapshot` (which must never be mutated afterwards). */
  resetTo(snapshot: ReadonlyMap<string, StoredResource> | undefined): void {
    this.base = snapshot;
    this.overlay = new Map();
  }

  get(name: string): string | undefined {
    const v = this.overlay.get(name);
    if (v !== undefined) return v === REMOVED ? undefined : v;
    return this.base?.get(name)?.version;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  set(name: string, version: string): void {
    this.overlay.set(name, version);
    this.maybeFold();
  }

  delete(name: string): void {
    if (this.base?.has(name)) this.overlay.set(name, REMOVED);
    else this.overlay.delete(name);
    this.maybeFold();
  }

  get size(): number {
    let n = this.base?.size ?? 0;
    for (const [name, v] of this.overlay) {
      const inBase = this.base?.has(name) ?? false;
      if (v === REMOVED) n--;
      else if (!inBase) n++;
    }
    return n;
  }

  *keys(): Generator<string> {
    if (this.base) for (const name of this.base.keys()) if (!this.overlay.has(name)) yield name;
    for (const [name, v] of this.overlay) if (v !== REMOVED) yield name;
  }

  /** Past a quarter of the base (and a floor), lookups through two maps stop paying off. */
  private maybeFold(): void {
    if (!this.base || this.overlay.size < Math.max(256, this.base.size / 4)) return;
    const merged = new Map<string, string | typeof REMOVED>();
    for (const name of this.keys()) merged.set(name, this.get(name) ?? "");
    this.base = undefined;
    this.overlay = merged;
  }
}
