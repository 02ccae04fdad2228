/**
 * DestinationRule (networking.istio.io): traffic policy for a service — load balancing,
 * connection pool (circuit breaking), outlier detection, client TLS — per port and per subset.
 * Rules: istio/istio pkg/config/validation/validation.go (validateTrafficPolicy and friends) and
 * agent/validation.go (ValidateTLS, ValidateLocalityLbSetting).
 */
import { z } from "zod";
import { defineKind, type Report } from "./define.js";
import type { Resource } from "../resource.js";
import { enumOf, exactlyOne, labels, nonEmpty, obj, port, workloadSelector } from "../schema/primitives.js";
import {
  checkExportTo,
  exportTo,
  fqdnError,
  isIpAddress,
  durationOrZero,
  istioDuration,
  portSelector,
  serviceHost,
  subsetName,
  uint32,
} from "./networking-common.js";

const percentInt = (what: string) =>
  z
    .number()
    .int(`${what} must be a whole number`)
    .min(0, `${what} must be 0..100`)
    .max(100, `${what} must be 0..100`);

function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n < 4) return true;
  if (n % 2 === 0) return false;
  for (let f = 3; f * f <= n; f += 2) if (n % f === 0) return false;
  return true;
}

const consistentHash = obj({
  httpHeaderName: nonEmpty.optional(),
  httpCookie: obj({
    name: z.string().min(1, "the cookie needs a name"),
    path: z.string().optional(),
    ttl: durationOrZero.optional(),
    attributes: z.array(obj({ name: nonEmpty, value: z.string().optional() })).optional(),
  }).optional(),
  useSourceIp: z.boolean().optional(),
  httpQueryParameterName: nonEmpty.optional(),
  ringHash: obj({ minimumRingSize: uint32.optional() }).optional(),
  maglev: obj({
    tableSize: z
      .number()
      .int()
      .refine(isPrime, { message: "maglev tableSize must be a prime number, e.g. 65537" })
      .refine((n) => n < 5000011, { message: "maglev tableSize must be less than 5000011" }),
  }).optional(),
  minimumRingSize: uint32.optional(),
}).superRefine((h, ctx) => {
  exactlyOne(h, ["httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName"], ctx, {
    required: true,
  });
  exactlyOne(h, ["ringHash", "maglev"], ctx);
  if (h.minimumRingSize !== undefined && (h.ringHash || h.maglev))
    ctx.addIssue({
      code: "custom",
      path: ["minimumRingSize"],
      message: "minimumRingSize cannot be combined with ringHash or maglev; use ringHash.minimumRingSize",
    });
});

const locality = z.string().regex(/^[^/]+(\/[^/]+){0,2}$/, "a locality is region[/zone[/subzone]]");
const localityLbSetting = obj({
  distribute: z
    .array(
      obj({
        from: locality,
        to: z.record(locality, z.number().int().min(1, "weights are 1..100").max(100, "weights are 1..100")),
      }).superRefine((d, ctx) => {
        const total = Object.values(d.to).reduce((s, w) => s + w, 0);
        if (total !== 100)
          ctx.addIssue({ code: "custom", path: ["to"], message: `the weights add up to ${total}, not 100` });
      }),
    )
    .optional(),
  failover: z
    .array(
      obj({ from: z.string(), to: z.string() }).superRefine((f, ctx) => {
        if (f.from === f.to)
          ctx.addIssue({ code: "custom", message: "failover from and to must be different regions" });
        if ([f.from, f.to].some((r) => r.includes("/") || r.includes("*")))
          ctx.addIssue({ code: "custom", message: "failover takes regions only (no '/' or '*')" });
      }),
    )
    .optional(),
  failoverPriority: z.array(nonEmpty).optional(),
  enabled: z.boolean().optional(),
}).superRefine((l, ctx) => {
  if (l.distribute?.length && l.failover?.length)
    ctx.addIssue({
      code: "custom",
      path: ["failover"],
      message: "distribute and failover cannot both be set",
    });
});

const loadBalancer = obj({
  simple: enumOf([
    "UNSPECIFIED",
    "LEAST_CONN",
    "RANDOM",
    "PASSTHROUGH",
    "ROUND_ROBIN",
    "LEAST_REQUEST",
  ]).optional(),
  consistentHash: consistentHash.optional(),
  localityLbSetting: localityLbSetting.optional(),
  warmupDurationSecs: istioDuration.optional(),
  warmup: obj({
    duration: istioDuration,
    minimumPercent: z.number().min(0).max(100).optional(),
    aggression: z.number().min(1, "aggression must be at least 1").optional(),
  }).optional(),
}).superRefine((lb, ctx) => {
  exactlyOne(lb, ["simple", "consistentHash"], ctx);
  exactlyOne(lb, ["warmupDurationSecs", "warmup"], ctx);
});

