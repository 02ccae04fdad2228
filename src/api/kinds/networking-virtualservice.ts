/**
 * VirtualService schema (networking.istio.io): HTTP routes (networking-virtualservice-http.ts),
 * TLS and TCP routes, and the rules that need the whole document (hosts vs. gateways, delegate
 * VirtualServices, SNI hosts). Warnings are in networking-virtualservice-check.ts. Rules:
 * istio/istio pkg/config/validation/validation.go (ValidateVirtualService).
 */
import { z } from "zod";
import { cidrOrIp, dnsLabel, labels, obj, port } from "../schema/primitives.js";
import { exportTo, hostCovers, isIpAddress, wildcardDomainError } from "./networking-common.js";
import { gatewayName, httpRoute, routeDestination, routeWeights } from "./networking-virtualservice-http.js";

export type { HTTPRoute } from "./networking-virtualservice-http.js";

const l4Match = {
  destinationSubnets: z.array(cidrOrIp).optional(),
  port: port.optional(),
  sourceLabels: labels.optional(),
  gateways: z.array(gatewayName).optional(),
  sourceNamespace: dnsLabel.optional(),
};

const tcpRoute = obj({
  match: z.array(obj({ ...l4Match, sourceSubnet: z.string().optional() })).optional(),
  route: z.array(routeDestination).min(1, "a tcp route needs at least one destination in route"),
}).superRefine((r, ctx) => routeWeights(r.route, ctx, "route"));

const tlsRoute = obj({
  match: z
    .array(
      obj({
        ...l4Match,
        sniHosts: z.array(z.string()).min(1, "a tls match needs at least one sniHosts entry"),
      }),
    )
    .min(1, "a tls route needs at least one match"),
  route: z.array(routeDestination).min(1, "a tls route needs at least one destination in route"),
}).superRefine((r, ctx) => routeWeights(r.route, ctx, "route"));

const virtualServiceObject = obj({
  hosts: z.array(z.string()).optional(),
  gateways: z.array(gatewayName).optional(),
  http: z.array(httpRoute).optional(),
  tls: z.array(tlsRoute).optional(),
  tcp: z.array(tcpRoute).optional(),
  exportTo: exportTo({ allowNone: false }).optional(),
});
export const virtualServiceSpec = virtualServiceObject.superRefine(virtualServiceRules);

export type VirtualServiceSpec = z.infer<typeof virtualServiceSpec>;

/** Rules over the whole VirtualService (ValidateVirtualService). */
function virtualServiceRules(vs: z.infer<typeof virtualServiceObject>, ctx: z.RefinementCtx): void {
  const hosts = vs.hosts ?? [];
  const gateways = vs.gateways ?? [];
  const appliesToMesh = gateways.length === 0 || gateways.includes("mesh");
  const boundToGateway = gateways.some((g) => g !== "mesh");
  if (!vs.http?.length && !vs.tcp?.length && !vs.tls?.length)
    ctx.addIssue({ code: "custom", message: "a VirtualService needs http, tcp or tls routes" });
  if (hosts.length === 0) {
    // No hosts: a delegate VirtualService, used only from another one's `delegate`.
    for (const f of ["gateways", "tls", "tcp"] as const)
      if (vs[f]?.length)
        ctx.addIssue({
          code: "custom",
          path: [f],
          message: `a delegate VirtualService (no hosts) cannot have ${f}`,
        });
    (vs.http ?? []).forEach((r, i) => {
      if (r.delegate)
        ctx.addIssue({
          code: "custom",
          path: ["http", i, "delegate"],
          message: "a delegate VirtualService cannot delegate again",
        });
    });
  }
  const valid: string[] = [];
  hosts.forEach((h, i) => {
    const err = wildcardDomainError(h);
    if (err && !isIpAddress(h)) ctx.addIssue({ code: "custom", path: ["hosts", i], message: err });
    else if (h === "*" && appliesToMesh)
      ctx.addIssue({
        code: "custom",
        path: ["hosts", i],
        message: 'host "*" is allowed only for VirtualServices bound to gateways (not to the mesh)',
      });
    else valid.push(h);
  });
  if (valid.length === hosts.length)
    hosts.forEach((h, j) => {
      const earlier = hosts.slice(0, j).find((o) => hostCovers(o, h) || hostCovers(h, o));
      if (earlier !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["hosts", j],
          message: `host "${h}" overlaps "${earlier}"; list it once`,
        });
    });
  if (!boundToGateway)
    (vs.http ?? []).forEach((r, i) =>
      (r.match ?? []).forEach((m, j) => {
        for (const f of ["headers", "withoutHeaders"] as const)
          for (const name of Object.keys(m[f] ?? {}))
            if (name.startsWith("@request.auth.claims"))
              ctx.addIssue({
                code: "custom",
                path: ["http", i, "match", j, f, name],
                message: "routing on JWT claims works only on gateways: add the gateway to spec.gateways",
              });
      }),
    );
  (vs.tls ?? []).forEach((r, i) =>
    r.match.forEach((m, j) =>
      m.sniHosts.forEach((sni, k) => {
        const at = ["tls", i, "match", j, "sniHosts", k];
        const err = wildcardDomainError(sni);
        if (err) ctx.addIssue({ code: "custom", path: at, message: err });
        else if (!hosts.some((h) => hostCovers(h, sni)))
          ctx.addIssue({
            code: "custom",
            path: at,
            message: `SNI host "${sni}" is not covered by any of the hosts (${hosts.join(", ") || "none"})`,
          });
      }),
    ),
  );
}
