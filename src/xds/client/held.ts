/**
 * The client's per-type store is one map of {version, value}; the data path sees it as a
 * plain ReadonlyMap<name, value> through this view, without a second map to keep in step.
 */
export interface Held<T> {
  readonly version: string;
  readonly value: T;
}

export class HeldView<T> implements ReadonlyMap<string, T> {
  constructor(private readonly held: ReadonlyMap<string, Held<T>>) {}

  get size(): number {
    return this.held.size;
  }

  get(key: string): T | undefined {
    return this.held.get(key)?.value;
  }

  has(key: string): boolean {
    return this.held.has(key);
  }

  forEach(fn: (value: T, key: string, map: ReadonlyMap<string, T>) => void): void {
    for (const [k, h] of this.held) fn(h.value, k, this);
  }

  *entries(): MapIterator<[string, T]> {
    for (const [k, h] of this.held) yield [k, h.value];
  }

  keys(): MapIterator<string> {
    return this.held.keys();
  }

  *values(): MapIterator<T> {
    for (const h of this.held.values()) yield h.value;
  }

  [Symbol.iterator](): MapIterator<[string, T]> {
    return this.entries();
  }
}
