/**
 * Building blocks shared by the networking.istio.io kinds: host names, exportTo, RE2 regexes,
 * string matches, header operations, destinations. Rules follow Istio's validation
 * (istio/istio pkg/config/validation/validation.go and its agent/ helpers); messages are ours.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { DNS_LABEL_UNBOUNDED } from "../../common/dns-names.js";
import { dnsLabel, duration, exactlyOne, obj, parseDurationMs, port } from "../schema/primitives.js";
import { didYouMean } from "../suggest.js";
import type { Report } from "./define.js";

/** A non-negative whole number (protobuf uint32 / UInt32Value). */
export const uint32 = z
  .number({ error: "must be a number" })
  .int({ message: "must be a whole number" })
  .min(0, { message: "must not be negative" })
  .max(4294967295, { message: "must be at most 4294967295" });

/** Istio duration: the framework's (>= 1ms) plus Istio's millisecond precision (agent.ValidateDuration). */
export const istioDuration = duration.superRefine((v, ctx) => {
  const ms = parseDurationMs(v);
  if (ms !== undefined && ms >= 1 && Math.abs(ms - Math.round(ms)) > 1e-6)
    ctx.addIssue({
      code: "custom",
      message: `duration "${v}" is finer than 1ms: Istio supports millisecond precision`,
    });
});

/** A duration where "0s" also has a meaning (e.g. a session cookie's ttl). */
export const durationOrZero = z.string().superRefine((v, ctx) => {
  if (v === "0s") return;
  const r = istioDuration.safeParse(v);
  if (!r.success)
    for (const issue of r.error.issues) ctx.addIssue({ code: "custom", message: issue.message });
});

const dns1123Label = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
// Istio's labels.IsWildcardDNS1123Label: "*", or a label optionally prefixed by "*" or "*-".
const wildcardLabel = /^(\*|(\*|\*-)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;

/**
 * Why `host` is not a valid (possibly wildcard) domain name, or undefined if it is. Mirrors
 * Istio's ValidateWildcardDomain: a wildcard is allowed only in the leftmost label, the other
 * labels are DNS-1123 labels, the top-level label is not all digits, a trailing dot is allowed.
 */
export function wildcardDomainError(host: string): string | undefined {
  if (host.length === 0) return "host must not be empty";
  if (host.length > 255) return `host "${host.slice(0, 32)}..." is longer than 255 characters`;
  const dot = host.indexOf(".");
  const first = dot < 0 ? host : host.slice(0, dot);
  if (first.length > 63 || !wildcardLabel.test(first))
    return host.includes("*")
      ? `invalid host "${host}": "*" is allowed only as the leftmost label, e.g. "*.example.com"`
      : `invalid host "${host}": "${first}" is not a DNS-1123 label (letters, digits and '-')`;
  if (dot < 0) return undefined;
  return domainLabelsError(host, host.slice(dot + 1));
}

function domainLabelsError(host: string, rest: string): string | undefined {
  const parts = rest.split(".");
  const tld = parts.at(-1) === "" ? parts.at(-2) : parts.at(-1);
  if (tld !== undefined && /^\d+$/.test(tld))
    return `invalid host "${host}": the top-level label "${tld}" cannot be all digits`;
  for (const [i, label] of parts.entries()) {
    if (i === parts.length - 1 && label === "") break; // "istio.io." is allowed
    if (label.length > 63 || !dns1123Label.test(label))
      return label.includes("*")
        ? `invalid host "${host}": "*" is allowed only as the leftmost label, e.g. "*.example.com"`
        : `invalid host "${host}": "${label}" is not a DNS-1123 label (letters, digits and '-')`;
  }
  return undefined;
}

/** Why `host` is not a fully qualified (no wildcard) domain name (Istio's ValidateFQDN). */
export function fqdnError(host: string): string | undefined {
  if (host.includes("*")) return `"${host}" must not contain a wildcard`;
  return wildcardDomainError(host);
}

export const isIpAddress = (v: string): boolean => isIP(v) !== 0;

/** "*.example.com" covers "a.example.com" and "*.b.example.com"; "*" covers everything. */
export function hostCovers(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === h || p === "*") return true;
  if (!p.startsWith("*")) return false;
  const suffix = p.slice(1);
  return h.endsWith(suffix) && h.length > suffix.length;
}

/** A service host (destination, DestinationRule host): a domain name, short name or wildcard, not "*". */
export const serviceHost = z.string().superRefine((v, ctx) => {
  if (v === "*") {
    ctx.addIssue({
      code: "custom",
      message: 'host "*" is not a service; name one, e.g. "reviews" or "*.example.com"',
    });
    return;
  }
  const err = wildcardDomainError(v);
  if (err) ctx.addIssue({ code: "custom", message: err });
});

