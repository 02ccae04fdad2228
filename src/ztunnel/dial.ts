/** A TCP connection that resolves once established, or fails with an operator-facing error. */
import { Socket } from "node:net";
import { AmbitError } from "../common/errors.js";

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
        ),
      );
    });
  });
}

/** The default socket factory: half-open allowed so a client's FIN does not cut the answer. */
export function tcpConnect(host: string, port: number): Socket {
  return new Socket({ allowHalfOpen: true }).connect({ host, port });
}
