/**
 * The bookkeeping that lets the registry be recomputed on every config change without redoing
 * the work for what did not change. Three rules make a cached result safe to reuse:
 *
 * - Documents are immutable once stored (the config store and the scheduler build new objects
 *   for every change), so a document's identity stands for its content.
 * - Everything else a result depends on is summed up in epochs: a number that stays the same
 *   while the inputs it tracks are the same objects (===) and is fresh (never reused) otherwise.
 * - A result is stored with the warnings its computation emitted, in order, and a cache hit
 *   emits them again at the same place, so the warning list comes out as a full pass makes it.
 */

/** Separates the groups of a parts list, so that moving an item between groups is a change. */
export const SEPARATOR = Symbol("separator");

export class Epochs {
  private next = 1;
  // name -> parts tracked last and their epoch
  private last = new Map<string, { parts: readonly unknown[]; epoch: number }>();
  private touched = new Set<string>();

  /** The epoch of `name`: unchanged while `parts` are the same values as last time. */
  epoch(name: string, parts: readonly unknown[]): number {
    this.touched.add(name);
    const prev = this.last.get(name);
    if (prev && sameItems(prev.parts, parts)) return prev.epoch;
    const epoch = this.next++;
    this.last.set(name, { parts, epoch });
    return epoch;
  }

  /** Forgets names not tracked since the last sweep (deleted namespaces, say). */
  sweep(): void {
    for (const name of this.last.keys()) if (!this.touched.has(name)) this.last.delete(name);
    this.touched.clear();
  }
}

export function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export type Warn = (message: string) => void;

interface Entry<T> {
  dep1: unknown;
  dep2: unknown;
  value: T;
  warnings: readonly string[];
}

const NONE: readonly string[] = [];

/**
 * Results computed from one document plus two dependency values (epochs, usually). `get` returns
 * the stored result when the document and both values are the ones it was computed with.
 */
export class MemoTable<K extends object, T> {
  private entries = new WeakMap<K, Entry<T>>();

  /** The stored result of `key` and the warnings it emitted, whatever it was computed with. */
  peek(key: K): { value: T; warnings: readonly string[] } | undefined {
    return this.entries.get(key);
  }

  get(key: K, dep1: unknown, dep2: unknown, warn: Warn, compute: (warn: Warn) => T): T {
    const hit = this.entries.get(key);
    if (hit && hit.dep1 === dep1 && hit.dep2 === dep2) {
      for (const w of hit.warnings) warn(w);
      return hit.value;
    }
    let warnings: string[] | undefined;
    const value = compute((m) => {
      (warnings ??= []).push(m);
      warn(m);
    });
    this.entries.set(key, { dep1, dep2, value, warnings: warnings ?? NONE });
    return value;
  }
}

/**
 * Sorting that remembers its last answer: when the keys come in exactly as last time, the
 * previous permutation is reused instead of sorting again. Same result as a stable sort by key
 * (keys compared as JavaScript strings), which is what every sorted list of the registry uses.
 */
export class SortMemo {
  // name -> keys in input order last time, and their sorted permutation
  private last = new Map<string, { keys: readonly string[]; order: readonly number[] }>();

  sort<T>(name: string, items: readonly T[], keys: readonly string[]): T[] {
    const prev = this.last.get(name);
    let order = prev && sameItems(prev.keys, keys) ? prev.order : undefined;
    if (!order) {
      const idx = keys.map((_, i) => i);
      idx.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
      order = idx;
      this.last.set(name, { keys, order });
    }
    const out = new Array<T>(order.length);
    for (let i = 0; i < order.length; i++) out[i] = items[order[i]!]!;
    return out;
  }
}
