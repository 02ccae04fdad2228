/**
 * HTTPRoute (gateway.networking.k8s.io): matches, filters, weighted backends, timeouts, retry.
 * Defaults (a rule matching PathPrefix "/", weight 1, redirect 302...) are applied so the
 * normalized resource is what the data plane acts on. Rules: kubernetes-sigs/gateway-api
 * apis/v1/httproute_types.go (markers and CEL rules).
 */
import { z } from "zod";
import { defineKind, type Report } from "./define.js";
import type { Resource } from "../resource.js";
import { enumOf, obj, port } from "../schema/primitives.js";
import {
  backendRefFields,
  duration,
  filterUnion,
  gwDurationMs,
  headerFilter,
  headerName,
  hostnames,
  localObjectRef,
  matchBudget,
  needsPort,
  noRepeats,
  parentRefs,
  preciseHostname,
  regexIssue,
  requestMirror,
  sectionName,
  sessionPersistence,
  uniqueRuleNames,
} from "./gateway-api-common.js";

const methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"] as const;

/** Path checks for Exact and PathPrefix (HTTPPathMatch CEL rules). */
function pathError(v: string): string | undefined {
  if (!v.startsWith("/")) return `path "${v}" must start with "/"`;
  for (const bad of ["//", "/./", "/../", "%2f", "%2F", "#"])
    if (v.includes(bad)) return `path "${v}" must not contain "${bad}"`;
  if (v.endsWith("/..") || v.endsWith("/.")) return `path "${v}" must not end with "/." or "/.."`;
  if (!/^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/.test(v))
    return `path "${v}" has characters that must be percent-encoded`;
  return undefined;
}

const pathMatch = obj({
  type: enumOf(["Exact", "PathPrefix", "RegularExpression"]).default("PathPrefix"),
  value: z.string().max(1024, "value must be at most 1024 characters").default("/"),
}).superRefine((p, ctx) => {
  if (p.type === "RegularExpression") return regexIssue(p.value, ctx, ["value"]);
  const err = pathError(p.value);
  if (err) ctx.addIssue({ code: "custom", path: ["value"], message: err });
});

