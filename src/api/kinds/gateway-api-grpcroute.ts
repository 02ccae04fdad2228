/**
 * GRPCRoute (gateway.networking.k8s.io): routing gRPC by service/method and headers. Rules:
 * kubernetes-sigs/gateway-api apis/v1/grpcroute_types.go (markers and CEL rules).
 */
import { z } from "zod";
import { defineKind, type Report } from "./define.js";
import type { Resource } from "../resource.js";
import { enumOf, obj } from "../schema/primitives.js";
import {
  backendRefFields,
  filterUnion,
  headerFilter,
  headerName,
  hostnames,
  localObjectRef,
  matchBudget,
  needsPort,
  noRepeats,
  parentRefs,
  regexIssue,
  requestMirror,
  sectionName,
  sessionPersistence,
  uniqueRuleNames,
} from "./gateway-api-common.js";

const methodMatch = obj({
  type: enumOf(["Exact", "RegularExpression"]).default("Exact"),
  service: z.string().max(1024).optional(),
  method: z.string().max(1024).optional(),
}).superRefine((m, ctx) => {
  if (!m.service && !m.method)
    ctx.addIssue({ code: "custom", message: "a method match needs service, method or both" });
  if (m.type === "RegularExpression") {
    if (m.service) regexIssue(m.service, ctx, ["service"]);
    if (m.method) regexIssue(m.method, ctx, ["method"]);
    return;
  }
  if (m.service && !/^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i.test(m.service))
    ctx.addIssue({
      code: "custom",
      path: ["service"],
      message: `service "${m.service}" must be a fully qualified gRPC service name, e.g. "helloworld.Greeter" (no "/")`,
    });
  if (m.method && !/^[A-Za-z_][A-Za-z_0-9]*$/.test(m.method))
    ctx.addIssue({
      code: "custom",
      path: ["method"],
      message: `method "${m.method}" must be a gRPC method name, e.g. "SayHello"`,
    });
});

const headerMatch = obj({
  type: enumOf(["Exact", "RegularExpression"]).default("Exact"),
  name: headerName,
  value: z.string().min(1, "value must not be empty").max(4096, "value must be at most 4096 characters"),
}).superRefine((m, ctx) => {
  if (m.type === "RegularExpression") regexIssue(m.value, ctx, ["value"]);
});

const grpcMatch = obj({
  method: methodMatch.optional(),
  headers: z
    .array(headerMatch)
    .max(16, "at most 16 headers")
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((h, i) => {
        if (seen.has(h.name))
          ctx.addIssue({ code: "custom", path: [i, "name"], message: `header "${h.name}" is matched twice` });
        seen.add(h.name);
      });
    })
    .optional(),
});

const grpcFilterTypes = [
  "RequestHeaderModifier",
  "ResponseHeaderModifier",
  "RequestMirror",
  "ExtensionRef",
] as const;
const grpcFilter = filterUnion(
  {
    RequestHeaderModifier: "requestHeaderModifier",
    ResponseHeaderModifier: "responseHeaderModifier",
    RequestMirror: "requestMirror",
    ExtensionRef: "extensionRef",
  },
  grpcFilterTypes,
  {
    requestHeaderModifier: headerFilter.optional(),
    responseHeaderModifier: headerFilter.optional(),
    requestMirror: requestMirror.optional(),
    extensionRef: localObjectRef.optional(),
  },
);
const filterList = z
  .array(grpcFilter)
  .max(16, "at most 16 filters")
  .superRefine((fs, ctx) => noRepeats(["RequestHeaderModifier", "ResponseHeaderModifier"])(fs, ctx));

const rule = obj({
  name: sectionName.optional(),
  matches: z.array(grpcMatch).max(8, "at most 8 matches per rule").optional(),
  filters: filterList.optional(),
  backendRefs: z
    .array(obj({ ...backendRefFields, filters: filterList.optional() }).superRefine(needsPort))
    .max(16, "at most 16 backendRefs")
    .optional(),
  sessionPersistence: sessionPersistence.optional(),
});

const grpcRouteSpec = obj({
  parentRefs: parentRefs.optional(),
  hostnames: hostnames.optional(),
  rules: z
    .array(rule)
    .max(16, "at most 16 rules")
    .superRefine((rules, ctx) => {
      uniqueRuleNames(rules, ctx);
      matchBudget(rules, ctx);
    })
    .optional(),
});

export type GRPCRouteSpec = z.infer<typeof grpcRouteSpec>;

function checkGRPCRoute(route: Resource, report: Report): void {
  const spec = route.spec as GRPCRouteSpec;
  const warn = (path: (string | number)[], message: string) => report(path, message, { severity: "warning" });
  if (route.apiVersion.endsWith("/v1alpha2"))
    warn(
      ["apiVersion"],
      "GRPCRoute v1alpha2 is deprecated (Gateway API v1.1+): use gateway.networking.k8s.io/v1",
    );
  if (!spec.parentRefs?.length)
    warn(["spec", "parentRefs"], "no parentRefs: the route attaches to nothing and has no effect");
  (spec.rules ?? []).forEach((r, i) => {
    if (!(r.backendRefs ?? []).length)
      warn(["spec", "rules", i], "no backendRefs: matching calls fail with UNAVAILABLE");
  });
}

defineKind({
  group: "gateway.networking.k8s.io",
  kind: "GRPCRoute",
  versions: ["v1", "v1alpha2"],
  namespaced: true,
  spec: grpcRouteSpec,
  check: checkGRPCRoute,
  description: "Gateway API gRPC routing: service/method and header matches, filters, weighted backends.",
});
