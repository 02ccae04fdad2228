// The L4 bench's server pod program: HTTP/1.1 keep-alive, every request answered 200 with "ok\n".
// The same program serves every row (direct, stunnel, HAProxy, Ambit). Plain JavaScript so it
// starts without a TypeScript loader.  Usage: node http-server.mjs PORT
import { Buffer } from "node:buffer";
import { createServer } from "node:http";

const port = Number(process.argv[2] ?? 8080);
const body = Buffer.from("ok\n");
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(port, "0.0.0.0");
process.on("SIGTERM", () => process.exit(0));
