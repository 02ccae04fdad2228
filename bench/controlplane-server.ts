/** Child process of the control plane benchmark: a control plane with 100 nodes, on port 0. */
import { startControlPlane } from "../src/controlplane/server.js";

const stateDir = process.argv[2]!;
const nodes = Array.from({ length: 100 }, (_, i) => ({
  name: `node-${i}`,
  podCidr: `10.244.${i}.0/24`,
  address: "",
}));
const cp = await startControlPlane({ stateDir, grpcPort: 0, debugPort: 0, nodes });
process.send!({
  grpc: cp.grpcAddress,
  debug: cp.debugAddress,
  adminToken: cp.adminToken,
  roots: cp.trustBundle(),
});
process.on("message", (m: { cmd: string; node?: string }) => {
  if (m.cmd === "token") void cp.tokens.create(m.node!).then((token) => process.send!({ token }));
  if (m.cmd === "rss") process.send!({ rss: process.memoryUsage().rss });
  if (m.cmd === "stop") void cp.close().then(() => process.exit(0));
});
