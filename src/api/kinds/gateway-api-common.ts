/**
 * Types shared by the gateway.networking.k8s.io kinds: names, references, hostnames, header
 * filters, mirrors, backend references. Limits, patterns and defaults are those of the Gateway
 * API CRDs (kubernetes-sigs/gateway-api apis/v1/{shared_types,object_reference_types,
 * httproute_types}.go, kubebuilder markers and CEL rules); messages are ours.
 */
import { z } from "zod";
import {
  DNS_LABEL_UNBOUNDED,
  DNS_SUBDOMAIN_UNBOUNDED,
  DNS_SUBDOMAIN_UNBOUNDED_SOURCE,
} from "../../common/dns-names.js";
import { enumOf, gatewayDuration, obj, port } from "../schema/primitives.js";
import { re2Error } from "./networking-common.js";

// Shapes only: the schemas below check the lengths themselves, with their own messages.
const subdomainRe = DNS_SUBDOMAIN_UNBOUNDED;
const wildcardHostnameRe = new RegExp(String.raw`^(\*\.)?${DNS_SUBDOMAIN_UNBOUNDED_SOURCE}$`);

export const objectName = z
  .string({ error: "name is required" })
  .min(1, "name must not be empty")
  .max(253, "name must be at most 253 characters");
export const gwNamespace = z
  .string()
  .regex(DNS_LABEL_UNBOUNDED, "namespace must be a DNS-1123 label")
  .max(63, "namespace must be at most 63 characters");
export const sectionName = z
  .string()
  .regex(subdomainRe, "must be lower-case letters, digits, '-' and '.' (a DNS-1123 subdomain)")
  .max(253, "must be at most 253 characters");
export const group = z
  .string()
  .refine((v) => v === "" || subdomainRe.test(v), { message: 'group must be "" (core) or a DNS subdomain' })
  .refine((v) => v.length <= 253, { message: "group must be at most 253 characters" });
export const kindName = z
  .string()
  .regex(/^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/, "kind must be a Kubernetes kind name, e.g. Service")
  .max(63, "kind must be at most 63 characters");

/** Hostname: lower-case RFC 1123 name, optionally "*." first; no IP addresses. */
export const hostname = z
  .string()
  .max(253, "hostname must be at most 253 characters")
  .regex(
    wildcardHostnameRe,
    'hostname must be a lower-case DNS name, optionally starting with "*." (IP addresses are not allowed)',
  );
export const preciseHostname = z
  .string()
  .max(253, "hostname must be at most 253 characters")
  .regex(subdomainRe, "hostname must be a lower-case DNS name without wildcard");
export const hostnames = z.array(hostname).max(16, "at most 16 hostnames");

export const headerName = z
  .string()
  .min(1, "header name must not be empty")
  .max(256, "header name must be at most 256 characters")
  .regex(/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/, "invalid header name: use letters, digits and !#$%&'*+-.^_`|~");

/** GEP-2257 duration ("10s", "1h30m", "500ms"). */
export const duration = gatewayDuration;
/** Milliseconds of a GEP-2257 duration. */
export function gwDurationMs(d: string): number {
  let total = 0;
  for (const m of d.matchAll(/(\d+)(h|ms|m|s)/g)) {
    const n = Number(m[1]);
    total += m[2] === "h" ? n * 3_600_000 : m[2] === "m" ? n * 60_000 : m[2] === "s" ? n * 1000 : n;
  }
  return total;
}

/** A regex for RegularExpression matches; the dialect is implementation-specific, Ambit's is RE2 (as Istio's). */
export function regexIssue(value: string, ctx: z.RefinementCtx, path: (string | number)[]): void {
  const err = re2Error(value);
  if (err) ctx.addIssue({ code: "custom", path, message: err });
}

export const parentRef = obj({
  group: group.default("gateway.networking.k8s.io"),
  kind: kindName.default("Gateway"),
  namespace: gwNamespace.optional(),
  name: objectName,
  sectionName: sectionName.optional(),
  port: port.optional(),
});
export type ParentRef = z.infer<typeof parentRef>;

