/**
 * Mesh config `extensionProviders`: the named tracing, metrics, access-log and external
 * authorization backends that Telemetry and CUSTOM AuthorizationPolicy refer to. Field sets follow
 * istio/api mesh/v1alpha1 MeshConfig.ExtensionProvider; checks follow Istio's
 * pkg/config/validation/agent/extensionprovider.go (service format, port range, statusOnError,
 * pathPrefix, grpc/http exclusivity).
 */
import { z } from "zod";
import { DNS_LABEL } from "../../common/dns-names.js";
import { duration, enumOf, ipAddress, nonEmpty, obj, port } from "../schema/primitives.js";
import { headerName, whenClean } from "./security-common.js";

/** A DNS-1123 host name (labels of lower-case letters, digits and '-'; top-level label not numeric). */
export function fqdnProblem(host: string): string | undefined {
  if (host.length === 0) return "empty host name";
  if (host.length > 255) return `host name "${host}" is longer than 255 characters`;
  const labels = host.split(".");
  if (labels.at(-1) === "") labels.pop(); // "istio.io." is fully qualified
  if (labels.length > 0 && /^[0-9]+$/.test(labels.at(-1)!))
    return `host name "${host}" has an all-numeric top-level label`;
  for (const l of labels) if (!DNS_LABEL.test(l)) return `host name "${host}" has an invalid label "${l}"`;
  return undefined;
}

/** Like fqdnProblem, but the first label may be `*` (`*.example.com`) (Istio: ValidateWildcardDomain). */
export function wildcardHostProblem(host: string): string | undefined {
  if (host === "*") return undefined;
  return fqdnProblem(host.startsWith("*.") ? `x${host.slice(1)}` : host);
}

/**
 * A provider's `service`: `[<namespace>/]<hostname>` where hostname is a Service or ServiceEntry
 * host (or an IP address); with a namespace the host must be a dotted name.
 */
export function providerServiceProblem(service: string): string | undefined {
  if (service === "") return "service must not be empty";
  const slash = service.indexOf("/");
  if (slash < 0) {
    if (fqdnProblem(service) === undefined || ipAddress.safeParse(service).success) return undefined;
    return `service "${service}" is not a host name or IP address (e.g. otel-collector.observability.svc.cluster.local)`;
  }
  const ns = service.slice(0, slash);
  const host = service.slice(slash + 1);
  if (ns === "" || host === "") return `service "${service}": namespace and host must not be empty`;
  if (!["*", ".", "~"].includes(ns) && !DNS_LABEL.test(ns))
    return `service "${service}": "${ns}" is not a namespace name`;
  if (host !== "*" && !host.includes("."))
    return `service "${service}": with a namespace, the host must be fully qualified (e.g. ${ns}/${host}.${ns}.svc.cluster.local)`;
  const problem = wildcardHostProblem(host);
  return problem ? `service "${service}": ${problem}` : undefined;
}

