#!/usr/bin/env node
/** The `ambit` command: one program, one sub-command per job, `--help` on each. */
import { Command } from "commander";
import { registerValidate } from "./commands/validate.js";
import { registerAnalyze } from "./commands/analyze.js";
import { registerConfigCommands } from "./commands/config.js";
import { registerControlPlane } from "./commands/controlplane.js";
import { registerUp } from "./commands/up.js";
import { registerExec } from "./commands/exec.js";
import { registerLabel } from "./commands/label.js";
import { registerZtunnel } from "./commands/ztunnel.js";
import { registerZtunnelConfig } from "./commands/ztunnel-config.js";
import { registerDescribe } from "./commands/describe.js";
import { VERSION } from "../common/version.js";

export function buildProgram(): Command {
  const program = new Command("ambit")
    .description("Ambit: a sidecar-less service mesh that speaks the Istio APIs")
    .version(VERSION)
    .option(
      "--controlplane <url>",
      "control plane admin API (default http://127.0.0.1:15014, or $AMBIT_CONTROLPLANE)",
    )
    .option(
      "--state-dir <dir>",
      "control plane state directory (default $AMBIT_STATE_DIR, /var/lib/ambit as root)",
    )
    .showHelpAfterError("(run with --help for usage)");
  registerValidate(program);
  registerAnalyze(program);
  registerConfigCommands(program);
  registerControlPlane(program);
  registerUp(program);
  registerExec(program);
  registerLabel(program);
  registerZtunnel(program);
  registerZtunnelConfig(program);
  registerDescribe(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
