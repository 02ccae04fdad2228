/** Shared helpers of the local-mode pod tests: free ports, bounded waits, process checks. */
import { createServer, type AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import type { PodRuntime } from "../../../src/local/pods/supervisor.js";
import type { PodStatus } from "../../../src/local/pods/types.js";

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves with the first status of the pod that satisfies `pred` (current or a later change). */
export function statusWhen(
  rt: PodRuntime,
  namespace: string,
  name: string,
  pred: (s: PodStatus) => boolean,
  timeoutMs = 20_000,
): Promise<PodStatus> {
  return new Promise((resolve, reject) => {
    const onChange = (s: PodStatus): void => {
      if (s.namespace === namespace && s.name === name && pred(s)) done(s);
    };
    const timer = setTimeout(() => {
      rt.off("change", onChange);
      reject(
        new Error(
          `pod ${namespace}/${name}: condition not met; last ${JSON.stringify(rt.status(namespace, name))}`,
        ),
      );
    }, timeoutMs);
    const done = (s: PodStatus): void => {
      clearTimeout(timer);
      rt.off("change", onChange);
      resolve(s);
    };
    rt.on("change", onChange);
    const now = rt.status(namespace, name);
    if (now && pred(now)) done(now);
  });
}

/** Polls (every 25 ms, at most `timeoutMs`) until `read()` returns something. */
export async function eventually<T>(read: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function readIfExists(path: string): string | undefined {
  try {
    const text = readFileSync(path, "utf8");
    return text.length > 0 ? text : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` no longer runs (gone, or a zombie nobody has reaped yet). */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 3, after the parenthesised command name.
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}
