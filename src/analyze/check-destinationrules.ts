/**
 * DestinationRules (Istio: destinationrule.PodNotSelectedAnalyzer):
 *
 * - IST0174: the host matches no Service or ServiceEntry, so the rule applies to nothing.
 * - IST0173: a subset whose labels match none of the workloads behind the host (Pods, Deployment
 *   pods, WorkloadEntries and ServiceEntry endpoints the host's Service or ServiceEntry selects,
 *   as Ambit's registry computes them). Requests routed to it fail with 503 (no healthy
 *   upstream). Only reported when the input holds some workload behind the host: with none, the
 *   input simply does not describe the workloads, and nothing can be said.
 */
import { subsetOf } from "../controlplane/registry/selectors.js";
import { GVK, namespaceOf, type AnalysisContext } from "./context.js";
import { hostHint, servicesForHost, toFqdn } from "./hosts.js";
import type { Check } from "./report.js";

interface DestinationRuleView {
  host?: string;
  subsets?: { name?: string; labels?: Record<string, string> }[];
}

export const checkDestinationRules: Check<AnalysisContext> = (ctx, emit) => {
  for (const doc of ctx.of(GVK.destinationRule)) {
    const spec = (doc.resource.spec ?? {}) as DestinationRuleView;
    if (!spec.host) continue;
    const ns = namespaceOf(doc.resource);
    const host = toFqdn(spec.host, ns, ctx.mesh.domainSuffix);
    if (servicesForHost(ctx, host).length === 0) {
      emit(
        doc,
        ["spec", "host"],
        "unknownDestinationRuleHost",
        `host ${host} matches no Service or ServiceEntry${hostHint(ctx, host)}, so this DestinationRule applies to nothing. Fix: correct the host (a short name means a Service in namespace ${ns}; use <name>.<namespace>.svc.${ctx.mesh.domainSuffix} for another namespace) or create a ServiceEntry for it`,
      );
      continue;
    }
    if (host.startsWith("*")) continue;
    const endpoints = new Set(
      ctx.registry.services.filter((s) => s.hostname.toLowerCase() === host).flatMap((s) => s.endpoints),
    );
    const workloads = ctx.registry.workloads.filter((w) => endpoints.has(w.uid));
    if (workloads.length === 0) continue;
    (spec.subsets ?? []).forEach((subset, i) => {
      const labels = subset.labels ?? {};
      if (Object.keys(labels).length === 0 || workloads.some((w) => subsetOf(labels, w.labels))) return;
      const have = Object.keys(labels)
        .map((k) => {
          const values = [
            ...new Set(workloads.map((w) => w.labels[k]).filter((v) => v !== undefined)),
          ].sort();
          return values.length > 0 ? `${k}=${values.join("|")}` : `no ${k} label`;
        })
        .join(", ");
      const want = Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ");
      emit(
        doc,
        ["spec", "subsets", i, "labels"],
        "subsetSelectsNoPods",
        `subset ${subset.name ?? i} (${want}) selects none of the ${workloads.length} workload(s) behind ${host}, which have ${have}: requests routed to it fail with 503 (no healthy upstream). Fix: change the subset's labels to match them, deploy workloads with these labels, or remove the subset`,
      );
    });
  }
};
