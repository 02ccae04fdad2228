/**
 * targetRefs of AuthorizationPolicy, RequestAuthentication and Telemetry.
 *
 * - IST0101: the Gateway, Service, ServiceEntry or GatewayClass named does not exist (targets are
 *   always in the policy's own namespace; GatewayClass istio-waypoint is built in).
 * - AMB0008: the Service or ServiceEntry exists but its traffic goes through no waypoint, and a
 *   policy attached to a Service is applied by that Service's waypoint: nothing applies it.
 */
import { didYouMean } from "../api/suggest.js";
import { createWaypointHint, serviceWaypointFix } from "./attach.js";
import { GVK, namespaceOf, WAYPOINT_CLASS, type AnalysisContext } from "./context.js";
import { targetingOf, targetRefsOf } from "./policy.js";
import type { Check } from "./report.js";

const KINDS = [GVK.authorizationPolicy, GVK.requestAuthentication, GVK.telemetry];

export const checkPolicyTargets: Check<AnalysisContext> = (ctx, emit) => {
  for (const gvk of KINDS)
    for (const doc of ctx.of(gvk)) {
      const ns = namespaceOf(doc.resource);
      for (const { ref, path } of targetRefsOf(targetingOf(doc))) {
        const name = ref.name ?? "";
        const namesIn = (kind: string) =>
          ctx
            .of(kind)
            .filter((d) => namespaceOf(d.resource) === ns)
            .map((d) => d.resource.metadata.name);
        switch (`${ref.group ?? ""}/${ref.kind ?? ""}`) {
          case GVK.gateway:
            if (!ctx.find(GVK.gateway, ns, name)) {
              const existing = namesIn(GVK.gateway);
              emit(
                doc,
                [...path, "name"],
                "referencedResourceNotFound",
                `Referenced Gateway not found: "${ns}/${name}"${didYouMean(name, existing)}. Fix: ${
                  existing.length > 0
                    ? `name one of the Gateways of namespace ${ns} (${existing.sort().join(", ")}), or create ${name}`
                    : `create it; for a waypoint, ${createWaypointHint(ns)}`
                }`,
              );
            }
            break;
          case GVK.service:
          case GVK.serviceEntry: {
            const kind = ref.kind === "Service" ? "Service" : "ServiceEntry";
            if (!ctx.find(ref.kind === "Service" ? GVK.service : GVK.serviceEntry, ns, name)) {
              const existing = namesIn(ref.kind === "Service" ? GVK.service : GVK.serviceEntry);
              emit(
                doc,
                [...path, "name"],
                "referencedResourceNotFound",
                `Referenced ${kind} not found: "${ns}/${name}"${didYouMean(name, existing)}. Fix: target a ${kind} of namespace ${ns} (policies attach only in their own namespace), or create it`,
              );
              break;
            }
            const fix = serviceWaypointFix(ctx, kind, ns, name);
            if (fix !== undefined) {
              emit(
                doc,
                path,
                "targetWithoutWaypoint",
                `${kind} ${name} uses no waypoint, and a policy attached to a ${kind} is applied by its waypoint (the node proxy ignores targetRefs): nothing applies this one. Fix: ${fix}`,
              );
            }
            break;
          }
          case GVK.gatewayClass:
            if (name !== WAYPOINT_CLASS && !ctx.find(GVK.gatewayClass, "", name))
              emit(
                doc,
                [...path, "name"],
                "referencedResourceNotFound",
                `Referenced GatewayClass not found: "${name}". Fix: use ${WAYPOINT_CLASS} to reach every waypoint, or define the GatewayClass`,
              );
            break;
          default:
            break; // validation rejects other kinds
        }
      }
    }
};
