/**
 * What local mode needs from the machine, checked without starting a single process (reads of
 * /proc and PATH lookups only), so a user without root or without iproute2/iptables hears about
 * it at once, with the command that fixes it.
 */
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { AmbitError } from "../common/errors.js";

export interface Tools {
  ip: string;
  iptablesRestore: string;
  iptablesSave: string;
}

// Capability bit numbers (linux/capability.h). `ip netns add/exec` also mounts, hence SYS_ADMIN.
const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

/** Where to look besides PATH: sbin directories are often missing from a non-root PATH. */
const EXTRA_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"];

export function findExecutable(name: string, path = process.env.PATH ?? ""): string | undefined {
  const dirs = [...path.split(delimiter).filter((d) => d !== ""), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Effective capabilities of this process (from /proc/self/status), or undefined off Linux. */
export function effectiveCapabilities(status?: string): bigint | undefined {
  let text = status;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/status", "utf8");
    } catch {
      return undefined;
    }
  }
  const m = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(text);
  return m?.[1] ? BigInt(`0x${m[1]}`) : undefined;
}

export function hasNetworkAdmin(caps: bigint | undefined, uid: number | undefined): boolean {
  if (caps === undefined) return uid === 0;
  const need = (1n << BigInt(CAP_NET_ADMIN)) | (1n << BigInt(CAP_SYS_ADMIN));
  return (caps & need) === need;
}

let cached: Tools | undefined;

/**
 * Fails fast (AmbitError PREREQ_NOT_ROOT / PREREQ_MISSING) unless this process may create network
 * namespaces and the tools exist. Returns the tools' absolute paths, which every later command uses.
 */
export function checkPrerequisites(): Tools {
  if (cached) return cached;
  const uid = process.getuid?.();
  const sudo = uid === 0 ? "" : "sudo ";
  if (!hasNetworkAdmin(effectiveCapabilities(), uid)) {
    throw new AmbitError(
      "PREREQ_NOT_ROOT",
      "local mode creates network namespaces and iptables rules, which needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)",
      "run it as root, e.g. `sudo ambit up`",
    );
  }
  const ip = findExecutable("ip");
  const iptablesRestore = findExecutable("iptables-restore");
  const iptablesSave = findExecutable("iptables-save");
  const packages = [...(ip ? [] : ["iproute2"]), ...(iptablesRestore && iptablesSave ? [] : ["iptables"])];
  if (!ip || !iptablesRestore || !iptablesSave) {
    const missing = [!ip && "ip", !iptablesRestore && "iptables-restore", !iptablesSave && "iptables-save"];
    throw new AmbitError(
      "PREREQ_MISSING",
      `local mode needs ${missing.filter(Boolean).join(", ")}, which ${missing.filter(Boolean).length > 1 ? "are" : "is"} not installed`,
      `install it: ${sudo}apt-get install -y ${packages.join(" ")}`,
    );
  }
  cached = { ip, iptablesRestore, iptablesSave };
  return cached;
}
