/**
 * PeerAuthentications that Istio (and so Ambit) ignore. At each scope — mesh (root namespace, no
 * selector), namespace (no selector), workload (selector) — a workload gets one policy: the
 * oldest by creationTimestamp, then by name (istiod ComposePeerAuthentication in
 * pilot/pkg/security/authn/policy_applier.go and, for ambient, convertedSelectorPeerAuthentications;
 * ordering as sortConfigByCreationTime). Documents without a creationTimestamp count as oldest,
 * as a zero time does in Istio. A selector policy in the root namespace is not applied at all.
 *
 * - AMB0010: a second mesh-wide or namespace-wide policy in a namespace.
 * - AMB0011: a selector policy selecting a workload an older selector policy also selects (or
 *   with the same selector, when the input has no workloads to compare).
 * - AMB0012: a selector policy in the root namespace.
 */
import { subsetOf } from "../controlplane/registry/selectors.js";
import { GVK, namespaceOf, type AnalysisContext, type AnalyzedDoc } from "./context.js";
import { selectorOf, targetingOf } from "./policy.js";
import type { Check, Emit } from "./report.js";

const RULE = "only the oldest (by creationTimestamp, then name) is used";

function older(a: AnalyzedDoc, b: AnalyzedDoc): number {
  const ta = a.resource.metadata.creationTimestamp ?? "";
  const tb = b.resource.metadata.creationTimestamp ?? "";
  const byTime =
    ta === "" || tb === "" ? (ta === tb ? 0 : ta === "" ? -1 : 1) : Date.parse(ta) - Date.parse(tb);
  return byTime || a.resource.metadata.name.localeCompare(b.resource.metadata.name);
}

const modeOf = (d: AnalyzedDoc): string =>
  (d.resource.spec as { mtls?: { mode?: string } } | undefined)?.mtls?.mode ?? "UNSET";

export const checkPeerAuthentications: Check<AnalysisContext> = (ctx, emit) => {
  // namespace -> its PeerAuthentications, oldest first
  const byNs = new Map<string, AnalyzedDoc[]>();
  for (const d of ctx.of(GVK.peerAuthentication)) {
    const ns = namespaceOf(d.resource);
    byNs.set(ns, [...(byNs.get(ns) ?? []), d]);
  }
  for (const [ns, list] of byNs) {
    list.sort(older);
    const root = ns === ctx.mesh.rootNamespace;
    const scoped = list.filter((d) => !selectorOf(targetingOf(d)));
    const winner = scoped[0];
    for (const d of scoped.slice(1)) {
      const modes =
        modeOf(d) === modeOf(winner!)
          ? ""
          : ` (this one sets ${modeOf(d)}, the one used sets ${modeOf(winner!)})`;
      emit(
        d,
        ["spec"],
        "conflictingScopePeerAuthn",
        `namespace ${ns} has more than one ${root ? "mesh-wide" : "namespace-wide"} PeerAuthentication (no selector): ${RULE}, ${ns}/${winner!.resource.metadata.name}, and this one is ignored${modes}. Fix: merge its settings into ${ns}/${winner!.resource.metadata.name} and delete this one`,
      );
    }
    const selected = list.filter((d) => selectorOf(targetingOf(d)));
    if (root) {
      for (const d of selected)
        emit(
          d,
          ["spec", "selector"],
          "rootSelectorPeerAuthn",
          `a PeerAuthentication with a selector in the root namespace ${ns} is not applied to any workload. Fix: move it to the namespace of the workloads it is for, or remove the selector to make it mesh-wide`,
        );
      continue;
    }
    checkWorkloadConflicts(ctx, emit, ns, selected);
  }
};

function checkWorkloadConflicts(
  ctx: AnalysisContext,
  emit: Emit,
  ns: string,
  policies: readonly AnalyzedDoc[],
): void {
  const workloads = ctx.registry.workloads.filter((w) => w.namespace === ns);
  const selects = (d: AnalyzedDoc) => {
    const sel = selectorOf(targetingOf(d)) ?? {};
    return workloads.filter((w) => subsetOf(sel, w.labels));
  };
  const same = (a: AnalyzedDoc, b: AnalyzedDoc) =>
    JSON.stringify(Object.entries(selectorOf(targetingOf(a)) ?? {}).sort()) ===
    JSON.stringify(Object.entries(selectorOf(targetingOf(b)) ?? {}).sort());
  policies.forEach((b, i) => {
    const mine = new Set(selects(b).map((w) => w.uid));
    for (const a of policies.slice(0, i)) {
      const shared = selects(a).filter((w) => mine.has(w.uid));
      if (shared.length === 0 && !same(a, b)) continue;
      const names = [...new Set(shared.map((w) => w.workloadName))].sort();
      const which =
        names.length === 0
          ? "has the same selector as"
          : `selects the same workload${names.length > 1 ? "s" : ""} (${names.slice(0, 3).join(", ")}${names.length > 3 ? ", ..." : ""}) as`;
      const aName = `${ns}/${a.resource.metadata.name}`;
      emit(
        b,
        ["spec", "selector"],
        "conflictingWorkloadPeerAuthn",
        `this policy ${which} PeerAuthentication ${aName}: a workload gets one workload-level policy and ${RULE}, so ${aName} applies there and this one is ignored. Fix: narrow the selectors so that each workload has one policy, or merge this one into ${aName}`,
      );
      return;
    }
  });
}