const connectionPool = obj({
  tcp: obj({
    maxConnections: uint32.optional(),
    connectTimeout: istioDuration.optional(),
    tcpKeepalive: obj({
      probes: uint32.optional(),
      time: istioDuration.optional(),
      interval: istioDuration.optional(),
    }).optional(),
    maxConnectionDuration: istioDuration.optional(),
    idleTimeout: istioDuration.optional(),
  }).optional(),
  http: obj({
    http1MaxPendingRequests: uint32.optional(),
    http2MaxRequests: uint32.optional(),
    maxRequestsPerConnection: uint32.optional(),
    maxRetries: uint32.optional(),
    idleTimeout: istioDuration.optional(),
    h2UpgradePolicy: enumOf(["DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"]).optional(),
    useClientProtocol: z.boolean().optional(),
    maxConcurrentStreams: uint32.optional(),
  })
    .superRefine((h, ctx) => {
      if (h.h2UpgradePolicy === "UPGRADE" && h.useClientProtocol)
        ctx.addIssue({
          code: "custom",
          path: ["useClientProtocol"],
          message: "useClientProtocol cannot be true with h2UpgradePolicy UPGRADE",
        });
    })
    .optional(),
}).superRefine((c, ctx) => {
  if (!c.tcp && !c.http)
    ctx.addIssue({ code: "custom", message: "connectionPool needs tcp or http settings" });
});

const outlierDetection = obj({
  splitExternalLocalOriginErrors: z.boolean().optional(),
  consecutiveLocalOriginFailures: uint32.optional(),
  consecutiveGatewayErrors: uint32.optional(),
  consecutive5xxErrors: uint32.optional(),
  interval: istioDuration.optional(),
  baseEjectionTime: istioDuration.optional(),
  maxEjectionPercent: percentInt("maxEjectionPercent").optional(),
  minHealthPercent: percentInt("minHealthPercent").optional(),
  consecutiveErrors: uint32.optional(),
}).superRefine((o, ctx) => {
  if (!o.splitExternalLocalOriginErrors && (o.consecutiveLocalOriginFailures ?? 0) > 0)
    ctx.addIssue({
      code: "custom",
      path: ["consecutiveLocalOriginFailures"],
      message: "consecutiveLocalOriginFailures needs splitExternalLocalOriginErrors: true",
    });
});

/** Client TLS towards the destination (ClientTLSSettings, agent.ValidateTLS). */
const clientTls = obj({
  mode: enumOf(["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"]).default("DISABLE"),
  clientCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  caCertificates: z.string().optional(),
  credentialName: z.string().optional(),
  subjectAltNames: z.array(z.string()).optional(),
  sni: z.string().optional(),
  insecureSkipVerify: z.boolean().optional(),
  caCrl: z.string().optional(),
}).superRefine((t, ctx) => {
  const files = (["clientCertificate", "privateKey", "caCertificates", "caCrl"] as const).filter((f) => t[f]);
  if ((t.mode === "SIMPLE" || t.mode === "MUTUAL") && t.credentialName) {
    if (files.length > 0)
      ctx.addIssue({
        code: "custom",
        path: [files[0]!],
        message: `${files[0]} cannot be combined with credentialName`,
      });
    return;
  }
  if (t.insecureSkipVerify && (t.caCertificates || t.subjectAltNames))
    ctx.addIssue({
      code: "custom",
      path: ["insecureSkipVerify"],
      message: "insecureSkipVerify cannot be combined with caCertificates or subjectAltNames",
    });
  if (t.mode === "MUTUAL")
    for (const f of ["clientCertificate", "privateKey"] as const)
      if (!t[f])
        ctx.addIssue({
          code: "custom",
          path: [f],
          message: `${f} is required for MUTUAL (or set credentialName)`,
        });
});

const policyFields = {
  loadBalancer: loadBalancer.optional(),
  connectionPool: connectionPool.optional(),
  outlierDetection: outlierDetection.optional(),
  tls: clientTls.optional(),
};
const notEmpty =
  (fields: readonly string[], what: string) => (p: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if (fields.every((f) => p[f] === undefined))
      ctx.addIssue({ code: "custom", message: `${what} needs at least one of ${fields.join(", ")}` });
  };

const portTrafficPolicy = obj({ port: portSelector, ...policyFields }).superRefine(
  notEmpty(["loadBalancer", "connectionPool", "outlierDetection", "tls"], "a port-level policy"),
);

