/**
 * Building blocks for kind schemas (zod). Field rules follow Istio's validation
 * (pilot/pkg/config/validation): durations at least 1ms, percentages 0..100, ports 1..65535,
 * CIDRs with a valid prefix, DNS-1123 names. Messages say what is expected, with an example.
 */
import { isIP } from "node:net";
import { z } from "zod";
import {
  DNS_LABEL_UNBOUNDED,
  DNS_SUBDOMAIN_UNBOUNDED,
  DNS_SUBDOMAIN_UNBOUNDED_SOURCE,
} from "../../common/dns-names.js";
import { didYouMean } from "../suggest.js";

/**
 * A closed object: fields not in `shape` are errors (validate.ts turns them into "unknown field"
 * findings with the closest valid name).
 */
export function obj<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape);
}

/** A string enum whose error names the valid values and the closest one. */
export function enumOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (iss) =>
      `invalid value ${JSON.stringify(iss.input)}: must be one of ${values.join(", ")}` +
      (typeof iss.input === "string" ? didYouMean(iss.input, values) : ""),
  });
}

export const nonEmpty = z.string().min(1, { message: "must not be empty" });

/** Go/protobuf-style duration: "100ms", "2s", "1m30s", "1.5h". Returns milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  const unitMs: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  if (text.length === 0) return undefined;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * unitMs[m[2]!]!;
    pos = re.lastIndex;
  }
  return total;
}

/** Istio duration (google.protobuf.Duration in YAML): at least 1ms, e.g. "2s", "100ms", "1h". */
export const duration = z.string().superRefine((v, ctx) => {
  const ms = parseDurationMs(v);
  if (ms === undefined)
    ctx.addIssue({
      code: "custom",
      message: `invalid duration "${v}": use a number and unit, e.g. "2s", "100ms", "1h"`,
    });
  else if (ms < 1)
    ctx.addIssue({ code: "custom", message: `duration "${v}" is too short: the minimum is 1ms` });
});

/** Gateway API duration (GEP-2257): 1-4 groups of up to 5 digits with h, m, s or ms, e.g. "10s", "1h30m". */
export const gatewayDuration = z.string().regex(/^([0-9]{1,5}(h|m|s|ms)){1,4}$/, {
  message: 'invalid duration: use e.g. "10s", "500ms", "1h30m" (GEP-2257)',
});

export const port = z
  .number({ error: "must be a port number" })
  .int({ message: "must be a whole number" })
  .min(1, { message: "port must be between 1 and 65535" })
  .max(65535, { message: "port must be between 1 and 65535" });

/** Port given as number or as the name of a container port ("http"). */
export const portOrName = z.union(
  [port, z.string().regex(DNS_LABEL_UNBOUNDED, "must be a port number or an IANA_SVC_NAME")],
  {
    error: "must be a port number (1-65535) or a port name",
  },
);

/** Istio `Percent` message: { value: 0..100 }. */
export const percent = obj({
  value: z
    .number({ error: "must be a number" })
    .min(0, "percentage must be between 0 and 100")
    .max(100, "percentage must be between 0 and 100"),
});

export function isCidrOrIp(text: string): boolean {
  const slash = text.indexOf("/");
  const ip = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) return false;
  if (slash < 0) return true;
  const bits = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

export const ipAddress = z
  .string()
  .refine((v) => isIP(v) !== 0, { message: "must be an IPv4 or IPv6 address" });
export const cidrOrIp = z
  .string()
  .refine(isCidrOrIp, { message: 'must be an IP address or CIDR, e.g. "10.1.0.0/16" or "192.168.0.7"' });
export const cidr = z
  .string()
  .refine((v) => v.includes("/") && isCidrOrIp(v), { message: 'must be a CIDR, e.g. "10.1.0.0/16"' });

/** RFC 1123 label: lower-case alphanumerics and '-', at most 63 characters (namespace, service names). */
export const dnsLabel = z
  .string()
  .max(63, "must be at most 63 characters")
  .regex(
    DNS_LABEL_UNBOUNDED,
    "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit",
  );

/** RFC 1123 subdomain: labels joined by '.', at most 253 characters (most object names). */
export const dnsSubdomain = z
  .string()
  .max(253, "must be at most 253 characters")
  .regex(DNS_SUBDOMAIN_UNBOUNDED, "must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.'");

const labelKey = new RegExp(
  String.raw`^(${DNS_SUBDOMAIN_UNBOUNDED_SOURCE}\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`,
);
const labelValue = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Kubernetes label map: qualified keys, values of at most 63 characters. */
export const labels = z.record(
  z.string().regex(labelKey, "invalid label key: use [prefix/]name with letters, digits, '-', '_' and '.'"),
  z
    .string({ error: "label values must be strings (quote numbers and booleans)" })
    .regex(labelValue, "invalid label value: at most 63 letters, digits, '-', '_' and '.'"),
);

/** Annotations: any string keys and values. */
export const annotations = z.record(
  z.string(),
  z.string({ error: "annotation values must be strings (quote numbers and booleans)" }),
);

/** `selector: { matchLabels: {...} }` as Istio's WorkloadSelector. */
export const workloadSelector = obj({ matchLabels: labels.optional() });

/** Kubernetes LabelSelector (matchLabels and matchExpressions). */
export const labelSelector = obj({
  matchLabels: labels.optional(),
  matchExpressions: z
    .array(
      obj({
        key: nonEmpty,
        operator: enumOf(["In", "NotIn", "Exists", "DoesNotExist"]),
        values: z.array(z.string()).optional(),
      }).superRefine((e, ctx) => {
        const needsValues = e.operator === "In" || e.operator === "NotIn";
        if (needsValues && (e.values ?? []).length === 0)
          ctx.addIssue({
            code: "custom",
            path: ["values"],
            message: `operator ${e.operator} needs at least one value`,
          });
        if (!needsValues && (e.values ?? []).length > 0)
          ctx.addIssue({
            code: "custom",
            path: ["values"],
            message: `operator ${e.operator} takes no values`,
          });
      }),
    )
    .optional(),
});

/** Istio StringMatch: exactly one of exact, prefix, regex. */
export const stringMatch = obj({
  exact: z.string().optional(),
  prefix: z.string().optional(),
  regex: z.string().optional(),
}).superRefine((m, ctx) => exactlyOne(m, ["exact", "prefix", "regex"], ctx, { required: true }));

/** Fails the object when more than one (or, if required, none) of `fields` is set. */
export function exactlyOne(
  value: Record<string, unknown>,
  fields: readonly string[],
  ctx: z.RefinementCtx,
  opts: { required?: boolean } = {},
): void {
  const set = fields.filter((f) => value[f] !== undefined);
  if (set.length > 1)
    ctx.addIssue({
      code: "custom",
      path: [set[1]!],
      message: `only one of ${fields.join(", ")} may be set (found ${set.join(" and ")})`,
    });
  else if (opts.required && set.length === 0)
    ctx.addIssue({ code: "custom", path: [], message: `one of ${fields.join(", ")} is required` });
}

/** Valid regex (RE2 is what Istio uses; JavaScript's syntax is a close check for typos). */
export const regex = z.string().refine(
  (v) => {
    try {
      new RegExp(v);
      return true;
    } catch {
      return false;
    }
  },
  { message: "invalid regular expression" },
);
