/**
 * A container's environment and command line, as the kubelet builds them (pure):
 *
 * - base: PATH (this machine's, since the programs are this machine's), HOME, and HOSTNAME = the
 *   pod's hostname (the kubelet sets it); the parent's other variables are NOT inherited, as a
 *   container does not see its node's environment;
 * - `env[]` in order: `value`, with `$(VAR)` references to variables defined before it expanded
 *   and `$$` as an escaped `$` (Kubernetes' expansion rules), or `valueFrom.fieldRef` — the
 *   Downward API fields metadata.name/namespace/uid/labels['k']/annotations['k'],
 *   spec.nodeName, spec.serviceAccountName, status.podIP(s), status.hostIP(s);
 * - `command`/`args` get the same `$(VAR)` expansion against the final environment.
 *
 * Other sources (secretKeyRef, configMapKeyRef, resourceFieldRef) have nothing to read in local
 * mode: the container fails with CreateContainerConfigError, as a kubelet fails on a missing
 * secret, rather than starting with a silently empty variable.
 */
import { AmbitError } from "../../common/errors.js";
import type { ContainerSpec, PodRunSpec } from "./types.js";

/** Expands `$(NAME)` from `vars`; unknown names stay as written; `$$` is a literal `$`. */
export function expandVars(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (name === undefined) return "$";
    return Object.hasOwn(vars, name) ? vars[name]! : m;
  });
}

/** Downward API value of a fieldPath, or undefined when local mode does not know the field. */
export function fieldRefValue(pod: PodRunSpec, fieldPath: string): string | undefined {
  const keyed = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(fieldPath);
  if (keyed) {
    const map = keyed[1] === "labels" ? pod.labels : pod.annotations;
    return map?.[keyed[2]!] ?? "";
  }
  switch (fieldPath) {
    case "metadata.name":
      return pod.name;
    case "metadata.namespace":
      return pod.namespace;
    case "metadata.uid":
      return pod.uid;
    case "spec.nodeName":
      return pod.node;
    case "spec.serviceAccountName":
      return pod.serviceAccountName ?? pod.serviceAccount ?? "default";
    case "status.podIP":
    case "status.podIPs":
      return pod.ip;
    case "status.hostIP":
    case "status.hostIPs":
      return pod.hostIP ?? "";
    default:
      return undefined;
  }
}

function fieldPathOf(valueFrom: unknown): string | undefined {
  if (valueFrom === null || typeof valueFrom !== "object") return undefined;
  const ref = (valueFrom as { fieldRef?: unknown }).fieldRef;
  if (ref === null || typeof ref !== "object") return undefined;
  const path = (ref as { fieldPath?: unknown }).fieldPath;
  return typeof path === "string" ? path : undefined;
}

export interface ContainerLaunch {
  env: Record<string, string>;
  /** command/args after $(VAR) expansion (argv[0] not yet resolved on PATH). */
  command?: string[];
  args?: string[];
}

export function containerLaunch(
  pod: PodRunSpec,
  c: ContainerSpec,
  host: { path?: string; home?: string } = {},
): ContainerLaunch | AmbitError {
  const env: Record<string, string> = {
    PATH: host.path ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: host.home ?? "/root",
    HOSTNAME: pod.hostname,
  };
  const declared: Record<string, string> = {};
  for (const e of c.env ?? []) {
    let value: string;
    if (e.valueFrom !== undefined) {
      const path = fieldPathOf(e.valueFrom);
      const v = path === undefined ? undefined : fieldRefValue(pod, path);
      if (v === undefined)
        return new AmbitError(
          "UNSUPPORTED_ENV_SOURCE",
          `container "${c.name}": env ${e.name} comes from ${path ? `fieldRef ${path}` : JSON.stringify(Object.keys(e.valueFrom as object))}, which local mode cannot provide`,
          "local mode provides `value` and `valueFrom.fieldRef` (metadata.name, metadata.namespace, metadata.uid, metadata.labels['k'], metadata.annotations['k'], spec.nodeName, spec.serviceAccountName, status.podIP, status.hostIP); use `value:` for the others",
        );
      value = v;
    } else {
      // Kubernetes expands references to variables declared earlier in the same list.
      value = expandVars(e.value ?? "", declared);
    }
    declared[e.name] = value;
    env[e.name] = value;
  }
  // Only declared variables expand (the image's own, like PATH, are unknown to Kubernetes).
  const expand = (list: string[] | undefined): string[] | undefined =>
    list?.map((s) => expandVars(s, declared));
  return { env, command: expand(c.command), args: expand(c.args) };
}
