import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where the control plane keeps its state (CA keys, node tokens, admin token, stored config):
 * $AMBIT_STATE_DIR, else /var/lib/ambit for root, else ~/.local/state/ambit.
 */
export function defaultStateDir(): string {
  if (process.env.AMBIT_STATE_DIR) return process.env.AMBIT_STATE_DIR;
  if (process.getuid?.() === 0) return "/var/lib/ambit";
  return join(homedir(), ".local", "state", "ambit");
}

/** Well-known ports, as Istio numbers them (product.md). */
export const PORTS = {
  xds: 15012,
  debug: 15014,
  console: 20001,
  ztunnelOutbound: 15001,
  ztunnelInbound: 15006,
  hbone: 15008,
  dns: 15053,
  metrics: 15020,
  ready: 15021,
  admin: 15000,
} as const;
