/**
 * TCP readiness probe run inside the pod's network namespace (the runtime's own sockets live in
 * the host namespace, so it cannot connect there itself). Like the kubelet's tcpSocket probe, it
 * opens a connection to the pod IP and port and closes it; success = the connection is accepted.
 *
 * The probe is a short-lived child through the same wrap as the containers: bash's /dev/tcp
 * when bash is on this machine (a few milliseconds, no interpreter start-up), else a one-line
 * Node script. Every probe is bounded by `timeoutMs`, after which its process group is killed.
 */
import { spawn } from "node:child_process";
import type { Wrap } from "./wrap.js";

/** Node fallback: exit 0 on connect, 1 on error. */
const NODE_PROBE =
  "const s=require('net').connect({host:process.argv[1],port:+process.argv[2]});" +
  "s.on('connect',()=>{s.destroy();process.exit(0)});s.on('error',()=>process.exit(1))";

export function probeArgv(host: string, port: number, bash: string | undefined): string[] {
  // "$0"/"$1" keep the address out of the script text (no quoting issues).
  return bash
    ? [bash, "-c", 'exec 3<>"/dev/tcp/$0/$1"', host, String(port)]
    : [process.execPath, "-e", NODE_PROBE, host, String(port)];
}

export interface ProbeTarget {
  wrap: Wrap;
  netns: string;
  hostname: string;
  host: string;
  port: number;
  /** bash on this machine, if any (from the catalog's PATH lookup). */
  bash: string | undefined;
  timeoutMs: number;
}

export function probeTcp(t: ProbeTarget): Promise<boolean> {
  const argv = t.wrap(t.netns, t.hostname, probeArgv(t.host, t.port, t.bash));
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(ok);
    };
    const child = spawn(argv[0]!, argv.slice(1), { stdio: "ignore", detached: true });
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      done(false);
    }, t.timeoutMs);
    child.on("error", () => done(false));
    child.on("exit", (code) => done(code === 0));
  });
}
