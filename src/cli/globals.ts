/**
 * The options every `ambit` command inherits from the program (`buildProgram` in main.ts), read
 * the same way by every command.
 */
import type { Command } from "commander";
import { defaultStateDir } from "../common/paths.js";

export interface GlobalOpts {
  /** --controlplane: the control plane's admin API. */
  controlplane?: string;
  /** --state-dir: the control plane's (and local mode's) state directory. */
  stateDir?: string;
}

export function globalOpts(cmd: Command): GlobalOpts {
  return cmd.optsWithGlobals<GlobalOpts>();
}

/** --state-dir, else $AMBIT_STATE_DIR or the default for this user (common/paths.ts). */
export function stateDirOf(cmd: Command): string {
  return globalOpts(cmd).stateDir ?? defaultStateDir();
}