/** exportTo: ".", "*", a namespace, or (ServiceEntry only) "~". Duplicates and mixes are errors. */
export function exportTo(opts: { allowNone: boolean }) {
  return z
    .array(
      z.string().superRefine((v, ctx) => {
        if (v === "." || v === "*" || (opts.allowNone && v === "~")) return;
        const r = dnsLabel.safeParse(v);
        if (!r.success)
          ctx.addIssue({
            code: "custom",
            message: `invalid exportTo entry "${v}": use ".", "*"${opts.allowNone ? ', "~"' : ""} or a namespace name`,
          });
      }),
    )
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((v, i) => {
        if (seen.has(v))
          ctx.addIssue({ code: "custom", path: [i], message: `duplicate exportTo entry "${v}"` });
        seen.add(v);
      });
      if (list.length > 1 && list.includes("*"))
        ctx.addIssue({
          code: "custom",
          message: 'exportTo "*" already means every namespace; remove the other entries',
        });
      if (list.length > 1 && list.includes("~"))
        ctx.addIssue({
          code: "custom",
          message: 'exportTo "~" (no namespace) cannot be combined with other entries',
        });
    });
}

/** `exportTo: [".", "<own namespace>"]` names the same namespace twice (validateExportTo). */
export function checkExportTo(
  exportTo: readonly string[] | undefined,
  namespace: string,
  report: Report,
): void {
  if (exportTo?.includes(".") && exportTo.includes(namespace))
    report(["spec", "exportTo"], `"." and "${namespace}" are the same namespace; keep one`);
}

/**
 * Why `pattern` is not a regular expression Envoy's RE2 engine accepts, or undefined. JavaScript
 * compiles the pattern after RE2-only syntax is rewritten ((?i) flags, (?P<name>), \A, \z,
 * [[:alpha:]], \pL); constructs RE2 lacks (lookaround, backreferences) are reported. Istio also
 * caps the length at 1024 (validateStringRegexp).
 */
