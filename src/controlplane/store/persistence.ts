/**
 * Where the config store keeps API-applied objects across restarts: `store.json` holds all of
 * them at some revision, `store.journal` every accepted change since, one JSON line each
 * (`{"revision":N,"put":[...],"delete":[...]}`). A change to one object appends about a
 * kilobyte instead of rewriting the whole file (megabytes for a large mesh), and is on disk
 * before the change is acknowledged, as with a full rewrite. The journal is folded into
 * store.json when it grows past the size of a full copy (or 1 MiB), after a large change, at
 * start-up and on close.
 *
 * Crash safety: store.json is replaced by rename, and the journal is emptied only after that,
 * so a crash in between leaves journal lines the new store.json already holds; they are
 * skipped by revision. A torn last line (a crash while appending) is ignored.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errorText } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import { keyOf, type Resource } from "../../api/resource.js";
import { emptySnapshot, type ChangeRecord, type Snapshot, type StoredObject } from "./snapshot.js";

const MIN_JOURNAL_BYTES = 1 << 20;
/** A change putting more objects than this (and an eighth of the store) is written in full. */
const LARGE_CHANGE = 64;

interface JournalEntry {
  revision: number;
  put: Resource[];
  delete: string[];
}

export class StoreFiles {
  private readonly full: string;
  private readonly journal: string;
  private journalBytes = 0;
  private fullBytes = 0;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {
    this.full = join(dir, "store.json");
    this.journal = join(dir, "store.journal");
  }

  /** The persisted snapshot (API objects only), or undefined on first start. */
  load(): Snapshot | undefined {
    let base: Snapshot | undefined;
    let text: string | undefined;
    try {
      text = readFileSync(this.full, "utf8");
    } catch {
      // first start, or only a journal so far
    }
    if (text !== undefined) {
      try {
        const saved = JSON.parse(text) as { revision: number; objects: Resource[] };
        const objects = new Map<string, StoredObject>();
        for (const r of saved.objects) objects.set(keyOf(r), stored(r));
        base = { revision: saved.revision, objects };
        this.fullBytes = text.length;
      } catch (e) {
        // The journal only makes sense on top of its base: both are set aside.
        this.log.error(
          { file: this.full, err: errorText(e) },
          "stored config is unreadable; starting empty (the file is kept)",
        );
        const stamp = Date.now();
        renameSync(this.full, `${this.full}.corrupt-${stamp}`);
        if (exists(this.journal)) renameSync(this.journal, `${this.journal}.corrupt-${stamp}`);
        return undefined;
      }
    }
    const replayed = this.replay(base);
    if (replayed !== base || this.journalSize() > 0) this.compact(replayed ?? emptySnapshot());
    return replayed;
  }

  /** Records an accepted change (`snapshot` is the store after it). */
  record(snapshot: Snapshot, change: ChangeRecord): void {
    const put: Resource[] = [];
    for (const key of [...change.created, ...change.updated]) {
      const o = snapshot.objects.get(key);
      if (o?.source.kind === "api") put.push(o.resource);
    }
    const removed = change.source === "api" ? change.deleted : [];
    if (put.length > LARGE_CHANGE && put.length * 8 > snapshot.objects.size) {
      this.compact(snapshot);
      return;
    }
    const entry: JournalEntry = { revision: snapshot.revision, put, delete: removed };
    const line = `${JSON.stringify(entry)}\n`;
    mkdirSync(this.dir, { recursive: true });
    appendFileSync(this.journal, line, { mode: 0o600 });
    this.journalBytes += Buffer.byteLength(line);
    if (this.journalBytes > Math.max(MIN_JOURNAL_BYTES, this.fullBytes)) this.compact(snapshot);
  }

  /** Writes every API object to store.json and empties the journal. */
  compact(snapshot: Snapshot): void {
    const api: Resource[] = [];
    for (const o of snapshot.objects.values()) if (o.source.kind === "api") api.push(o.resource);
    const text = JSON.stringify({ revision: snapshot.revision, objects: api });
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(`${this.full}.tmp`, text, { mode: 0o600 });
    renameSync(`${this.full}.tmp`, this.full);
    if (this.journalBytes > 0 || exists(this.journal)) writeFileSync(this.journal, "", { mode: 0o600 });
    this.fullBytes = text.length;
    this.journalBytes = 0;
  }

  /** Folds the journal in, so the next start reads one file. */
  close(snapshot: Snapshot): void {
    if (this.journalBytes > 0) this.compact(snapshot);
  }

  private replay(base: Snapshot | undefined): Snapshot | undefined {
    let text: string;
    try {
      text = readFileSync(this.journal, "utf8");
    } catch {
      return base;
    }
    let snapshot = base;
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === "") continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch {
        this.log.warn(
          { file: this.journal, line: i + 1 },
          "the last change in the journal was cut short (crash while writing); it is ignored",
        );
        break;
      }
      if (entry.revision <= (snapshot?.revision ?? 0)) continue;
      const objects = new Map(snapshot?.objects ?? []);
      for (const r of entry.put) objects.set(keyOf(r), stored(r));
      for (const key of entry.delete) objects.delete(key);
      snapshot = { revision: entry.revision, objects };
    }
    return snapshot;
  }

  private journalSize(): number {
    try {
      return statSync(this.journal).size;
    } catch {
      return 0;
    }
  }
}

function stored(r: Resource): StoredObject {
  return { resource: r, source: { kind: "api" }, revision: Number(r.metadata.resourceVersion ?? 0) };
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}