const trafficPolicy = obj({
  ...policyFields,
  portLevelSettings: z.array(portTrafficPolicy).optional(),
  tunnel: obj({
    protocol: enumOf(["CONNECT", "POST"]).optional(),
    targetHost: z.string().refine((h) => isIpAddress(h) || !fqdnError(h), {
      message: "targetHost must be a domain name or an IP address",
    }),
    targetPort: port,
  }).optional(),
  proxyProtocol: obj({ version: enumOf(["V1", "V2"]).optional() }).optional(),
  retryBudget: obj({
    percent: z.number().min(0).max(100).optional(),
    minRetryConcurrency: uint32.optional(),
  }).optional(),
}).superRefine((p, ctx) => {
  notEmpty(
    [
      "loadBalancer",
      "connectionPool",
      "outlierDetection",
      "tls",
      "portLevelSettings",
      "tunnel",
      "proxyProtocol",
      "retryBudget",
    ],
    "trafficPolicy",
  )(p, ctx);
  if (p.tunnel && p.proxyProtocol)
    ctx.addIssue({
      code: "custom",
      path: ["proxyProtocol"],
      message: "tunnel and proxyProtocol cannot both be set",
    });
  const ports = new Set<number>();
  (p.portLevelSettings ?? []).forEach((s, i) => {
    if (ports.has(s.port.number))
      ctx.addIssue({
        code: "custom",
        path: ["portLevelSettings", i, "port"],
        message: `port ${s.port.number} is listed twice`,
      });
    ports.add(s.port.number);
  });
});

const destinationRuleSpec = obj({
  host: serviceHost,
  trafficPolicy: trafficPolicy.optional(),
  subsets: z
    .array(obj({ name: subsetName, labels: labels.optional(), trafficPolicy: trafficPolicy.optional() }))
    .optional(),
  exportTo: exportTo({ allowNone: false }).optional(),
  workloadSelector: workloadSelector.optional(),
}).superRefine((dr, ctx) => {
  const seen = new Set<string>();
  (dr.subsets ?? []).forEach((s, i) => {
    if (seen.has(s.name))
      ctx.addIssue({
        code: "custom",
        path: ["subsets", i, "name"],
        message: `duplicate subset name "${s.name}"`,
      });
    seen.add(s.name);
  });
});

export type DestinationRuleSpec = z.infer<typeof destinationRuleSpec>;
export type TrafficPolicy = z.infer<typeof trafficPolicy>;

function checkDestinationRule(dr: Resource, report: Report): void {
  const spec = dr.spec as DestinationRuleSpec;
  const ns = dr.metadata.namespace ?? "default";
  checkExportTo(spec.exportTo, ns, report);
  if (spec.workloadSelector) {
    if (Object.keys(spec.workloadSelector.matchLabels ?? {}).length === 0)
      report(
        ["spec", "workloadSelector"],
        "workloadSelector has no labels, so it selects every workload in the namespace",
        {
          severity: "warning",
        },
      );
    // A rule scoped to some workloads is only visible in its own namespace (validateExportTo).
    if ((spec.exportTo ?? []).some((e) => e !== "." && e !== ns))
      report(
        ["spec", "exportTo"],
        "a DestinationRule with workloadSelector can only be exported to its own namespace",
      );
  }
  const top: [TrafficPolicy | undefined, Path][] = [
    [spec.trafficPolicy, ["spec", "trafficPolicy"]],
    ...(spec.subsets ?? []).map((s, i): [TrafficPolicy | undefined, Path] => [
      s.trafficPolicy,
      ["spec", "subsets", i, "trafficPolicy"],
    ]),
  ];
  for (const [p, at] of top) {
    if (!p) continue;
    checkPolicy(p, at, report);
    (p.portLevelSettings ?? []).forEach((pl, i) => checkPolicy(pl, [...at, "portLevelSettings", i], report));
  }
}

type Path = (string | number)[];

function checkPolicy(p: Omit<TrafficPolicy, "portLevelSettings">, at: Path, report: Report): void {
  if (p.loadBalancer?.simple === "LEAST_CONN")
    report([...at, "loadBalancer", "simple"], "LEAST_CONN is deprecated: use LEAST_REQUEST", {
      severity: "warning",
    });
  const locality = p.loadBalancer?.localityLbSetting;
  if ((locality?.failover?.length || locality?.failoverPriority?.length) && !p.outlierDetection)
    report(
      [...at, "loadBalancer", "localityLbSetting"],
      "locality failover works only with outlierDetection set",
      {
        severity: "warning",
      },
    );
}

defineKind({
  group: "networking.istio.io",
  kind: "DestinationRule",
  versions: ["v1", "v1beta1", "v1alpha3"],
  namespaced: true,
  spec: destinationRuleSpec,
  check: checkDestinationRule,
  deprecations: [
    {
      path: "spec.**.outlierDetection.consecutiveErrors",
      message:
        "outlierDetection.consecutiveErrors is deprecated: use consecutive5xxErrors or consecutiveGatewayErrors",
    },
    {
      path: "spec.**.consistentHash.minimumRingSize",
      message: "consistentHash.minimumRingSize is deprecated: use consistentHash.ringHash.minimumRingSize",
    },
  ],
  description:
    "Istio traffic policy for a service: load balancing, circuit breaking, outlier detection, TLS, subsets.",
});