function valueMatch(maxValue: number) {
  return obj({
    type: enumOf(["Exact", "RegularExpression"]).default("Exact"),
    name: headerName,
    value: z
      .string()
      .min(1, "value must not be empty")
      .max(maxValue, `value must be at most ${maxValue} characters`),
  }).superRefine((m, ctx) => {
    if (m.type === "RegularExpression") regexIssue(m.value, ctx, ["value"]);
  });
}
function uniqueNames(what: string) {
  return (list: readonly { name: string }[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    list.forEach((m, i) => {
      if (seen.has(m.name))
        ctx.addIssue({ code: "custom", path: [i, "name"], message: `${what} "${m.name}" is matched twice` });
      seen.add(m.name);
    });
  };
}

const defaultPath = () => ({ type: "PathPrefix" as const, value: "/" });
const httpMatch = obj({
  path: pathMatch.default(defaultPath),
  headers: z
    .array(valueMatch(4096))
    .max(16, "at most 16 headers")
    .superRefine(uniqueNames("header"))
    .optional(),
  queryParams: z
    .array(valueMatch(1024))
    .max(16, "at most 16 queryParams")
    .superRefine(uniqueNames("query parameter"))
    .optional(),
  method: enumOf(methods).optional(),
});

const pathModifier = obj({
  type: enumOf(["ReplaceFullPath", "ReplacePrefixMatch"]),
  replaceFullPath: z.string().max(1024).optional(),
  replacePrefixMatch: z.string().max(1024).optional(),
}).superRefine((m, ctx) => {
  const field = m.type === "ReplaceFullPath" ? "replaceFullPath" : "replacePrefixMatch";
  const other = m.type === "ReplaceFullPath" ? "replacePrefixMatch" : "replaceFullPath";
  if (m[field] === undefined)
    ctx.addIssue({ code: "custom", path: [field], message: `type ${m.type} needs ${field}` });
  if (m[other] !== undefined)
    ctx.addIssue({
      code: "custom",
      path: [other],
      message: `${other} needs type ${other === "replaceFullPath" ? "ReplaceFullPath" : "ReplacePrefixMatch"}`,
    });
});

const corsOrigin = z
  .string()
  .refine((v) => v === "*" || /^(([^:/?#]+):)(\/\/([^/?#]*))([^?#]*)(\?([^#]*))?(#(.*))?$/.test(v), {
    message: 'an origin is "*" or scheme://host[:port], e.g. "https://www.example.com"',
  });
const aloneStar = (what: string) => (list: readonly string[], ctx: z.RefinementCtx) => {
  if (list.includes("*") && list.length > 1)
    ctx.addIssue({ code: "custom", message: `${what}: "*" cannot be combined with other values` });
};
const cors = obj({
  allowOrigins: z.array(corsOrigin).max(64).superRefine(aloneStar("allowOrigins")).optional(),
  allowCredentials: z.boolean().optional(),
  allowMethods: z
    .array(enumOf([...methods, "*"]))
    .max(9)
    .superRefine(aloneStar("allowMethods"))
    .optional(),
  allowHeaders: z.array(headerName).max(64).superRefine(aloneStar("allowHeaders")).optional(),
  exposeHeaders: z.array(headerName).max(64).optional(),
  maxAge: z.number().int().min(1, "maxAge must be at least 1 (second)").default(5),
});

const httpFilterTypes = [
  "RequestHeaderModifier",
  "ResponseHeaderModifier",
  "RequestMirror",
  "RequestRedirect",
  "URLRewrite",
  "ExtensionRef",
  "CORS",
] as const;
const httpFilter = filterUnion(
  {
    RequestHeaderModifier: "requestHeaderModifier",
    ResponseHeaderModifier: "responseHeaderModifier",
    RequestMirror: "requestMirror",
    RequestRedirect: "requestRedirect",
    URLRewrite: "urlRewrite",
    ExtensionRef: "extensionRef",
    CORS: "cors",
  },
  httpFilterTypes,
  {
    requestHeaderModifier: headerFilter.optional(),
    responseHeaderModifier: headerFilter.optional(),
    requestMirror: requestMirror.optional(),
    requestRedirect: obj({
      scheme: enumOf(["http", "https"]).optional(),
      hostname: preciseHostname.optional(),
      path: pathModifier.optional(),
      port: port.optional(),
      statusCode: z
        .number()
        .refine((c) => [301, 302, 303, 307, 308].includes(c), {
          message: "statusCode must be one of 301, 302, 303, 307, 308",
        })
        .default(302),
    }).optional(),
    urlRewrite: obj({ hostname: preciseHostname.optional(), path: pathModifier.optional() }).optional(),
    extensionRef: localObjectRef.optional(),
    cors: cors.optional(),
  },
);
type HttpFilter = z.infer<typeof httpFilter>;

const filterList = z
  .array(httpFilter)
  .max(16, "at most 16 filters")
  .superRefine((fs, ctx) => {
    noRepeats(["CORS", "RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite"])(
      fs,
      ctx,
    );
    const redirect = fs.findIndex((f) => f.type === "RequestRedirect");
    const rewrite = fs.findIndex((f) => f.type === "URLRewrite");
    if (redirect >= 0 && rewrite >= 0)
      ctx.addIssue({
        code: "custom",
        path: [Math.max(redirect, rewrite)],
        message: "RequestRedirect and URLRewrite cannot be used together",
      });
  });

const backendRef = obj({ ...backendRefFields, filters: filterList.optional() }).superRefine(needsPort);

const timeouts = obj({ request: duration.optional(), backendRequest: duration.optional() }).superRefine(
  (t, ctx) => {
    if (
      t.request &&
      t.backendRequest &&
      gwDurationMs(t.request) !== 0 &&
      gwDurationMs(t.backendRequest) > gwDurationMs(t.request)
    )
      ctx.addIssue({
        code: "custom",
        path: ["backendRequest"],
        message: `backendRequest (${t.backendRequest}) cannot be longer than request (${t.request})`,
      });
  },
);

const retry = obj({
  codes: z
    .array(z.number().int().min(400, "retry codes are 400..599").max(599, "retry codes are 400..599"))
    .superRefine((codes, ctx) => {
      codes.forEach((c, i) => {
        if (codes.indexOf(c) !== i)
          ctx.addIssue({ code: "custom", path: [i], message: `code ${c} is listed twice` });
      });
    })
    .optional(),
  attempts: z
    .number()
    .int("attempts must be a whole number")
    .min(0, "attempts must not be negative")
    .optional(),
  backoff: duration.optional(),
});

const usesReplacePrefix = (f: HttpFilter) =>
  f.requestRedirect?.path?.type === "ReplacePrefixMatch" || f.urlRewrite?.path?.type === "ReplacePrefixMatch";

const rule = obj({
  name: sectionName.optional(),
  matches: z
    .array(httpMatch)
    .max(64, "at most 64 matches")
    .default(() => [{ path: defaultPath() }]),
  filters: filterList.optional(),
  backendRefs: z.array(backendRef).max(16, "at most 16 backendRefs").optional(),
  timeouts: timeouts.optional(),
  retry: retry.optional(),
  sessionPersistence: sessionPersistence.optional(),
}).superRefine((r, ctx) => {
  const filters = r.filters ?? [];
  const redirect = filters.findIndex((f) => f.type === "RequestRedirect");
  if (redirect >= 0 && (r.backendRefs ?? []).length > 0)
    ctx.addIssue({
      code: "custom",
      path: ["filters", redirect],
      message: "a RequestRedirect filter answers the request itself: remove backendRefs from this rule",
    });
  const prefixUsers = [
    ...filters.map((f, i) => (usesReplacePrefix(f) ? ["filters", i] : undefined)),
    ...(r.backendRefs ?? []).flatMap((b, i) =>
      (b.filters ?? []).map((f, j) => (usesReplacePrefix(f) ? ["backendRefs", i, "filters", j] : undefined)),
    ),
  ].filter((p) => p !== undefined);
  const onePrefix = r.matches.length === 1 && r.matches[0]!.path.type === "PathPrefix";
  if (prefixUsers.length > 0 && !onePrefix)
    ctx.addIssue({
      code: "custom",
      path: prefixUsers[0]!,
      message: "ReplacePrefixMatch needs the rule to have exactly one match, of type PathPrefix",
    });
});

const defaultRules = () => [{ matches: [{ path: defaultPath() }] }];
const httpRouteSpec = obj({
  parentRefs: parentRefs.optional(),
  hostnames: hostnames.optional(),
  rules: z
    .array(rule)
    .min(1, "rules must not be empty (leave it out to route everything)")
    .max(16, "at most 16 rules")
    .superRefine((rules, ctx) => {
      uniqueRuleNames(rules, ctx);
      matchBudget(rules, ctx);
    })
    .default(defaultRules),
});

export type HTTPRouteSpec = z.infer<typeof httpRouteSpec>;

function checkHTTPRoute(route: Resource, report: Report): void {
  const spec = route.spec as HTTPRouteSpec;
  if (!spec.parentRefs?.length)
    report(
      ["spec", "parentRefs"],
      "no parentRefs: the route attaches to no Gateway or Service and has no effect",
      {
        severity: "warning",
      },
    );
  spec.rules.forEach((r, i) => {
    const filters = r.filters ?? [];
    const answers = filters.some((f) => f.type === "RequestRedirect");
    if (!answers && !(r.backendRefs ?? []).length)
      report(
        ["spec", "rules", i],
        "no backendRefs and no RequestRedirect: matching requests get a 500 error",
        {
          severity: "warning",
        },
      );
    const refs = r.backendRefs ?? [];
    if (refs.length > 0 && refs.every((b) => b.weight === 0))
      report(
        ["spec", "rules", i, "backendRefs"],
        "every backend has weight 0: matching requests get a 500 error",
        {
          severity: "warning",
        },
      );
  });
}

defineKind({
  group: "gateway.networking.k8s.io",
  kind: "HTTPRoute",
  versions: ["v1", "v1beta1"],
  namespaced: true,
  spec: httpRouteSpec,
  check: checkHTTPRoute,
  description:
    "Gateway API HTTP routing: path/header/query/method matches, filters, weighted backends, timeouts.",
});