/**
 * parentRefs: at most 32; references to the same parent must each name a different sectionName
 * or port, and either all set them or none (CommonRouteSpec CEL rules).
 */
export const parentRefs = z
  .array(parentRef)
  .max(32, "at most 32 parentRefs")
  .superRefine((refs, ctx) => {
    const key = (p: ParentRef) => `${p.group}/${p.kind}/${p.namespace ?? ""}/${p.name}`;
    refs.forEach((p, i) => {
      const same = refs.slice(0, i).filter((q) => key(q) === key(p));
      if (same.length === 0) return;
      const shape = (q: ParentRef) => `${q.sectionName !== undefined}/${q.port !== undefined}`;
      if (same.some((q) => shape(q) !== shape(p)))
        ctx.addIssue({
          code: "custom",
          path: [i],
          message: `parentRefs to ${p.kind} "${p.name}" must all set sectionName (or port), or none of them`,
        });
      else if (same.some((q) => q.sectionName === p.sectionName && q.port === p.port))
        ctx.addIssue({ code: "custom", path: [i], message: `duplicate parentRef to ${p.kind} "${p.name}"` });
    });
  });

const backendObjectFields = {
  group: group.default(""),
  kind: kindName.default("Service"),
  name: objectName,
  namespace: gwNamespace.optional(),
  port: port.optional(),
};
/** A Service in the core group needs a port (BackendObjectReference CEL rule). */
function needsPort(
  r: { group: string; kind: string; port?: number | undefined },
  ctx: z.RefinementCtx,
): void {
  if (r.group === "" && r.kind === "Service" && r.port === undefined)
    ctx.addIssue({
      code: "custom",
      path: ["port"],
      message: "a Service backend needs a port (the Service port, not the target port)",
    });
}
export const backendObjectRef = obj(backendObjectFields).superRefine(needsPort);

export const weight = z
  .number()
  .int("weight must be a whole number")
  .min(0, "weight must be between 0 and 1000000")
  .max(1_000_000, "weight must be between 0 and 1000000");

/** BackendRef fields (object reference + weight), for routes to add `filters` to. */
export const backendRefFields = { ...backendObjectFields, weight: weight.default(1) };
export { needsPort };

export const secretObjectRef = obj({
  group: group.default(""),
  kind: kindName.default("Secret"),
  name: objectName,
  namespace: gwNamespace.optional(),
});
export const localObjectRef = obj({ group: group.default(""), kind: kindName, name: objectName });
export const objectRef = obj({ group, kind: kindName, name: objectName, namespace: gwNamespace.optional() });

const headerValue = z
  .string()
  .min(1, "value must not be empty")
  .max(4096, "value must be at most 4096 characters");
const headerList = z
  .array(obj({ name: headerName, value: headerValue }))
  .max(16, "at most 16 headers")
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((h, i) => {
      if (seen.has(h.name))
        ctx.addIssue({ code: "custom", path: [i, "name"], message: `header "${h.name}" is listed twice` });
      seen.add(h.name);
    });
  });

/** RequestHeaderModifier / ResponseHeaderModifier. One action per header name. */
export const headerFilter = obj({
  set: headerList.optional(),
  add: headerList.optional(),
  remove: z.array(headerName).max(16, "at most 16 headers").optional(),
}).superRefine((f, ctx) => {
  const seen = new Map<string, string>(); // lower-case name -> action that uses it
  for (const action of ["set", "add", "remove"] as const)
    (f[action] ?? []).forEach((h, i) => {
      const name = typeof h === "string" ? h : h.name;
      const other = seen.get(name.toLowerCase());
      if (other && other !== action)
        ctx.addIssue({
          code: "custom",
          path: [action, i],
          message: `header "${name}" is already in ${other}: only one action per header`,
        });
      else if (other && action === "remove")
        ctx.addIssue({ code: "custom", path: [action, i], message: `header "${name}" is listed twice` });
      seen.set(name.toLowerCase(), action);
    });
});

