/**
 * Follows the node proxy's roots file (`ambit ztunnel --roots FILE`) so a rotated trust bundle
 * is picked up without a restart, as istio-agent does with its root certificate file
 * (istio/istio#36813: a file watch on ROOTCA re-dials istiod with the new roots).
 *
 *  - The directory is watched, not the file: writers replace the file (write a temporary file,
 *    rename it over), and a Kubernetes ConfigMap mount swaps a `..data` symlink; both are events
 *    on the directory. A burst of events becomes one read after `debounceMs` of quiet.
 *  - fs.watch misses changes on some file systems (network mounts, some overlays), so the file's
 *    identity (inode, size, mtime) is also checked every `pollMs`.
 *  - Only a complete, valid bundle is taken (trust-bundle.ts `parseRoots`). An unreadable, empty
 *    or malformed file keeps the last good bundle, with one warning per distinct problem.
 */
import { readFileSync, statSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { errorText } from "../common/errors.js";
import { createLogger, type Logger } from "../common/log.js";
import { parseRoots } from "./trust-bundle.js";

export interface RootsFileOptions {
  path: string;
  /** Called with the file's roots whenever its content changes to a valid bundle. */
  onRoots: (roots: string[]) => void;
  /** The content the caller already uses; not reported again. */
  initialText?: string;
  /** Quiet period after a change event. Default 200 ms. */
  debounceMs?: number;
  /** Fallback check of the file's identity. Default 5000 ms. */
  pollMs?: number;
  log?: Logger;
}

export interface RootsFileStatus {
  path: string;
  /** Roots taken from the file's last good content. */
  roots: number;
  /** When that content was read (or the proxy started with it). */
  loadedAt: string;
  /** Why the file's current content is not used, while that is so. */
  error?: string;
}

export class RootsFileWatcher {
  private readonly log: Logger;
  private watcher?: FSWatcher;
  private readonly poll: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private lastText?: string;
  private lastStat = "";
  private lastError?: string;
  private roots = 0;
  private loadedAt = new Date();
  private closed = false;

  constructor(private readonly opts: RootsFileOptions) {
    this.log = opts.log ?? createLogger("ztunnel-roots");
    if (opts.initialText !== undefined) {
      this.lastText = opts.initialText;
      try {
        this.roots = parseRoots(opts.initialText, opts.path).length;
      } catch {
        this.roots = 0;
      }
    }
    const name = basename(opts.path);
    try {
      this.watcher = watch(dirname(opts.path), { persistent: false }, (_event, file) => {
        // Other files of the directory are not ours; `..data` is a ConfigMap mount's swap.
        if (file && file !== name && !file.startsWith("..") && !file.startsWith(`${name}.`)) return;
        this.schedule();
      });
      this.watcher.on("error", (e) => {
        this.log.warn({ path: opts.path, error: errorText(e) }, "roots file watch failed; polling only");
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (e) {
      this.log.warn({ path: opts.path, error: errorText(e) }, "cannot watch the roots file; polling only");
    }
    this.poll = setInterval(() => {
      const key = this.statKey();
      if (key !== this.lastStat) this.schedule();
    }, opts.pollMs ?? 5_000);
    this.poll.unref();
    // Whatever changed between the caller's read and the watch starting; check() also takes the
    // stat the poll compares against. Unchanged content is not reported.
    this.check();
  }

  /** Reads the file now; true when it brought a new valid bundle. */
  check(): boolean {
    if (this.closed) return false;
    this.lastStat = this.statKey();
    let text: string;
    try {
      text = readFileSync(this.opts.path, "utf8");
    } catch (e) {
      return this.problem(`cannot read it: ${errorText(e)}`);
    }
    if (text === this.lastText && this.lastError === undefined) return false;
    let roots: string[];
    try {
      roots = parseRoots(text, this.opts.path);
    } catch (e) {
      return this.problem(errorText(e));
    }
    const recovered = this.lastError !== undefined;
    this.lastText = text;
    this.lastError = undefined;
    this.roots = roots.length;
    this.loadedAt = new Date();
    if (recovered) this.log.info({ path: this.opts.path }, "roots file is usable again");
    this.opts.onRoots(roots);
    return true;
  }

  status(): RootsFileStatus {
    return {
      path: this.opts.path,
      roots: this.roots,
      loadedAt: this.loadedAt.toISOString(),
      ...(this.lastError !== undefined ? { error: this.lastError } : {}),
    };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poll);
    clearTimeout(this.debounce);
    this.watcher?.close();
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.check(), this.opts.debounceMs ?? 200);
    this.debounce.unref();
  }

  private problem(why: string): boolean {
    if (why !== this.lastError) {
      this.log.warn(
        { path: this.opts.path, error: why, keptRoots: this.roots },
        "roots file is unusable; keeping the last good trust bundle",
      );
    }
    this.lastError = why;
    return false;
  }

  /** Identity of what the path points at now; "" when it cannot be stat'ed. */
  private statKey(): string {
    try {
      const st = statSync(this.opts.path);
      return `${st.ino}|${st.size}|${st.mtimeMs}`;
    } catch {
      return "";
    }
  }
}
