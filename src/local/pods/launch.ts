/**
 * From a container spec to what its process is: environment and $(VAR) expansion (env.ts),
 * then the image catalog (which program, or which built-in image). Failures become a waiting
 * reason with the error's text, so the pod's status says what to fix.
 */
import { AmbitError } from "../../common/errors.js";
import { resolveContainer } from "../images/catalog.js";
import { hostLookPath } from "../images/lookpath.js";
import { containerLaunch } from "./env.js";
import type { Launch } from "./container.js";
import type { ContainerSpec, PodRunSpec } from "./types.js";

export interface HostEnv {
  /** PATH for program lookup and for the containers (default: this process's PATH). */
  path?: string;
  home?: string;
}

export function planLaunch(pod: PodRunSpec, c: ContainerSpec, host: HostEnv): Launch & { warning?: string } {
  const prepared = containerLaunch(pod, c, host);
  if (prepared instanceof AmbitError)
    return { reason: "CreateContainerConfigError", message: prepared.describe() };
  const resolved = resolveContainer(
    { ...c, command: prepared.command, args: prepared.args },
    hostLookPath({ path: host.path, cwd: c.workingDir }),
  );
  if (resolved instanceof AmbitError) return { reason: "ImageNotRunnable", message: resolved.describe() };
  return {
    argv: resolved.argv,
    env: prepared.env,
    cwd: c.workingDir,
    builtin: resolved.builtin,
    note: resolved.warning,
    warning: resolved.warning,
  };
}
