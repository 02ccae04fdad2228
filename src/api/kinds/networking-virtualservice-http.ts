/**
 * The HTTP part of a VirtualService (HTTPRoute and what it holds: matches, destinations,
 * redirect, direct response, rewrite, retries, fault injection, mirroring, CORS, headers).
 * Rules: istio/istio pkg/config/validation/{validation.go,virtualservice.go} (validateHTTPRoute
 * and the functions it calls).
 */
import { z } from "zod";
import {
  dnsLabel,
  dnsSubdomain,
  enumOf,
  labels,
  obj,
  parseDurationMs,
  percent,
  port,
} from "../schema/primitives.js";
import { didYouMean } from "../suggest.js";
import {
  destination,
  grpcStatusNames,
  headerNameRe,
  headers,
  httpMethods,
  istioDuration,
  istioStringMatch,
  re2,
  retryOnPolicies,
} from "./networking-common.js";

/** `ns/name`, `name` or the reserved `mesh` (validateGatewayNames). Legacy `name.ns` warns in check. */
export const gatewayName = z.string().superRefine((v, ctx) => {
  if (v === "mesh") return;
  const slash = v.indexOf("/");
  if (slash < 0) {
    const r = dnsSubdomain.safeParse(v);
    if (!r.success)
      ctx.addIssue({ code: "custom", message: `invalid gateway name "${v}": use <namespace>/<name>` });
    return;
  }
  const ns = v.slice(0, slash);
  const name = v.slice(slash + 1);
  if (!dnsLabel.safeParse(ns).success)
    ctx.addIssue({
      code: "custom",
      message: `invalid gateway namespace "${ns}" in "${v}": must be a DNS-1123 label`,
    });
  if (!dnsLabel.safeParse(name).success)
    ctx.addIssue({
      code: "custom",
      message: `invalid gateway name "${name}" in "${v}": must be a DNS-1123 label`,
    });
});

const claimHeader = /^@request\.auth\.claims(\.[^.]+)+$|^@request\.auth\.claims\[/;
const matchMap = (what: string) =>
  z.record(z.string(), istioStringMatch({ emptyMeansPresence: true })).superRefine((m, ctx) => {
    for (const name of Object.keys(m))
      if (!headerNameRe.test(name) && !claimHeader.test(name))
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `invalid ${what} name "${name}": use letters, digits, '-' and '_' (or @request.auth.claims.<claim>)`,
        });
  });

const httpMatch = obj({
  name: z.string().optional(),
  uri: istioStringMatch().optional(),
  scheme: istioStringMatch().optional(),
  method: istioStringMatch().optional(),
  authority: istioStringMatch().optional(),
  headers: matchMap("header").optional(),
  port: port.optional(),
  sourceLabels: labels.optional(),
  gateways: z.array(gatewayName).optional(),
  queryParams: z
    .record(
      z.string(),
      istioStringMatch({
        emptyMeansPresence: true,
        noPrefix: "prefix matching is not supported for query parameters; use exact or regex",
      }),
    )
    .optional(),
  ignoreUriCase: z.boolean().optional(),
  withoutHeaders: matchMap("header").optional(),
  sourceNamespace: dnsLabel.optional(),
  statPrefix: z.string().optional(),
});

const weight = z
  .number({ error: "weight must be a number" })
  .int({ message: "weight must be a whole number" })
  .min(0, { message: "weight must not be negative" });

const httpRouteDestination = obj({ destination, weight: weight.optional(), headers: headers.optional() });
export const routeDestination = obj({ destination, weight: weight.optional() });

/** Several destinations need a positive total weight (validateHTTPRouteDestinations). */
export function routeWeights(
  route: readonly { weight?: number | undefined }[],
  ctx: z.RefinementCtx,
  at: string,
) {
  if (route.length > 1 && route.reduce((s, d) => s + (d.weight ?? 0), 0) === 0)
    ctx.addIssue({
      code: "custom",
      path: [at],
      message: "the destinations' weights add up to 0: give at least one destination a weight",
    });
}

const redirect = obj({
  uri: z.string().optional(),
  authority: z.string().optional(),
  port: port.optional(),
  derivePort: enumOf(["FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"]).optional(),
  scheme: enumOf(["http", "https"]).optional(),
  redirectCode: z
    .number()
    .int()
    .min(300, "redirectCode must be a 3xx status")
    .max(399, "redirectCode must be a 3xx status")
    .optional(),
}).superRefine((r, ctx) => {
  if (!r.uri && !r.authority && r.port === undefined && !r.derivePort && !r.scheme)
    ctx.addIssue({
      code: "custom",
      message: "redirect needs at least one of uri, authority, scheme, port or derivePort",
    });
  if (r.port !== undefined && r.derivePort)
    ctx.addIssue({
      code: "custom",
      path: ["derivePort"],
      message: "only one of port and derivePort may be set",
    });
});

