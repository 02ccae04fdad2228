/**
 * Calls `onChange` once things settle after files in `dir` change. Like istiod's cacerts watch
 * (pilot/pkg/bootstrap/istio_ca.go `handleCACertsFileWatch`, 100 ms timer), a burst of events
 * (an operator copying four files, or Kubernetes swapping a secret's `..data` symlink) becomes
 * one call. The watch is on the directory, not the files, so replaced files are still seen.
 */
import { watch, type FSWatcher } from "node:fs";

export interface DirWatch {
  close(): void;
}

export function watchDirectory(dir: string, debounceMs: number, onChange: () => void): DirWatch {
  let timer: NodeJS.Timeout | undefined;
  const fire = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounceMs);
  };
  const watcher: FSWatcher = watch(dir, { persistent: false }, fire);
  // A vanished directory is reported by the next reload attempt; keep the process alive.
  watcher.on("error", fire);
  return {
    close(): void {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
