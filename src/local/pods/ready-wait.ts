/**
 * Waiting for a pod to become ready (`ambit up -d` returns once every pod is), with a reason
 * when it will not: the error names the containers that are not ready, their state and where
 * their log is.
 */
import { AmbitError } from "../../common/errors.js";
import type { PodRuntime } from "./supervisor.js";
import type { PodStatus } from "./types.js";

function summary(s: PodStatus): string {
  return s.containers
    .filter((c) => !c.ready)
    .map(
      (c) => `${c.name}: ${c.state}${c.reason ? ` (${c.reason})` : ""}${c.message ? ` — ${c.message}` : ""}`,
    )
    .join("; ");
}

/** Why a pod can no longer become ready, or undefined while it still may. */
function hopeless(s: PodStatus): string | undefined {
  const stuck = s.containers.find(
    (c) => c.reason === "ImageNotRunnable" || c.reason === "CreateContainerConfigError",
  );
  if (stuck) return `container ${stuck.name} cannot start: ${stuck.message ?? stuck.reason}`;
  if (s.phase === "Succeeded" || s.phase === "Failed") return `its containers have exited (phase ${s.phase})`;
  return undefined;
}

export function waitReady(
  rt: PodRuntime,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<PodStatus> {
  const id = `${namespace}/${name}`;
  return new Promise<PodStatus>((resolve, reject) => {
    const finish = (err: AmbitError | undefined, s?: PodStatus): void => {
      clearTimeout(timer);
      rt.off("change", onChange);
      rt.off("removed", onRemoved);
      if (err) reject(err);
      else resolve(s!);
    };
    const check = (s: PodStatus): void => {
      if (s.ready) return finish(undefined, s);
      const why = hopeless(s);
      if (why)
        finish(new AmbitError("POD_NOT_READY", `pod ${id} will not become ready: ${why}`, logHint(rt, s)));
    };
    const onChange = (s: PodStatus): void => {
      if (s.namespace === namespace && s.name === name) check(s);
    };
    const onRemoved = (p: { namespace: string; name: string }): void => {
      if (p.namespace === namespace && p.name === name)
        finish(new AmbitError("POD_NOT_FOUND", `pod ${id} was stopped before it became ready`));
    };
    const notFound = (): AmbitError =>
      new AmbitError("POD_NOT_FOUND", `pod ${id} is not running on this machine`);
    const timer = setTimeout(() => {
      const s = rt.status(namespace, name);
      if (!s) return finish(notFound());
      finish(
        new AmbitError(
          "POD_NOT_READY",
          `pod ${id} is not ready after ${Math.round(timeoutMs / 1000)}s: ${summary(s)}`,
          logHint(rt, s),
        ),
      );
    }, timeoutMs);
    rt.on("change", onChange);
    rt.on("removed", onRemoved);
    const now = rt.status(namespace, name);
    if (now) check(now);
    else finish(notFound());
  });
}

function logHint(rt: PodRuntime, s: PodStatus): string {
  const c = s.containers.find((x) => !x.ready) ?? s.containers[0];
  return c
    ? `see the container's output in ${rt.logsPath(s.namespace, s.name, c.name)}`
    : "the pod has no containers";
}