export function re2Error(pattern: string): string | undefined {
  if (pattern.length > 1024) return "regular expression is longer than 1024 characters";
  if (/\(\?<?[=!]/.test(pattern))
    return `invalid regular expression "${pattern}": lookaround is not supported by RE2`;
  if (/(^|[^\\])\\[1-9]/.test(pattern))
    return `invalid regular expression "${pattern}": backreferences are not supported by RE2`;
  const js = pattern
    .replace(/\(\?P</g, "(?<")
    .replace(/\(\?[imsU-]+\)/g, "")
    .replace(/\(\?[imsU-]+:/g, "(?:")
    .replace(/\\A/g, "^")
    .replace(/\\z/g, "$")
    .replace(/\[:\^?[a-z]+:\]/g, "a")
    .replace(/\\[pP](\{[A-Za-z_]+\}|[A-Za-z])/g, ".");
  try {
    new RegExp(js);
    return undefined;
  } catch (e) {
    const why =
      e instanceof Error ? e.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, "") : "";
    return `invalid regular expression "${pattern}"${why ? `: ${why}` : ""} (RE2 syntax)`;
  }
}

export const re2 = z.string().superRefine((v, ctx) => {
  const err = re2Error(v);
  if (err) ctx.addIssue({ code: "custom", message: err });
});

/**
 * Istio StringMatch with Istio's checks: at most one of exact/prefix/regex, prefix non-empty,
 * regex valid RE2. `emptyMeansPresence` allows `{}` (header and query matches: "present").
 */
export function istioStringMatch(opts: { emptyMeansPresence?: boolean; noPrefix?: string } = {}) {
  return obj({
    exact: z.string().optional(),
    prefix: z.string().optional(),
    regex: z.string().optional(),
  }).superRefine((m, ctx) => {
    exactlyOne(m, ["exact", "prefix", "regex"], ctx, { required: !opts.emptyMeansPresence });
    if (m.prefix === "")
      ctx.addIssue({ code: "custom", path: ["prefix"], message: "prefix must not be empty" });
    if (m.prefix !== undefined && opts.noPrefix)
      ctx.addIssue({ code: "custom", path: ["prefix"], message: opts.noPrefix });
    if (m.regex !== undefined) {
      const err = m.regex === "" ? "regex must not be empty" : re2Error(m.regex);
      if (err) ctx.addIssue({ code: "custom", path: ["regex"], message: err });
    }
  });
}

/** HTTP header name as Istio checks it in matches (ValidateHTTPHeaderName). */
export const headerNameRe = /^[-_A-Za-z0-9]+$/;

/**
 * Header manipulation (`headers.request` / `headers.response`). Request set/add may target
 * ":authority"/"host" (an authority rewrite), but no other pseudo-header; request remove and all
 * response operations may not touch "host" or pseudo-headers (Istio's
 * ValidateHTTPHeader{WithAuthority}OperationName). Values must not contain control characters.
 */
function headerOperations(side: "request" | "response") {
  const value = z.string({ error: "header values must be strings (quote numbers and booleans)" }).refine(
    // eslint-disable-next-line no-control-regex
    (v) => !/[\u0000-\u0008\u000A-\u001F\u007F]/.test(v),
    { message: "header values must not contain control characters" },
  );
  return obj({
    set: z.record(z.string(), value).optional(),
    add: z.record(z.string(), value).optional(),
    remove: z.array(z.string()).optional(),
  }).superRefine((ops, ctx) => {
    const check = (name: string, path: (string | number)[], mayTouchAuthority: boolean) => {
      const lower = name.toLowerCase();
      const authority = lower === ":authority" || lower === "host";
      if (name === "") ctx.addIssue({ code: "custom", path, message: "header name must not be empty" });
      else if (mayTouchAuthority && authority) return;
      else if (lower === "host")
        ctx.addIssue({ code: "custom", path, message: `header "${name}" cannot be changed here` });
      else if (name.startsWith(":"))
        ctx.addIssue({ code: "custom", path, message: `pseudo-header "${name}" cannot be changed` });
    };
    for (const op of ["set", "add"] as const)
      for (const name of Object.keys(ops[op] ?? {})) check(name, [op, name], side === "request");
    (ops.remove ?? []).forEach((name, i) => check(name, ["remove", i], false));
  });
}

export const headers = obj({
  request: headerOperations("request").optional(),
  response: headerOperations("response").optional(),
});

export const portSelector = obj({ number: port });

/** Subset names are DNS-1123 labels (validateSubsetName). */
export const subsetName = z
  .string()
  .min(1, "subset name must not be empty")
  .regex(DNS_LABEL_UNBOUNDED, "subset names are DNS-1123 labels: lower-case letters, digits and '-'")
  .max(63, "subset names are at most 63 characters");

export const destination = obj({
  host: serviceHost,
  subset: subsetName.optional(),
  port: portSelector.optional(),
});

/** The values Istio's retryOn accepts (validation.go supportedRetryOnPolicies), plus status codes. */
export const retryOnPolicies = [
  "5xx",
  "gateway-error",
  "reset",
  "reset-before-request",
  "connect-failure",
  "retriable-4xx",
  "refused-stream",
  "retriable-status-codes",
  "retriable-headers",
  "envoy-ratelimited",
  "http3-post-connect-failure",
  "cancelled",
  "deadline-exceeded",
  "internal",
  "resource-exhausted",
  "unavailable",
] as const;

/** gRPC status names Istio accepts for fault aborts (pkg/util/grpc SupportedGRPCStatus). */
export const grpcStatusNames = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

export const httpMethods = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
] as const;

/** Istio Port (Gateway servers): number, protocol, name; protocol names are case-insensitive. */
export const istioProtocols = [
  "HTTP",
  "HTTPS",
  "GRPC",
  "GRPC-WEB",
  "HTTP2",
  "MONGO",
  "REDIS",
  "MYSQL",
  "TCP",
  "TLS",
  "UDP",
  "HTTP_PROXY",
] as const;
export type IstioProtocol = (typeof istioProtocols)[number];

/** Protocol name as Istio parses it (protocol.Parse ignores case), or undefined if unknown. */
export function parseProtocol(p: string): IstioProtocol | undefined {
  return istioProtocols.find((k) => k === p.toUpperCase());
}
export const isHttpProtocol = (p: IstioProtocol | undefined): boolean =>
  p === "HTTP" || p === "HTTP2" || p === "GRPC" || p === "GRPC-WEB" || p === "HTTP_PROXY";
export const isTlsProtocol = (p: IstioProtocol | undefined): boolean => p === "HTTPS" || p === "TLS";

/** A port protocol as Istio parses it (case-insensitive). */
export const istioProtocol = z.string().superRefine((v, ctx) => {
  if (parseProtocol(v) === undefined)
    ctx.addIssue({
      code: "custom",
      message:
        `unsupported protocol "${v}": use one of ${istioProtocols.join(", ")}` +
        didYouMean(v.toUpperCase(), istioProtocols),
    });
});

/** Milliseconds of an already-validated duration. */
export const ms = (d: string): number => parseDurationMs(d) ?? 0;