const directResponse = obj({
  status: z
    .number({ error: "status is required" })
    .int()
    .min(200, "status must be between 200 and 599")
    .max(599, "status must be between 200 and 599"),
  body: obj({ string: z.string().optional(), bytes: z.string().optional() })
    .superRefine((b, ctx) => {
      if (b.string !== undefined && b.bytes !== undefined)
        ctx.addIssue({ code: "custom", path: ["bytes"], message: "only one of string and bytes may be set" });
      const size =
        b.string !== undefined ? Buffer.byteLength(b.string) : Math.floor(((b.bytes ?? "").length * 3) / 4);
      if (size > 1024 * 1024)
        ctx.addIssue({
          code: "custom",
          message: "the body must be smaller than 1MB (it is held in the control plane)",
        });
    })
    .optional(),
});

const delegate = obj({ name: dnsSubdomain, namespace: dnsLabel.optional() });

const rewrite = obj({
  uri: z.string().optional(),
  authority: z.string().optional(),
  uriRegexRewrite: obj({ match: re2.min(1, "match must not be empty"), rewrite: z.string() }).optional(),
}).superRefine((r, ctx) => {
  if (r.uri && r.uriRegexRewrite)
    ctx.addIssue({
      code: "custom",
      path: ["uriRegexRewrite"],
      message: "only one of uri and uriRegexRewrite may be set",
    });
  if (!r.uri && !r.uriRegexRewrite && !r.authority)
    ctx.addIssue({ code: "custom", message: "rewrite needs uri, uriRegexRewrite or authority" });
});

const retries = obj({
  attempts: z
    .number()
    .int("attempts must be a whole number")
    .min(0, "attempts must not be negative")
    .optional(),
  perTryTimeout: istioDuration.optional(),
  retryOn: z.string().optional(),
  retryRemoteLocalities: z.boolean().optional(),
  retryIgnorePreviousHosts: z.boolean().optional(),
  backoff: istioDuration.optional(),
}).superRefine((r, ctx) => {
  const others = r.perTryTimeout ?? r.retryOn ?? r.retryRemoteLocalities ?? r.backoff;
  if (!r.attempts && others !== undefined)
    ctx.addIssue({
      code: "custom",
      path: ["attempts"],
      message: "attempts is 0 (retries disabled) but other retry settings are given: set attempts",
    });
  if (r.retryOn === undefined) return;
  const known = (p: string) =>
    (retryOnPolicies as readonly string[]).includes(p) ||
    (/^\d{3}$/.test(p) && Number(p) >= 100 && Number(p) <= 599);
  for (const policy of r.retryOn.split(",")) {
    if (known(policy)) continue;
    ctx.addIssue({
      code: "custom",
      path: ["retryOn"],
      message: known(policy.trim())
        ? `retryOn "${r.retryOn}" has spaces: separate the policies with commas only, e.g. "5xx,reset"`
        : `"${policy}" is not a retryOn policy: use HTTP status codes or ${retryOnPolicies.join(", ")}` +
          didYouMean(policy, retryOnPolicies),
    });
  }
});

const fault = obj({
  delay: obj({
    fixedDelay: istioDuration.optional(),
    exponentialDelay: istioDuration.optional(),
    percentage: percent.optional(),
    percent: z.number().int().min(0, "percent must be 0..100").max(100, "percent must be 0..100").optional(),
  })
    .superRefine((d, ctx) => {
      if (d.exponentialDelay !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["exponentialDelay"],
          message: "exponentialDelay is not supported; use fixedDelay",
        });
      else if (d.fixedDelay === undefined)
        ctx.addIssue({ code: "custom", path: ["fixedDelay"], message: "a delay needs fixedDelay" });
    })
    .optional(),
  abort: obj({
    httpStatus: z
      .number()
      .int()
      .min(200, "httpStatus must be between 200 and 599")
      .max(599, "httpStatus must be between 200 and 599")
      .optional(),
    grpcStatus: enumOf(grpcStatusNames).optional(),
    http2Error: z.string().optional(),
    percentage: percent.optional(),
  })
    .superRefine((a, ctx) => {
      if (a.http2Error !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["http2Error"],
          message: "http2Error aborts are not supported; use httpStatus or grpcStatus",
        });
      if (a.httpStatus !== undefined && a.grpcStatus !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["grpcStatus"],
          message: "only one of httpStatus and grpcStatus may be set",
        });
    })
    .optional(),
}).superRefine((f, ctx) => {
  if (!f.delay && !f.abort)
    ctx.addIssue({ code: "custom", message: "fault needs a delay, an abort or both" });
});

