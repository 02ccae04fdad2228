/** A small HTTP GET over a Unix socket (the node proxies' admin sockets), bounded in time. */
import { request } from "node:http";
import { AmbitError } from "../common/errors.js";

export function unixGet(
  socketPath: string,
  path: string,
  timeoutMs = 5_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: "GET", timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (e) =>
      reject(
        new AmbitError(
          "PROXY_UNREACHABLE",
          `cannot reach the node proxy admin socket ${socketPath}: ${e.message}`,
          "is the local cluster running (`ambit status`)? its log is next to the socket (ztunnel.log)",
        ),
      ),
    );
    req.end();
  });
}
