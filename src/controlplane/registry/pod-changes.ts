/**
 * The registry after a change to a few pods and nothing else, from the last full build, without
 * a pass over every document. Taken only when the result is certainly the full build's:
 *
 * - the documents are the last build's, in the same places, except some Pods replaced by Pods
 *   of the same name (so every namespace's labels, Services and policies, the waypoints and the
 *   allocations are as the last build saw them, and so are the epochs of memo.ts);
 * - each replaced pod yields a workload with the same uid as before (or none, as before), listed
 *   on the same services (so no endpoint list changes), with the same warnings.
 *
 * Anything else (a pod added or removed, a pod that moves between services, a new warning, any
 * other kind of document) returns undefined and the caller makes the full build.
 */
import type { Resource } from "../../api/resource.js";
import type { Workload } from "../../model/workload.js";
import { docOf, type Caches, type LastBuild } from "./caches.js";
import { sameItems } from "./memo.js";
import type { RegistryInput, Registry } from "./types.js";
import { fromPod } from "./workloads.js";

/** More changed documents than this: the full build is about as quick. */
const MAX_CHANGES = 64;

export function applyPodChanges(last: LastBuild, c: Caches, input: RegistryInput): Registry | undefined {
  const now = input.resources;
  const before = last.resources;
  if (now.length !== before.length || input.allocations !== last.allocations) return undefined;
  const changed: number[] = [];
  for (let i = 0; i < now.length; i++) {
    if (now[i] === before[i]) continue;
    if (changed.length === MAX_CHANGES) return undefined;
    changed.push(i);
  }
  if (changed.length === 0) return last.registry;

  // old workload -> new one; checked completely before anything is changed
  const replaced: [Workload, Workload][] = [];
  for (const i of changed) {
    const oldPod = before[i]!;
    const pod = now[i]!;
    const oldDoc = docOf(c, oldPod);
    const doc = docOf(c, pod);
    if (oldDoc.gvk !== "/Pod" || doc.gvk !== "/Pod" || oldDoc.key !== doc.key) return undefined;
    const was = c.pods.peek(oldPod);
    const dep = last.nsDeps.get(doc.ns);
    if (!was || dep === undefined) return undefined;
    const warnings: string[] = [];
    const w = c.pods.get(
      pod,
      dep,
      last.global,
      (m) => warnings.push(m),
      (rw) => recompute(pod, last, rw),
    );
    if (!sameItems(warnings, was.warnings)) return undefined;
    if (!w || !was.value) {
      if (w !== was.value) return undefined; // a workload appears or disappears
      continue;
    }
    if (w.uid !== was.value.uid || !sameItems(Object.keys(w.services), Object.keys(was.value.services)))
      return undefined;
    if (w !== was.value) replaced.push([was.value, w]);
  }

  const workloads = last.registry.workloads.slice();
  for (const [old, w] of replaced) {
    const at = last.positions.get(old);
    if (at === undefined) return undefined;
    workloads[at] = w;
  }
  for (const [old, w] of replaced) {
    last.positions.set(w, last.positions.get(old)!);
    last.positions.delete(old);
  }
  const registry: Registry = { ...last.registry, workloads };
  last.resources = now.slice();
  last.registry = registry;
  return registry;
}

function recompute(pod: Resource, last: LastBuild, warn: (m: string) => void): Workload | undefined {
  return fromPod(pod, { ...last.ctx, warn, waypoints: { ...last.ctx.waypoints, warn } });
}
