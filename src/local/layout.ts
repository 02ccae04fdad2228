/**
 * Where local mode keeps its files, all under <state dir>/local so `ambit down` knows what to
 * remove. The control plane's own state (CA, tokens, config) stays in the state directory.
 */
import { join } from "node:path";

export interface LocalLayout {
  dir: string;
  /** The embedded control plane's state (CA, tokens, admin token, config): removed by `ambit down`. */
  controlPlaneDir: string;
  /** The running cluster's record: prefix, supervisor PID, nodes, child PIDs (cluster.json). */
  record: string;
  /** Pod and node status as last seen by the supervisor, for `ambit get pods` / `ambit status`. */
  status: string;
  /** Control plane gRPC (xDS + CA) for the node proxies. */
  xdsSocket: string;
  /** Trust bundle the node proxies verify the control plane with. */
  roots: string;
  /** The supervisor's log when detached (`ambit up -d`). */
  upLog: string;
  node(name: string): { dir: string; token: string; log: string; adminSocket: string };
}

export function localLayout(stateDir: string): LocalLayout {
  const dir = join(stateDir, "local");
  return {
    dir,
    controlPlaneDir: join(dir, "controlplane"),
    record: join(dir, "cluster.json"),
    status: join(dir, "status.json"),
    xdsSocket: join(dir, "xds.sock"),
    roots: join(dir, "roots.pem"),
    upLog: join(dir, "up.log"),
    node: (name) => {
      const nd = join(dir, "nodes", name);
      return {
        dir: nd,
        token: join(nd, "token"),
        log: join(nd, "ztunnel.log"),
        adminSocket: join(nd, "admin.sock"),
      };
    },
  };
}
