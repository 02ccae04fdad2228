/**
 * TCP connections from this node: a dial that resolves once established (or fails with an
 * operator-facing error), the default socket factory, and the transparent one that connects from
 * the original client's IP (`--preserve-source-ip`).
 *
 * Preserving the source: Istio's ztunnel connects to the destination pod from a socket with
 * IP_TRANSPARENT bound to the client's IP, port 0 (src/proxy.rs freebind_connect, used by
 * src/proxy/inbound.rs when original source is enabled), so the application sees the client, not
 * the proxy, as its peer. Here the socket comes from the native addon and Node binds and connects
 * it (`net.Socket({ fd }).connect({ host, port, localAddress })`). The pod's replies, addressed to
 * the client's IP, reach the proxy through the node agent's reply routing (docs/node-agent.md).
 */
import { closeSync } from "node:fs";
import { isIP, Socket } from "node:net";
import { AmbitError, errorText, isAmbitError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import { CidrBlock, canonicalIp, ipBytes } from "../policy/ip.js";

export function dial(
  connect: (host: string, port: number) => Socket,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(host, port);
    const timer = setTimeout(() => {
      s.destroy();
      reject(
        new AmbitError(
          "UPSTREAM_TIMEOUT",
          `connection to ${host}:${port} timed out after ${timeoutMs} ms`,
          "is the workload listening on that port, and is its pod running?",
        ),
      );
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(timer);
      s.removeAllListeners("error");
      resolve(s);
    });
    s.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new AmbitError(
          e.code === "ECONNREFUSED" ? "UPSTREAM_REFUSED" : "UPSTREAM_FAILED",
          `connection to ${host}:${port} failed: ${e.message}`,
          e.code === "ECONNREFUSED"
            ? "nothing listens on that port in the destination pod; check the container's port"
            : "check that the destination pod is running (ambit get pods -A)",
          { cause: e },
        ),
      );
    });
  });
}

/** The default socket factory: half-open allowed so a client's FIN does not cut the answer. */
export function tcpConnect(host: string, port: number): Socket {
  return new Socket({ allowHalfOpen: true }).connect({ host, port });
}

/**
 * Opens a TCP connection to host:port whose source address is `sourceIp` (not this host's), or
 * returns undefined when this proxy cannot (then the caller connects from its own address).
 */
export type ConnectFrom = (
  sourceIp: string,
  host: string,
  port: number,
  avoidPorts?: readonly number[],
) => Socket | undefined;

// Sources never preserved: not a client's unicast address, or one of the node's own (the pod
// gateway 169.254.1.1 is link-local). Binding to them would be pointless or misroute replies.
const NOT_A_CLIENT = [
  "0.0.0.0/8",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "224.0.0.0/3",
  "::/127",
  "fe80::/10",
  "ff00::/8",
].map((c) => CidrBlock.parse(c)!);

/**
 * The source address to connect to a local pod from, to preserve the client's IP, or undefined to
 * connect from the node's own. Pure. The caller passes only a source it trusts: the verified
 * `forwarded` client of an HBONE tunnel, or the TCP peer of an admitted plaintext connection.
 * A client dialling itself (a pod reaching its own Service) keeps the node's address, as ztunnel's
 * freebind_connect does ("dest and source are the same, connect directly"): a packet arriving
 * from the pod's own address would be dropped as martian.
 */
export function preservedSource(sourceIp: string, targetIp: string): string | undefined {
  const source = canonicalIp(sourceIp);
  const target = canonicalIp(targetIp);
  if (source === undefined || target === undefined || source === target) return undefined;
  if (isIP(source) !== isIP(target)) return undefined;
  const bytes = ipBytes(source);
  if (NOT_A_CLIENT.some((c) => c.contains(bytes))) return undefined;
  return source;
}

export interface TransparentConnectOptions {
  /**
   * A fresh transparent TCP socket descriptor (src/node/native.ts transparentSocketFd); with
   * `bindIp`, bound to it on a port not in `avoidPorts`.
   */
  socketFd: (family: 4 | 6, bindIp?: string, avoidPorts?: readonly number[]) => number;
  log: Logger;
}

// transparentSocketFd failures that will not go away while the process runs.
const PERMANENT = new Set(["NATIVE_ADDON_MISSING", "TRANSPARENT_SOCKET_DENIED"]);

/**
 * The transparent socket factory. It tries once, at creation, whether this process may make
 * transparent sockets; when it may not (addon missing or too old, no CAP_NET_ADMIN) it says so
 * once at warn and returns undefined ever after, so connections go out from the node's address
 * as without the option.
 */
export function transparentConnect(opts: TransparentConnectOptions): ConnectFrom {
  let disabled = false;
  const disable = (e: unknown) => {
    disabled = true;
    opts.log.warn(
      { err: errorText(e) },
      "cannot preserve client source addresses (--preserve-source-ip): applications will see the node's address as the peer",
    );
  };
  try {
    closeSync(opts.socketFd(4));
  } catch (e) {
    disable(e);
  }
  return (sourceIp, host, port, avoidPorts = []) => {
    if (disabled) return undefined;
    const family = isIP(sourceIp);
    if (family !== 4 && family !== 6) return undefined;
    let fd: number;
    try {
      // Bound here, not by connect(): the port must be known before the SYN leaves (see
      // ConnectionTable.portsFrom for why some must be avoided).
      fd = opts.socketFd(family, sourceIp, avoidPorts);
    } catch (e) {
      // Only a lasting cause turns the option off; a transient one (EMFILE, ENOBUFS) costs this
      // connection its source address, not every later one.
      if (isAmbitError(e) && PERMANENT.has(e.code)) disable(e);
      else opts.log.debug({ err: errorText(e) }, "no transparent socket for this connection");
      return undefined;
    }
    // connect() must follow in the same tick: a Socket built on a descriptor starts reading at
    // once, which on a socket not yet connecting would fail (ENOTCONN) on the next turn of the
    // event loop; once connect() has run, the read just waits for the connection.
    let s: Socket | undefined;
    try {
      s = new Socket({ fd, allowHalfOpen: true });
      return s.connect({ host, port });
    } catch (e) {
      // A synchronous throw (bad argument) would leave the descriptor open and, once wrapped,
      // reading unconnected: an 'error' event nobody listens to yet.
      if (s) s.destroy();
      else closeSync(fd);
      throw e;
    }
  };
}

/**
 * dial(), from `sourceIp` when given and `connectFrom` can, else from the node's own address.
 * A transparent socket that cannot even be bound (the client's address has no free port left)
 * makes `connectFrom` return undefined, and the connection goes out from the node's address:
 * the application still gets its connection. `avoidPorts`: the client's own ports towards this
 * node (ConnectionTable.portsFrom).
 */
export async function dialFrom(
  ctx: {
    connect: (host: string, port: number) => Socket;
    connectFrom?: ConnectFrom;
    connectTimeoutMs: number;
  },
  target: { ip: string; port: number },
  sourceIp: string | undefined,
  avoidPorts: readonly number[] = [],
): Promise<Socket> {
  const from = sourceIp === undefined ? undefined : preservedSource(sourceIp, target.ip);
  const connectFrom = ctx.connectFrom;
  const connect =
    from !== undefined && connectFrom
      ? (host: string, port: number) => connectFrom(from, host, port, avoidPorts) ?? ctx.connect(host, port)
      : ctx.connect;
  return dial(connect, target.ip, target.port, ctx.connectTimeoutMs);
}
