/** `ambit ztunnel`: run one node proxy (local mode starts one per node inside its namespace). */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { AmbitError } from "../../common/errors.js";
import { createLogger } from "../../common/log.js";
import { originalDestination, transparentSocketFd } from "../../node/native.js";
import { startZtunnel } from "../../ztunnel/proxy.js";
import { tuneProxyRuntime } from "../../ztunnel/runtime.js";
import { closeOnSignals, fail } from "../output.js";

interface ZtunnelFlags {
  node: string;
  controlPlane: string;
  roots: string;
  tokenFile: string;
  trustDomain: string;
  rootNamespace: string;
  adminSocket?: string;
  preserveSourceIp?: boolean;
}

function readText(file: string, what: string, hint: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (e) {
    throw new AmbitError("FILE_UNREADABLE", `cannot read ${what} ${file}: ${(e as Error).message}`, hint);
  }
}

export function registerZtunnel(program: Command): void {
  program
    .command("ztunnel")
    .description(
      "Run a node proxy: captures enrolled pods' traffic (15001/15006), HBONE mTLS tunnels (15008), DNS (15053), metrics (15020)",
    )
    .requiredOption("--node <name>", "the node this proxy serves")
    .option("--control-plane <address>", "control plane xDS + CA: HOST:PORT or unix:/path", "127.0.0.1:15012")
    .requiredOption(
      "--roots <file>",
      "PEM roots of the control plane (its trust bundle); followed for changes, no restart needed",
    )
    .requiredOption("--token-file <file>", "node token file (`ambit node-token create NODE`)")
    .option("--trust-domain <domain>", "SPIFFE trust domain of the mesh", "cluster.local")
    .option("--root-namespace <ns>", "mesh root namespace until the control plane sends it", "istio-system")
    .option("--admin-socket <path>", "also serve the admin API (config dump, metrics) on this Unix socket")
    .option(
      "--preserve-source-ip",
      "connect to local pods from the client's IP, so applications see it as their peer (transparent sockets: needs CAP_NET_ADMIN, the native addon and the node agent's reply routing; `ambit up` sets it)",
    )
    .addHelpText(
      "after",
      "\nNormally started by `ambit up`. The data path needs the node agent's redirection rules and\nthe native addon (npm run build:native).",
    )
    .action(async (f: ZtunnelFlags) => {
      try {
        const roots = readText(
          f.roots,
          "control plane roots",
          "point --roots at the control plane's trust bundle",
        );
        const tokenHint = "create one with `ambit node-token create NODE` and save it to that file";
        readText(f.tokenFile, "node token", tokenHint);
        const log = createLogger("ztunnel");
        const tuning = tuneProxyRuntime();
        log.debug(tuning, "runtime tuned for the data path");
        const z = await startZtunnel({
          node: f.node,
          controlPlane: f.controlPlane,
          controlPlaneRoots: roots,
          controlPlaneRootsFile: f.roots,
          token: () => readText(f.tokenFile, "node token", tokenHint),
          trustDomain: f.trustDomain,
          rootNamespace: f.rootNamespace,
          ...(f.adminSocket ? { adminSocket: f.adminSocket } : {}),
          ...(f.preserveSourceIp ? { transparentSocket: transparentSocketFd } : {}),
          originalDestination,
          log,
        });
        closeOnSignals(() => z.close());
      } catch (e) {
        fail(e);
      }
    });
}
