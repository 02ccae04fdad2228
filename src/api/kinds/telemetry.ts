/**
 * telemetry.istio.io Telemetry (v1, v1alpha1): which providers receive traces, metrics and access
 * logs for the selected workloads, with sampling, custom span tags, metric tag overrides and log
 * filters. Rules follow Istio's CRD schema and ValidateTelemetry.
 */
import { z } from "zod";
import { defineKind } from "./define.js";
import { duration, enumOf, exactlyOne, nonEmpty, obj } from "../schema/primitives.js";
import {
  checkTargeting,
  rejectDryRun,
  targetingShape,
  targetRefDeprecation,
  warnEmptySelector,
  whenClean,
} from "./security-common.js";

const trafficMode = enumOf(["CLIENT_AND_SERVER", "CLIENT", "SERVER"]);

/** A reference to a provider defined in the mesh config's extensionProviders. */
const providerRef = obj({ name: nonEmpty });

const customTag = obj({
  literal: obj({ value: nonEmpty }).optional(),
  environment: obj({ name: nonEmpty, defaultValue: z.string().optional() }).optional(),
  header: obj({ name: nonEmpty, defaultValue: z.string().optional() }).optional(),
  formatter: obj({ value: nonEmpty }).optional(),
}).superRefine(
  (t, ctx) => exactlyOne(t, ["literal", "environment", "header", "formatter"], ctx, { required: true }),
  whenClean,
);

const tracing = obj({
  match: obj({ mode: trafficMode.default("CLIENT_AND_SERVER") }).optional(),
  providers: z.array(providerRef).optional(),
  randomSamplingPercentage: z
    .number({ error: "must be a number from 0 to 100" })
    .min(0, "randomSamplingPercentage must be between 0 and 100")
    .max(100, "randomSamplingPercentage must be between 0 and 100")
    .optional(),
  disableSpanReporting: z.boolean({ error: "must be true or false" }).optional(),
  // tag name -> where its value comes from
  customTags: z.record(z.string().min(1, "tag name must not be empty"), customTag).optional(),
  useRequestIdForTraceSampling: z.boolean({ error: "must be true or false" }).optional(),
  enableIstioTags: z.boolean({ error: "must be true or false" }).optional(),
});

export const METRICS = [
  "ALL_METRICS",
  "REQUEST_COUNT",
  "REQUEST_DURATION",
  "REQUEST_SIZE",
  "RESPONSE_SIZE",
  "TCP_OPENED_CONNECTIONS",
  "TCP_CLOSED_CONNECTIONS",
  "TCP_SENT_BYTES",
  "TCP_RECEIVED_BYTES",
  "GRPC_REQUEST_MESSAGES",
  "GRPC_RESPONSE_MESSAGES",
] as const;

const tagOverride = obj({
  operation: enumOf(["UPSERT", "REMOVE"]).default("UPSERT"),
  value: z.string().optional(),
}).superRefine((t, ctx) => {
  if (t.operation === "UPSERT" && !t.value)
    ctx.addIssue({ code: "custom", path: ["value"], message: "value is required when operation is UPSERT" });
  if (t.operation === "REMOVE" && t.value !== undefined)
    ctx.addIssue({
      code: "custom",
      path: ["value"],
      message: "value must not be set when operation is REMOVE",
    });
}, whenClean);

const metricsOverride = obj({
  match: obj({
    metric: enumOf(METRICS).optional(),
    customMetric: z.string().min(1, "customMetric must not be empty").optional(),
    mode: trafficMode.default("CLIENT_AND_SERVER"),
  })
    .superRefine((m, ctx) => exactlyOne(m, ["metric", "customMetric"], ctx), whenClean)
    .optional(),
  disabled: z.boolean({ error: "must be true or false" }).optional(),
  // metric tag (label) name -> change
  tagOverrides: z.record(z.string().min(1, "tag name must not be empty"), tagOverride).optional(),
});

const metrics = obj({
  providers: z.array(providerRef).optional(),
  overrides: z.array(metricsOverride).optional(),
  reportingInterval: duration.optional(),
});

const accessLogging = obj({
  match: obj({ mode: trafficMode.default("CLIENT_AND_SERVER") }).optional(),
  providers: z.array(providerRef).optional(),
  disabled: z.boolean({ error: "must be true or false" }).optional(),
  // A CEL expression over request/connection attributes, e.g. response.code >= 400.
  filter: obj({ expression: z.string().min(1, "filter.expression must not be empty") }).optional(),
});

export const telemetrySpec = obj({
  ...targetingShape,
  tracing: z.array(tracing).optional(),
  metrics: z.array(metrics).optional(),
  accessLogging: z.array(accessLogging).optional(),
}).superRefine((spec, ctx) => checkTargeting(spec, ctx));

export type TelemetrySpec = z.output<typeof telemetrySpec>;

defineKind({
  group: "telemetry.istio.io",
  kind: "Telemetry",
  versions: ["v1", "v1alpha1"],
  namespaced: true,
  spec: telemetrySpec.prefault({}),
  check: (t, report) => {
    const spec = t.spec as TelemetrySpec;
    rejectDryRun(t, report);
    warnEmptySelector(spec, report);
    // Istio warns on both: the proxies take one tracing configuration and one provider.
    if ((spec.tracing ?? []).length > 1)
      report(["spec", "tracing"], "only the first tracing entry is used; merge them into one", {
        severity: "warning",
        code: "UNSUPPORTED_MULTIPLE",
      });
    (spec.tracing ?? []).forEach((tr, i) => {
      if ((tr.providers ?? []).length > 1)
        report(
          ["spec", "tracing", i, "providers"],
          "only one tracing provider is supported; the first is used",
          {
            severity: "warning",
            code: "UNSUPPORTED_MULTIPLE",
          },
        );
    });
  },
  deprecations: [targetRefDeprecation],
  description:
    "Istio Telemetry: tracing, metrics and access-log providers and their tuning, per workload or mesh.",
});
