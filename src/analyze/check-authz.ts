/**
 * AuthorizationPolicies the node proxy is asked to enforce but cannot, as Istio ambient defines
 * it (istio.io/latest/docs/ambient/usage/l4-policy):
 *
 * - AMB0001: HTTP attributes (paths, methods, hosts, request principals, request.* / remote.ip /
 *   connection.sni conditions...) in a policy bound by selector or namespace-wide. The node proxy
 *   sees connections, not requests: an ALLOW rule using them never matches, so what only it would
 *   admit is refused; a DENY rule is applied without them and denies more than written.
 * - AMB0002: action CUSTOM (an external authorizer) without targetRefs: istiod does not give
 *   CUSTOM policies to ztunnel ("ztunnel does not support the CUSTOM action").
 * - AMB0003: a policy matching client identities (principals, namespaces, service accounts) on
 *   workloads whose traffic arrives through a waypoint: the waypoint does not pass on the
 *   client's identity, so the node proxy sees the waypoint's.
 */
import { l7Attributes, type AuthorizationPolicySpec } from "../api/kinds/security.js";
import type { PathSegment } from "../api/findings.js";
import { subsetOf } from "../controlplane/registry/selectors.js";
import { attachAdvice } from "./attach.js";
import { GVK, namespaceOf, type AnalysisContext, type AnalyzedDoc } from "./context.js";
import { hasTargetRefs, selectorOf, targetingOf } from "./policy.js";
import { gatewaySelected } from "./check-selectors.js";
import type { Check, Emit } from "./report.js";

export const checkAuthorizationPolicies: Check<AnalysisContext> = (ctx, emit) => {
  for (const doc of ctx.of(GVK.authorizationPolicy)) {
    const targeting = targetingOf(doc);
    if (hasTargetRefs(targeting)) continue;
    const selector = selectorOf(targeting);
    if (gatewaySelected(ctx, namespaceOf(doc.resource), selector)) continue; // IST0166 says what to do
    const spec = doc.resource.spec as AuthorizationPolicySpec;
    const ns = namespaceOf(doc.resource);
    const where = selector
      ? "is bound to the node proxy (selector)"
      : ns === ctx.mesh.rootNamespace
        ? "is bound to every node proxy (mesh-wide: root namespace, no selector)"
        : "is bound to the node proxy (namespace-wide: no selector, no targetRefs)";
    const at: PathSegment[] = selector ? ["spec", "selector"] : ["spec", "targetRefs"];
    const action = spec.action ?? "ALLOW";
    if (action === "CUSTOM") {
      emit(
        doc,
        at,
        "customPolicyAtNodeProxy",
        `action CUSTOM sends requests to an external authorizer, which only a waypoint or gateway does; this policy ${where}, which does not call it, so the policy is not enforced. Fix: ${attachAdvice(ctx, ns, selector)}`,
      );
      continue;
    }
    const l7 = l7Attributes(spec);
    if (l7.length > 0) {
      const attributes = [...new Set(l7.map((a) => a.attribute))].join(", ");
      const effect =
        action === "ALLOW"
          ? "an ALLOW rule using them never matches, so requests only such rules would admit are refused (fail closed)"
          : action === "DENY"
            ? "a DENY rule is applied without them and so denies more connections than written (fail closed)"
            : "the rules using them are never evaluated";
      emit(
        doc,
        l7[0]!.path,
        "l7PolicyAtNodeProxy",
        `${attributes} can only be checked by a waypoint, but this policy ${where}, which sees connections, not HTTP requests: ${effect}. Fix: ${attachAdvice(ctx, ns, selector)}`,
      );
      continue;
    }
    if (action === "ALLOW" || action === "DENY")
      checkIdentityBehindWaypoint(ctx, emit, doc, spec, ns, selector);
  }
};

interface IdentityUse {
  path: PathSegment[];
  field: string;
  values: readonly string[];
}

const IDENTITY_FIELDS = [
  "principals",
  "notPrincipals",
  "namespaces",
  "notNamespaces",
  "serviceAccounts",
  "notServiceAccounts",
] as const;
const IDENTITY_KEYS = ["source.principal", "source.namespace", "source.serviceAccount"];

function identityUses(spec: AuthorizationPolicySpec): IdentityUse[] {
  const out: IdentityUse[] = [];
  (spec.rules ?? []).forEach((r, i) => {
    (r.from ?? []).forEach((f, j) => {
      for (const field of IDENTITY_FIELDS) {
        const values = f.source[field] ?? [];
        if (values.length > 0)
          out.push({ path: ["spec", "rules", i, "from", j, "source", field], field, values });
      }
    });
    (r.when ?? []).forEach((w, k) => {
      if (IDENTITY_KEYS.includes(w.key))
        out.push({
          path: ["spec", "rules", i, "when", k, "key"],
          field: w.key,
          values: [...(w.values ?? []), ...(w.notValues ?? [])],
        });
    });
  });
  return out;
}

function checkIdentityBehindWaypoint(
  ctx: AnalysisContext,
  emit: Emit,
  doc: AnalyzedDoc,
  spec: AuthorizationPolicySpec,
  ns: string,
  selector: Record<string, string> | undefined,
): void {
  const uses = identityUses(spec);
  if (uses.length === 0) return;
  const meshWide = !selector && ns === ctx.mesh.rootNamespace;
  // waypoint "<ns>/<name>" -> what its traffic reaches ("Service reviews", "workload ratings-v1")
  const behind = new Map<string, Set<string>>();
  const add = (wp: string, what: string) => behind.set(wp, (behind.get(wp) ?? new Set()).add(what));
  for (const w of ctx.registry.workloads) {
    if (!meshWide && w.namespace !== ns) continue;
    if (selector && !subsetOf(selector, w.labels)) continue;
    if (w.waypoint) add(w.waypoint.gateway, `workload ${w.workloadName}`);
    for (const key of Object.keys(w.services)) {
      const svc = ctx.registry.services.find((s) => `${s.namespace}/${s.hostname}` === key);
      if (svc?.waypoint) add(svc.waypoint.gateway, `${svc.source} ${svc.name}`);
    }
  }
  // A policy that names the waypoint's own identity is the deliberate "only through the
  // waypoint" pattern (the waypoint's service account is named after its Gateway).
  const values = uses.flatMap((u) => u.values);
  const namesWaypoint = (wp: string): boolean => {
    const [wpNs = "", wpName = ""] = wp.split("/");
    return values.some(
      (v) => v === "*" || v.endsWith(`/sa/${wpName}`) || v === wpName || v === wp || v === wpNs,
    );
  };
  const hits = [...behind.entries()]
    .filter(([wp]) => !namesWaypoint(wp))
    .sort(([a], [b]) => a.localeCompare(b));
  if (hits.length === 0) return;
  const [wp, targets] = hits[0]!;
  const first = uses[0]!;
  const effect =
    spec.action === "DENY"
      ? "clients that send through it are not denied"
      : "they match the waypoint, not the clients, so clients that send through it are refused";
  emit(
    doc,
    first.path,
    "sourceIdentityIsWaypoint",
    `traffic to ${[...targets].sort().join(", ")} reaches the node proxy from waypoint ${wp}, which does not pass on the client's identity; ${first.field} here are compared with the waypoint's identity: ${effect}. Fix: enforce the policy on the waypoint: ${attachAdvice(ctx, ns, selector)}`,
  );
}
