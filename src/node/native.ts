/**
 * The native addon (native/, built by `npm run build:native`): SO_ORIGINAL_DST, the destination a
 * redirected connection had before the node agent's REDIRECT rule rewrote it to the node proxy's
 * listener (Istio's ztunnel reads the same socket option on its outbound (15001) and inbound
 * plaintext (15006) listeners); and transparent sockets, which may be bound to an address that is
 * not this host's, so the node proxy can connect to a pod from the original client's IP.
 *
 * The addon is loaded lazily, on first use, so importing this module never fails on a machine
 * where it is not built; the first call then throws NATIVE_ADDON_MISSING with the fix.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { AmbitError } from "../common/errors.js";

export interface OriginalDst {
  address: string;
  port: number;
  family: 4 | 6;
}

interface NativeAddon {
  originalDst(fd: number): OriginalDst;
  /** glibc mallopt thresholds (native/src/malloc_tuning.c); false when not glibc. Absent in old builds. */
  tuneAllocator?(mmapThreshold: number, trimThreshold: number, topPad: number): boolean;
  /** native/src/transparent.c: a fresh TCP socket with IP(V6)_TRANSPARENT. Absent in old builds. */
  transparentSocket?(family: 4 | 6, bindIp?: string, avoidPorts?: readonly number[]): number;
}

/** native/build/Release/ambit_native.node, from src/node/ or dist/node/ alike (two levels up). */
export const NATIVE_ADDON_PATH = fileURLToPath(
  new URL("../../native/build/Release/ambit_native.node", import.meta.url),
);

let addon: NativeAddon | undefined;

function isAddon(m: unknown): m is NativeAddon {
  return (
    typeof m === "object" && m !== null && typeof (m as { originalDst?: unknown }).originalDst === "function"
  );
}

/** Loads the addon once; throws NATIVE_ADDON_MISSING when it is not built or cannot load. */
export function loadNativeAddon(): NativeAddon {
  if (addon) return addon;
  const hint =
    "run `npm run build:native` (needs g++, make and python3: apt-get install -y g++ make python3)";
  if (!existsSync(NATIVE_ADDON_PATH)) {
    throw new AmbitError(
      "NATIVE_ADDON_MISSING",
      `the native addon is not built (${NATIVE_ADDON_PATH})`,
      hint,
    );
  }
  let m: unknown;
  try {
    m = createRequire(import.meta.url)(NATIVE_ADDON_PATH);
  } catch (e) {
    throw new AmbitError(
      "NATIVE_ADDON_MISSING",
      `the native addon failed to load: ${(e as Error).message}`,
      `${hint}; a rebuild is needed after a Node upgrade`,
      { cause: e },
    );
  }
  if (!isAddon(m)) {
    throw new AmbitError("NATIVE_ADDON_MISSING", `${NATIVE_ADDON_PATH} does not export originalDst`, hint);
  }
  addon = m;
  return addon;
}

/**
 * Raises the C library's mmap and trim thresholds (see native/src/malloc_tuning.c). Returns
 * false when the addon is missing or too old, or the C library is not glibc; never throws.
 */
export function tuneAllocator(mmapThreshold: number, trimThreshold: number, topPad: number): boolean {
  try {
    return loadNativeAddon().tuneAllocator?.(mmapThreshold, trimThreshold, topPad) ?? false;
  } catch {
    return false;
  }
}

/** True when the addon is built and loads (for `ambit status`-style checks; never throws). */
export function nativeAddonAvailable(): boolean {
  try {
    loadNativeAddon();
    return true;
  } catch {
    return false;
  }
}

/**
 * The file descriptor behind a net.Socket. Node keeps it on the internal TCP handle; there is no
 * public accessor, so this reads exactly that one field and checks its type.
 */
export function socketFd(socket: Socket): number | undefined {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  return typeof fd === "number" && Number.isInteger(fd) && fd >= 0 ? fd : undefined;
}

/**
 * The destination the client dialled, for a connection accepted on a listener that iptables
 * REDIRECTs to. Throws AmbitError: NATIVE_ADDON_MISSING (not built), ORIGINAL_DST_UNAVAILABLE (the
 * socket has no descriptor: closed, or not a TCP socket), ORIGINAL_DST_FAILED (the kernel has no
 * NAT record for it — typically the connection was not redirected; `errno` code in the message).
 */
export function originalDestination(socket: Socket): OriginalDst {
  const native = loadNativeAddon();
  const fd = socketFd(socket);
  if (fd === undefined) {
    throw new AmbitError(
      "ORIGINAL_DST_UNAVAILABLE",
      "the connection has no file descriptor (already closed?)",
      "read the original destination as soon as the connection is accepted",
    );
  }
  try {
    return native.originalDst(fd);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new AmbitError(
      "ORIGINAL_DST_FAILED",
      `cannot read the original destination of ${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}: ${(e as Error).message}${typeof code === "string" ? ` (${code})` : ""}`,
      "only connections redirected by the node agent's iptables rules have one (see docs/node-agent.md)",
      { cause: e },
    );
  }
}

/**
 * A fresh, unconnected, non-blocking TCP socket descriptor with IP_TRANSPARENT (family 4) or
 * IPV6_TRANSPARENT (family 6) set (native/src/transparent.c), for `new net.Socket({ fd })` and
 * then `connect({ host, port, localAddress })` with a foreign local address. The caller owns the
 * descriptor. With `bindIp` it comes back bound to that (foreign) address, on a port the kernel
 * picked that is not one of `avoidPorts`; connect it without a localAddress. Throws AmbitError:
 * NATIVE_ADDON_MISSING (not built, or built before this function
 * existed), TRANSPARENT_SOCKET_DENIED (the process lacks CAP_NET_ADMIN), TRANSPARENT_SOCKET_FAILED
 * (anything else, errno code in the message).
 */
export function transparentSocketFd(
  family: 4 | 6,
  bindIp?: string,
  avoidPorts: readonly number[] = [],
): number {
  const native = loadNativeAddon();
  if (typeof native.transparentSocket !== "function") {
    throw new AmbitError(
      "NATIVE_ADDON_MISSING",
      `the native addon at ${NATIVE_ADDON_PATH} predates transparent sockets`,
      "rebuild it: `npm run build:native`",
    );
  }
  try {
    return bindIp === undefined
      ? native.transparentSocket(family)
      : native.transparentSocket(family, bindIp, avoidPorts);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "EPERM" || code === "EACCES") {
      throw new AmbitError(
        "TRANSPARENT_SOCKET_DENIED",
        `cannot create a transparent socket: ${(e as Error).message}`,
        "IP_TRANSPARENT needs CAP_NET_ADMIN; run the node proxy as root (local mode does)",
        { cause: e },
      );
    }
    throw new AmbitError(
      "TRANSPARENT_SOCKET_FAILED",
      `cannot create a transparent socket: ${(e as Error).message}${typeof code === "string" ? ` (${code})` : ""}`,
      "check the process's file descriptor limit (ulimit -n)",
      { cause: e },
    );
  }
}