const service = z.string({ error: "service must be a string" }).superRefine((v, ctx) => {
  const problem = providerServiceProblem(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

// Envoy's envoy.type.v3.StatusCode values, which Istio requires of statusOnError (0 is "Empty").
const envoyStatusCodes = new Set([
  0, 100, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401,
  402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 423, 424, 426,
  428, 429, 431, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

const statusOnError = z.string({ error: 'statusOnError is a string, e.g. "503"' }).superRefine((v, ctx) => {
  if (v === "") return;
  if (!/^[0-9]+$/.test(v) || !envoyStatusCodes.has(Number(v)))
    ctx.addIssue({
      code: "custom",
      message: `statusOnError "${v}" is not an HTTP status code Envoy knows, e.g. "403" or "503"`,
    });
});

const maxTagLength = z.number().int("must be a whole number").min(0, "must not be negative");

const requestBody = obj({
  maxRequestBytes: z.number().int().min(0, "must not be negative").optional(),
  allowPartialMessage: z.boolean().optional(),
  packAsBytes: z.boolean().optional(),
});

const httpHeaderValue = obj({ name: headerName, value: z.string() });

const extAuthzHttp = obj({
  service,
  port,
  timeout: duration.optional(),
  pathPrefix: z
    .string()
    .refine((v) => v === "" || v.startsWith("/"), { message: 'pathPrefix must begin with "/"' })
    .optional(),
  failOpen: z.boolean().optional(),
  statusOnError: statusOnError.optional(),
  includeHeadersInCheck: z.array(z.string()).optional(),
  includeRequestHeadersInCheck: z.array(z.string()).optional(),
  // header name -> fixed value
  includeAdditionalHeadersInCheck: z.record(z.string(), z.string()).optional(),
  includeRequestBodyInCheck: requestBody.optional(),
  headersToUpstreamOnAllow: z.array(z.string()).optional(),
  headersToDownstreamOnDeny: z.array(z.string()).optional(),
  headersToDownstreamOnAllow: z.array(z.string()).optional(),
});

const extAuthzGrpc = obj({
  service,
  port,
  timeout: duration.optional(),
  failOpen: z.boolean().optional(),
  statusOnError: statusOnError.optional(),
  includeRequestBodyInCheck: requestBody.optional(),
});

const zipkin = obj({
  service,
  port,
  maxTagLength: maxTagLength.optional(),
  enable64bitTraceId: z.boolean().optional(),
  // Newer Istio: which headers to propagate besides B3.
  traceContextOption: enumOf(["USE_B3", "USE_B3_WITH_W3C_PROPAGATION"]).optional(),
  timeout: duration.optional(),
  headers: z.array(httpHeaderValue).optional(),
});

const opentelemetry = obj({
  service,
  port,
  maxTagLength: maxTagLength.optional(),
  // OTLP over HTTP instead of gRPC.
  http: obj({
    path: nonEmpty,
    timeout: duration.optional(),
    headers: z.array(httpHeaderValue).optional(),
  }).optional(),
  grpc: obj({
    timeout: duration.optional(),
    initialMetadata: z.array(httpHeaderValue).optional(),
  }).optional(),
  resourceDetectors: obj({
    environment: obj({}).optional(),
    dynatrace: obj({}).optional(),
  }).optional(),
  dynatraceSampler: obj({
    tenant: nonEmpty,
    clusterId: z.number().int(),
    httpService: z.unknown().optional(),
    rootSpansPerMinute: z.number().int().min(0).optional(),
  }).optional(),
}).superRefine((o, ctx) => {
  if (o.http && o.grpc)
    ctx.addIssue({
      code: "custom",
      path: ["grpc"],
      message: "only one of http and grpc may be set (traces go over one protocol)",
    });
}, whenClean);

const logFormatLabels = z.record(z.string(), z.unknown());

const envoyFileAccessLog = obj({
  path: z.string().optional(),
  logFormat: obj({ text: z.string().optional(), labels: logFormatLabels.optional() })
    .superRefine((f, ctx) => {
      if (f.text !== undefined && f.labels !== undefined)
        ctx.addIssue({ code: "custom", path: ["labels"], message: "only one of text and labels may be set" });
    }, whenClean)
    .optional(),
});

const alsCommon = {
  service,
  port,
  logName: z.string().optional(),
  filterStateObjectsToLog: z.array(z.string()).optional(),
};

const envoyHttpAls = obj({
  ...alsCommon,
  additionalRequestHeadersToLog: z.array(z.string()).optional(),
  additionalResponseHeadersToLog: z.array(z.string()).optional(),
  additionalResponseTrailersToLog: z.array(z.string()).optional(),
});

const envoyTcpAls = obj(alsCommon);

const envoyOtelAls = obj({
  service,
  port,
  logName: z.string().optional(),
  logFormat: obj({ text: z.string().optional(), labels: logFormatLabels.optional() }).optional(),
});

const datadog = obj({ service, port, maxTagLength: maxTagLength.optional() });
const skywalking = obj({ service, port, accessToken: z.string().optional() });
const lightstep = obj({ service, port, accessToken: nonEmpty, maxTagLength: maxTagLength.optional() });
const opencensus = obj({
  service,
  port,
  context: z.array(enumOf(["W3C_TRACE_CONTEXT", "GRPC_BIN", "CLOUD_TRACE_CONTEXT", "B3"])).optional(),
  maxTagLength: maxTagLength.optional(),
});
const stackdriver = obj({
  debug: z.boolean().optional(),
  maxNumberOfAttributes: z.number().int().optional(),
  maxNumberOfAnnotations: z.number().int().optional(),
  maxNumberOfMessageEvents: z.number().int().optional(),
  maxTagLength: maxTagLength.optional(),
  logging: obj({ labels: z.record(z.string(), z.string()).optional() }).optional(),
});

/** The provider kinds, one of which each extension provider sets. */
export const PROVIDER_KINDS = [
  "envoyExtAuthzHttp",
  "envoyExtAuthzGrpc",
  "zipkin",
  "lightstep",
  "datadog",
  "stackdriver",
  "opencensus",
  "skywalking",
  "opentelemetry",
  "prometheus",
  "envoyFileAccessLog",
  "envoyHttpAls",
  "envoyTcpAls",
  "envoyOtelAls",
] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const extensionProvider = obj({
  name: nonEmpty,
  envoyExtAuthzHttp: extAuthzHttp.optional(),
  envoyExtAuthzGrpc: extAuthzGrpc.optional(),
  zipkin: zipkin.optional(),
  lightstep: lightstep.optional(),
  datadog: datadog.optional(),
  stackdriver: stackdriver.optional(),
  opencensus: opencensus.optional(),
  skywalking: skywalking.optional(),
  opentelemetry: opentelemetry.optional(),
  prometheus: obj({}).optional(),
  envoyFileAccessLog: envoyFileAccessLog.optional(),
  envoyHttpAls: envoyHttpAls.optional(),
  envoyTcpAls: envoyTcpAls.optional(),
  envoyOtelAls: envoyOtelAls.optional(),
}).superRefine((p, ctx) => {
  const set = PROVIDER_KINDS.filter((k) => p[k] !== undefined);
  if (set.length === 0)
    ctx.addIssue({
      code: "custom",
      message: `extension provider "${p.name}" needs one provider block, e.g. opentelemetry, prometheus or envoyFileAccessLog`,
    });
  else if (set.length > 1)
    ctx.addIssue({
      code: "custom",
      path: [set[1]!],
      message: `an extension provider has exactly one provider block (found ${set.join(" and ")}); define two providers`,
    });
}, whenClean);

export type ExtensionProvider = z.output<typeof extensionProvider>;

/** Which provider block `p` sets. */
export function providerKind(p: ExtensionProvider): ProviderKind | undefined {
  return PROVIDER_KINDS.find((k) => p[k] !== undefined);
}

/** Istio's built-in providers, present unless the mesh config redefines the same name. */
export const BUILTIN_PROVIDERS: readonly ExtensionProvider[] = [
  { name: "prometheus", prometheus: {} },
  { name: "stackdriver", stackdriver: {} },
  { name: "envoy", envoyFileAccessLog: { path: "/dev/stdout" } },
];

/** Deprecated provider fields, as dotted globs below the mesh config root. */
export const providerDeprecations: readonly { path: string; message: string }[] = [
  {
    path: "extensionProviders.*.lightstep",
    message: "the lightstep provider is deprecated: use opentelemetry",
  },
  {
    path: "extensionProviders.*.opencensus",
    message: "the opencensus provider is deprecated: use opentelemetry",
  },
  {
    path: "extensionProviders.*.envoyExtAuthzHttp.includeHeadersInCheck",
    message: "includeHeadersInCheck is deprecated: use includeRequestHeadersInCheck",
  },
];
