/**
 * The control plane's config store: validated objects from the watched directory and the admin
 * API, versioned, persisted, and published to subscribers (the registry and xDS). Every change is
 * all or nothing: one invalid document rejects the whole change and the last good config stays.
 */
import { randomUUID } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { hasErrors, type Finding } from "../../api/findings.js";
import { loadFiles, type SourceDocument } from "../../api/load.js";
import type { Resource } from "../../api/resource.js";
import { validateAll } from "../../api/validate.js";
import { errorText } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import { StoreFiles } from "./persistence.js";
import {
  emptySnapshot,
  planChange,
  type ChangeRecord,
  type Snapshot,
  type Source,
  type StoredObject,
} from "./snapshot.js";

export interface ChangeResult {
  ok: boolean;
  /** Store revision after the change (unchanged when rejected). */
  revision: number;
  findings: Finding[];
  record?: ChangeRecord;
}

export type Listener = (snapshot: Snapshot, record: ChangeRecord) => void;

export interface StoreOptions {
  /** Where API-applied objects are persisted (`store.json` + `store.journal`); memory only when absent. */
  stateDir?: string;
  log: Logger;
  clock?: () => Date;
}

const HISTORY = 100;

export class ConfigStore {
  private snapshot: Snapshot = emptySnapshot();
  private readonly listeners = new Set<Listener>();
  private readonly history: ChangeRecord[] = [];
  private watcher: FSWatcher | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private readonly files: StoreFiles | undefined;
  /** Findings of the last reload of the watched directory (empty when it was good). */
  dirFindings: Finding[] = [];

  constructor(private readonly opts: StoreOptions) {
    this.files = opts.stateDir ? new StoreFiles(opts.stateDir, opts.log) : undefined;
    // API-applied objects survive restarts; the watched directory is re-read instead.
    this.snapshot = this.files?.load() ?? emptySnapshot();
  }

  current(): Snapshot {
    return this.snapshot;
  }

  changes(): readonly ChangeRecord[] {
    return this.history;
  }

  list(filter: { kind?: string; namespace?: string } = {}): StoredObject[] {
    return [...this.snapshot.objects.values()].filter(
      (o) =>
        (!filter.kind || o.resource.kind.toLowerCase() === filter.kind.toLowerCase()) &&
        (!filter.namespace || o.resource.metadata.namespace === filter.namespace),
    );
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Validates and applies documents as one change (create or update). */
  apply(
    documents: readonly SourceDocument[],
    source: Source = { kind: "api" },
    syntax: Finding[] = [],
  ): ChangeResult {
    const { valid, findings } = validateAll(documents);
    const all = [...syntax, ...findings];
    if (hasErrors(all)) return { ok: false, revision: this.snapshot.revision, findings: all };
    return this.commit({ source, put: valid.map((v) => v.resource), delete: [] }, all);
  }

  /** Deletes the objects with these keys ("group/Kind/ns/name") as one change. */
  delete(keys: readonly string[]): ChangeResult {
    return this.commit({ source: { kind: "api" }, put: [], delete: keys }, []);
  }

  /** Puts already-validated resources (used by embedders and tests). */
  put(resources: readonly Resource[], source: Source = { kind: "api" }): ChangeResult {
    return this.commit({ source, put: resources, delete: [] }, []);
  }

  private commit(req: Parameters<typeof planChange>[1], findings: Finding[]): ChangeResult {
    const now = (this.opts.clock?.() ?? new Date()).toISOString();
    const plan = planChange(this.snapshot, req, now, randomUUID);
    if (!plan.ok) {
      const conflictFindings: Finding[] = plan.conflicts.map((c) => ({
        severity: "error",
        code: "CONFLICT",
        message: `${c.key}: ${c.message}`,
      }));
      return { ok: false, revision: this.snapshot.revision, findings: [...findings, ...conflictFindings] };
    }
    const changed = plan.next !== this.snapshot;
    this.snapshot = plan.next;
    if (changed) {
      this.history.push(plan.record);
      if (this.history.length > HISTORY) this.history.shift();
      this.files?.record(this.snapshot, plan.record);
      this.opts.log.info(
        {
          revision: plan.record.revision,
          created: plan.record.created.length,
          updated: plan.record.updated.length,
          deleted: plan.record.deleted.length,
        },
        "config change applied",
      );
      for (const l of this.listeners) {
        try {
          l(this.snapshot, plan.record);
        } catch (e) {
          this.opts.log.error({ err: errorText(e) }, "config listener failed");
        }
      }
    }
    return { ok: true, revision: this.snapshot.revision, findings, record: plan.record };
  }

  /** Loads `dir` now and on every change below it (debounced). A bad edit keeps the last good config. */
  watchDirectory(dir: string, debounceMs = 200): ChangeResult {
    const result = this.reloadDirectory(dir);
    this.watcher = watch(dir, { recursive: true }, () => {
      clearTimeout(this.watchTimer);
      this.watchTimer = setTimeout(() => this.reloadDirectory(dir), debounceMs);
    });
    return result;
  }

  reloadDirectory(dir: string): ChangeResult {
    let loaded;
    try {
      loaded = loadFiles([dir], { recursive: true });
    } catch (e) {
      this.opts.log.error(
        { dir, err: errorText(e) },
        "cannot read the config directory; keeping the last good config",
      );
      return { ok: false, revision: this.snapshot.revision, findings: [] };
    }
    const { valid, findings } = validateAll(loaded.documents);
    const all = [...loaded.findings, ...findings];
    this.dirFindings = all.filter((f) => f.severity === "error");
    if (hasErrors(all)) {
      this.opts.log.error(
        { dir, errors: this.dirFindings.length },
        "config directory has errors; keeping the last good config",
      );
      return { ok: false, revision: this.snapshot.revision, findings: all };
    }
    // One change for the whole directory; each object remembers the file it came from.
    return this.commit(
      {
        source: { kind: "dir", file: dir },
        put: valid.map((v) => v.resource),
        files: valid.map((v) => v.source.file),
        delete: [],
        replaceAllFromDir: true,
      },
      all,
    );
  }

  close(): void {
    this.watcher?.close();
    clearTimeout(this.watchTimer);
    this.files?.close(this.snapshot);
  }
}