export const requestMirror = obj({
  backendRef: backendObjectRef,
  percent: z.number().int().min(0, "percent must be 0..100").max(100, "percent must be 0..100").optional(),
  fraction: obj({
    numerator: z.number().int().min(0, "numerator must not be negative"),
    denominator: z.number().int().min(1, "denominator must be at least 1").default(100),
  })
    .superRefine((f, ctx) => {
      if (f.numerator > f.denominator)
        ctx.addIssue({
          code: "custom",
          path: ["numerator"],
          message: "numerator must not exceed denominator",
        });
    })
    .optional(),
}).superRefine((m, ctx) => {
  if (m.percent !== undefined && m.fraction)
    ctx.addIssue({
      code: "custom",
      path: ["fraction"],
      message: "only one of percent and fraction may be set",
    });
});

/**
 * Filter objects are unions keyed by `type`: the member named after the type is required and
 * the others are forbidden (HTTPRouteFilter / GRPCRouteFilter CEL rules).
 */
export function filterUnion<const T extends readonly [string, ...string[]], S extends z.ZodRawShape>(
  members: Record<T[number], keyof S & string>,
  types: T,
  shape: S,
) {
  return obj({ type: enumOf(types), ...shape }).superRefine((f, ctx) => {
    const rec = f as Record<string, unknown>;
    const type = rec.type as T[number];
    const own = members[type];
    if (rec[own] === undefined)
      ctx.addIssue({ code: "custom", path: [own], message: `filter type ${type} needs ${own}` });
    for (const [t, m] of Object.entries(members) as [string, string][])
      if (t !== type && rec[m] !== undefined)
        ctx.addIssue({
          code: "custom",
          path: [m],
          message: `${m} does not belong in a filter of type ${type} (use type ${t})`,
        });
  });
}

/** Filter types that may appear at most once in one list. */
export function noRepeats(types: readonly string[]) {
  return (filters: readonly { type: string }[], ctx: z.RefinementCtx) => {
    for (const t of types) {
      const at = filters.map((f, i) => (f.type === t ? i : -1)).filter((i) => i >= 0);
      if (at.length > 1)
        ctx.addIssue({ code: "custom", path: [at[1]!], message: `the ${t} filter may appear only once` });
    }
  };
}

export const sessionPersistence = obj({
  sessionName: z.string().max(128, "sessionName must be at most 128 characters").optional(),
  absoluteTimeout: duration.optional(),
  idleTimeout: duration.optional(),
  type: enumOf(["Cookie", "Header"]).default("Cookie"),
  cookieConfig: obj({ lifetimeType: enumOf(["Permanent", "Session"]).default("Session") }).optional(),
}).superRefine((s, ctx) => {
  if (s.cookieConfig?.lifetimeType === "Permanent" && !s.absoluteTimeout)
    ctx.addIssue({
      code: "custom",
      path: ["absoluteTimeout"],
      message: "a Permanent cookie needs absoluteTimeout",
    });
});

/** Rule names are optional but unique within a route. */
export function uniqueRuleNames(rules: readonly { name?: string | undefined }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (r.name === undefined) return;
    if (seen.has(r.name))
      ctx.addIssue({ code: "custom", path: [i, "name"], message: `rule name "${r.name}" is used twice` });
    seen.add(r.name);
  });
}

/** At most 128 matches over all rules of a route. */
export function matchBudget(
  rules: readonly { matches?: readonly unknown[] | undefined }[],
  ctx: z.RefinementCtx,
): void {
  const total = rules.reduce((s, r) => s + (r.matches?.length ?? 0), 0);
  if (total > 128)
    ctx.addIssue({ code: "custom", message: `the rules have ${total} matches in all; the limit is 128` });
}
