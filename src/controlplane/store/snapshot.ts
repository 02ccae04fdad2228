/**
 * The config store's state as an immutable snapshot, and the pure planning of changes to it.
 * A change is planned as a whole against the current snapshot: either every object in it is
 * accepted and the next snapshot is returned, or nothing is and the reasons are. I/O
 * (persistence, notification, the watched directory) lives in store.ts.
 */
import { keyOf, type Resource } from "../../api/resource.js";

/** Who owns an object: the watched directory (edit the file) or the admin API (ambit apply). */
export type Source = { kind: "dir"; file: string } | { kind: "api" };

export interface StoredObject {
  resource: Resource;
  source: Source;
  /** Store revision at which this object was last changed. */
  revision: number;
}

export interface Snapshot {
  /** Monotonic: +1 per accepted change. */
  revision: number;
  // object key ("group/Kind/ns/name") -> stored object
  objects: ReadonlyMap<string, StoredObject>;
}

export interface ChangeRecord {
  revision: number;
  time: string;
  source: "dir" | "api";
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
}

export type Plan =
  | { ok: true; next: Snapshot; record: ChangeRecord }
  | { ok: false; conflicts: { key: string; message: string }[] };

export function emptySnapshot(): Snapshot {
  return { revision: 0, objects: new Map() };
}

/** What a change asks for: objects to put (create or update) and keys to delete. */
export interface ChangeRequest {
  source: Source;
  put: readonly Resource[];
  /** For the watched directory: the file each `put` object came from (same order). */
  files?: readonly string[];
  delete: readonly string[];
  /** For the watched directory: delete every object it owns that `put` no longer names. */
  replaceAllFromDir?: boolean;
}

/** Stable content comparison, ignoring the fields the store itself sets. */
function sameContent(a: Resource, b: Resource): boolean {
  return canonical(strip(a)) === canonical(strip(b));
}

function strip(r: Resource): Resource {
  const {
    uid: _u,
    resourceVersion: _rv,
    generation: _g,
    creationTimestamp: _c,
    ...meta
  } = r.metadata as Resource["metadata"] & {
    resourceVersion?: string;
  };
  return { ...r, metadata: meta as Resource["metadata"] };
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(
          Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : val,
  );
}

function sourceText(s: Source): string {
  return s.kind === "dir" ? `the watched directory (${s.file})` : "`ambit apply`";
}

/**
 * Plans a change. Ownership rule: an object owned by the watched directory can only be changed
 * by editing its file, and the directory cannot take over an object applied through the API;
 * either attempt is a conflict, so two sources never fight over one object.
 */
export function planChange(current: Snapshot, req: ChangeRequest, now: string, newUid: () => string): Plan {
  const conflicts: { key: string; message: string }[] = [];
  const objects = new Map(current.objects);
  const revision = current.revision + 1;
  const record: ChangeRecord = {
    revision,
    time: now,
    source: req.source.kind,
    created: [],
    updated: [],
    deleted: [],
    unchanged: [],
  };
  const named = new Set<string>();

  req.put.forEach((r, i) => {
    const source: Source =
      req.source.kind === "dir" ? { kind: "dir", file: req.files?.[i] ?? req.source.file } : req.source;
    const key = keyOf(r);
    named.add(key);
    const prev = objects.get(key);
    if (prev && prev.source.kind !== req.source.kind) {
      conflicts.push({ key, message: `owned by ${sourceText(prev.source)}; change it there` });
      return;
    }
    if (prev && sameContent(prev.resource, r)) {
      record.unchanged.push(key);
      if (source.kind === "dir") objects.set(key, { ...prev, source });
      return;
    }
    const generation = (prev?.resource.metadata.generation ?? 0) + 1;
    const metadata = {
      ...r.metadata,
      uid: prev?.resource.metadata.uid ?? r.metadata.uid ?? newUid(),
      generation,
      resourceVersion: String(revision),
      creationTimestamp: prev?.resource.metadata.creationTimestamp ?? now,
    };
    objects.set(key, { resource: { ...r, metadata }, source, revision });
    (prev ? record.updated : record.created).push(key);
  });

  const toDelete = new Set(req.delete);
  if (req.replaceAllFromDir)
    for (const [key, obj] of current.objects)
      if (obj.source.kind === "dir" && !named.has(key)) toDelete.add(key);
  for (const key of toDelete) {
    const prev = objects.get(key);
    if (!prev) {
      if (!req.replaceAllFromDir) conflicts.push({ key, message: "not found" });
      continue;
    }
    if (prev.source.kind !== req.source.kind) {
      conflicts.push({ key, message: `owned by ${sourceText(prev.source)}; delete it there` });
      continue;
    }
    objects.delete(key);
    record.deleted.push(key);
  }

  if (conflicts.length > 0) return { ok: false, conflicts };
  const changed = record.created.length + record.updated.length + record.deleted.length > 0;
  if (!changed) return { ok: true, next: current, record: { ...record, revision: current.revision } };
  return { ok: true, next: { revision, objects }, record };
}