const corsHeader = z
  .string()
  .refine((v) => v === "*" || headerNameRe.test(v), { message: 'must be a header name or "*"' });
const corsPolicy = obj({
  allowOrigins: z.array(istioStringMatch()).optional(),
  allowOrigin: z.array(z.string()).optional(),
  allowMethods: z.array(enumOf(httpMethods)).optional(),
  allowHeaders: z.array(corsHeader).optional(),
  exposeHeaders: z.array(corsHeader).optional(),
  // Istio: "max_age duration is accurate only to seconds precision" (validateCORSPolicy).
  maxAge: istioDuration
    .refine((v) => (parseDurationMs(v) ?? 0) % 1000 === 0, {
      message: 'maxAge is accurate to whole seconds, e.g. "24h" or "600s"',
    })
    .optional(),
  allowCredentials: z.boolean().optional(),
  unmatchedPreflights: enumOf(["UNSPECIFIED", "FORWARD", "IGNORE"]).optional(),
});

const isAuthority = (h: string) => ["host", ":authority"].includes(h.toLowerCase());

export const httpRoute = obj({
  name: z.string().optional(),
  match: z.array(httpMatch).optional(),
  route: z.array(httpRouteDestination).optional(),
  redirect: redirect.optional(),
  directResponse: directResponse.optional(),
  delegate: delegate.optional(),
  rewrite: rewrite.optional(),
  timeout: istioDuration.optional(),
  retries: retries.optional(),
  fault: fault.optional(),
  mirror: destination.optional(),
  mirrors: z.array(obj({ destination, percentage: percent.optional() })).optional(),
  mirrorPercent: z
    .number()
    .int()
    .min(0, "mirrorPercent must be 0..100")
    .max(100, "mirrorPercent must be 0..100")
    .optional(),
  mirrorPercentage: percent.optional(),
  corsPolicy: corsPolicy.optional(),
  headers: headers.optional(),
}).superRefine((r, ctx) => {
  const actions = (["route", "redirect", "directResponse", "delegate"] as const).filter((k) =>
    k === "route" ? (r.route ?? []).length > 0 : r[k] !== undefined,
  );
  if (actions.length === 0)
    ctx.addIssue({
      code: "custom",
      message: "an http route needs one of route, redirect, directResponse or delegate",
    });
  else if (actions.length > 1)
    ctx.addIssue({
      code: "custom",
      path: [actions[1]!],
      message: `only one of route, redirect, directResponse and delegate may be set (found ${actions.join(" and ")})`,
    });
  for (const action of ["redirect", "directResponse"] as const) {
    if (!r[action]) continue;
    if (r.rewrite)
      ctx.addIssue({
        code: "custom",
        path: ["rewrite"],
        message: `rewrite cannot be combined with ${action}`,
      });
    if (r.fault)
      ctx.addIssue({ code: "custom", path: ["fault"], message: `fault cannot be combined with ${action}` });
  }
  if (r.mirror && r.mirrors)
    ctx.addIssue({ code: "custom", path: ["mirrors"], message: "only one of mirror and mirrors may be set" });
  routeWeights(r.route ?? [], ctx, "route");
  // Authority may be rewritten in one place only (validateAuthorityRewrite).
  const authoritySetters = [
    ...(r.rewrite?.authority ? ["rewrite.authority"] : []),
    ...Object.keys(r.headers?.request?.set ?? {})
      .filter(isAuthority)
      .map((h) => `headers.request.set["${h}"]`),
    ...Object.keys(r.headers?.request?.add ?? {})
      .filter(isAuthority)
      .map((h) => `headers.request.add["${h}"]`),
  ];
  if (authoritySetters.length > 1)
    ctx.addIssue({
      code: "custom",
      path: ["headers"],
      message: `the authority is rewritten more than once (${authoritySetters.join(", ")}); keep one`,
    });
});

export type HTTPRoute = z.infer<typeof httpRoute>;
