/**
 * The mesh config schema (Istio MeshConfig, mesh/v1alpha1/config.proto) with Istio's defaults
 * (pkg/config/mesh DefaultMeshConfig). Typed fields first, then the Istio fields Ambit accepts
 * without interpreting, then Ambit's own `ambit` block.
 */
import { z } from "zod";
import { DNS_LABEL } from "../../common/dns-names.js";
import { duration, enumOf, labelSelector, nonEmpty, obj, port } from "../schema/primitives.js";
import { whenClean } from "./security-common.js";
import {
  ambitSettings,
  connectTimeout,
  durationOrZero,
  exportTo,
  httpRetry,
  localityLbSetting,
  proxyConfig,
  tcpKeepalive,
  tlsConfig,
  trustDomain,
} from "./meshconfig-fields.js";
import { extensionProvider, providerDeprecations, wildcardHostProblem } from "./meshconfig-providers.js";

const opaque = z.unknown().optional();

export const meshConfigSchema = obj({
  // --- typed and used by Ambit ---
  trustDomain: trustDomain.default("cluster.local"),
  trustDomainAliases: z.array(trustDomain).default([]),
  rootNamespace: z
    .string()
    .regex(DNS_LABEL, "rootNamespace must be a namespace name")
    .default("istio-system"),
  defaultConfig: proxyConfig.default({}),
  outboundTrafficPolicy: obj({ mode: enumOf(["REGISTRY_ONLY", "ALLOW_ANY"]).default("ALLOW_ANY") }).prefault(
    {},
  ),
  inboundTrafficPolicy: obj({ mode: enumOf(["PASSTHROUGH", "LOCALHOST"]).default("PASSTHROUGH") }).prefault(
    {},
  ),
  extensionProviders: z.array(extensionProvider).default([]),
  defaultProviders: obj({
    tracing: z.array(nonEmpty).optional(),
    metrics: z.array(nonEmpty).optional(),
    accessLogging: z.array(nonEmpty).optional(),
  }).default({}),
  enableTracing: z.boolean().default(true),
  accessLogFile: z.string().default(""),
  accessLogFormat: z.string().default(""),
  accessLogEncoding: enumOf(["TEXT", "JSON"]).default("TEXT"),
  defaultServiceExportTo: exportTo.default(["*"]),
  defaultVirtualServiceExportTo: exportTo.default(["*"]),
  defaultDestinationRuleExportTo: exportTo.default(["*"]),
  ingressClass: z.string().default("istio"),
  ingressService: z.string().default("istio-ingressgateway"),
  ingressControllerMode: enumOf(["UNSPECIFIED", "OFF", "DEFAULT", "STRICT"]).default("STRICT"),
  ingressSelector: z.string().optional(),
  enablePrometheusMerge: z.boolean().default(true),
  enableAutoMtls: z.boolean().default(true),
  discoverySelectors: z.array(labelSelector).optional(),
  meshMTLS: tlsConfig
    .superRefine((t, ctx) => {
      if (t.ecdhCurves !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["ecdhCurves"],
          message: "meshMTLS does not take ecdhCurves (set them in tlsDefaults, for non-mesh TLS)",
        });
    })
    .optional(),
  tlsDefaults: tlsConfig.optional(),
  localityLbSetting: localityLbSetting.default({ enabled: true }),
  protocolDetectionTimeout: durationOrZero.default("0s"),
  connectTimeout: connectTimeout.default("10s"),
  tcpKeepalive: tcpKeepalive.optional(),
  dnsRefreshRate: duration.default("60s"),
  h2UpgradePolicy: enumOf(["DO_NOT_UPGRADE", "UPGRADE"]).default("DO_NOT_UPGRADE"),
  defaultHttpRetryPolicy: httpRetry.optional(),
  caCertificates: z
    .array(
      obj({
        pem: z
          .string()
          .includes("-----BEGIN CERTIFICATE-----", { message: "pem must hold PEM certificates" })
          .optional(),
        spiffeBundleUrl: z.url({ message: "spiffeBundleUrl must be a URL" }).optional(),
        certSigners: z.array(z.string()).optional(),
        trustDomains: z.array(trustDomain).optional(),
      }).superRefine((c, ctx) => {
        if (c.pem !== undefined && c.spiffeBundleUrl !== undefined)
          ctx.addIssue({
            code: "custom",
            path: ["spiffeBundleUrl"],
            message: "only one of pem and spiffeBundleUrl may be set",
          });
      }, whenClean),
    )
    .optional(),
  serviceSettings: z
    .array(
      obj({
        settings: obj({ clusterLocal: z.boolean().optional() }).optional(),
        hosts: z.array(
          z.string().superRefine((h, ctx) => {
            const problem = wildcardHostProblem(h);
            if (problem) ctx.addIssue({ code: "custom", message: problem });
          }),
        ),
      }),
    )
    .optional(),
  serviceScopeConfigs: z
    .array(
      obj({
        namespaceSelector: labelSelector.optional(),
        servicesSelector: labelSelector.optional(),
        scope: enumOf(["LOCAL", "GLOBAL"]),
      }),
    )
    .optional(),
  pathNormalization: obj({
    normalization: enumOf(["DEFAULT", "NONE", "BASE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES"]).default(
      "DEFAULT",
    ),
  }).optional(),
  proxyListenPort: port.default(15001),
  proxyInboundListenPort: port.default(15006),
  proxyHttpPort: port.optional(),
  // --- Istio fields Ambit accepts but does not interpret ---
  enableEnvoyAccessLogService: z.boolean().optional(),
  disableEnvoyListenerLog: z.boolean().optional(),
  inboundClusterStatName: z.string().optional(),
  outboundClusterStatName: z.string().optional(),
  configSources: opaque,
  certificates: opaque,
  verifyCertificateAtClient: z.boolean().optional(),
  ca: opaque,
  compliancePolicy: z.string().optional(),
  // --- Ambit's own settings (see ambitSettings) ---
  ambit: ambitSettings.prefault({}),
}).superRefine((m, ctx) => {
  const seen = new Map<string, number>(); // provider name -> first index
  m.extensionProviders.forEach((p, i) => {
    const first = seen.get(p.name);
    if (first !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["extensionProviders", i, "name"],
        message: `duplicate extension provider name "${p.name}" (also extensionProviders[${first}])`,
      });
    else seen.set(p.name, i);
  });
});

export type MeshConfig = z.output<typeof meshConfigSchema>;

export const meshDeprecations: readonly { path: string; message: string }[] = [
  ...providerDeprecations,
  { path: "certificates", message: "certificates is deprecated in Istio and ignored by Ambit" },
  {
    path: "verifyCertificateAtClient",
    message: "verifyCertificateAtClient is deprecated: certificates are always verified",
  },
];
