/**
 * The host side of catalog.ts's LookPath: where a program is on this machine, as execvp would
 * find it. A name with a slash is a path (relative ones against the container's workingDir);
 * a bare name is searched in PATH. Only executable regular files count.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import type { LookPath } from "./catalog.js";

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function hostLookPath(opts: { path?: string; cwd?: string } = {}): LookPath {
  const dirs = (
    opts.path ??
    process.env.PATH ??
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  )
    .split(delimiter)
    .filter((d) => d !== "");
  return (bin: string) => {
    if (bin === "") return undefined;
    if (bin.includes("/")) {
      const p = isAbsolute(bin) ? bin : resolve(opts.cwd ?? process.cwd(), bin);
      return executable(p) ? p : undefined;
    }
    for (const d of dirs) {
      const p = join(d, bin);
      if (executable(p)) return p;
    }
    return undefined;
  };
}
