/**
 * Field schemas of the mesh config that are more than a type: trust domains, exportTo lists,
 * timeouts with Istio's bounds, TLS settings, locality load balancing, the retry default, the
 * proxy defaults Ambit reads, and Ambit's own settings. Assembled in meshconfig-schema.ts.
 */
import { z } from "zod";
import { DNS_LABEL, DNS_LABEL_SOURCE } from "../../common/dns-names.js";
import { duration, enumOf, nonEmpty, obj, parseDurationMs, port } from "../schema/primitives.js";
import { whenClean } from "./security-common.js";

/** A trust domain: DNS labels joined by dots (Istio: ValidateTrustDomain). */
export const trustDomain = z.string().superRefine((v, ctx) => {
  const labels = v.split(".");
  if (labels.length > 1 && labels.at(-1) === "") labels.pop();
  if (v === "" || labels.some((l) => !DNS_LABEL.test(l)))
    ctx.addIssue({
      code: "custom",
      message: `"${v}" is not a trust domain: use lower-case DNS labels joined by dots, e.g. cluster.local`,
    });
});

// An exportTo entry: "*" all namespaces, "." this namespace, "~" none, or a namespace name.
const exportToEntry = new RegExp(String.raw`^(\*|\.|~|${DNS_LABEL_SOURCE})$`);
export const exportTo = z.array(z.string().regex(exportToEntry, 'use "*", ".", "~" or a namespace name'));

export const connectTimeout = duration.superRefine((v, ctx) => {
  const ms = parseDurationMs(v);
  if (ms !== undefined && ms > 3_600_000)
    ctx.addIssue({ code: "custom", message: `connectTimeout "${v}" is too long: the maximum is 1h` });
});

/** A duration where "0s" is allowed and means "off" (protocolDetectionTimeout). */
export const durationOrZero = z.string().superRefine((v, ctx) => {
  if (parseDurationMs(v) === 0) return;
  const r = duration.safeParse(v);
  if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: "custom", message: i.message });
});

export const tcpKeepalive = obj({
  probes: z.number().int().min(0, "must not be negative").optional(),
  time: duration.optional(),
  interval: duration.optional(),
});

export const tlsConfig = obj({
  minProtocolVersion: enumOf(["TLS_AUTO", "TLSV1_2", "TLSV1_3"]).optional(),
  ecdhCurves: z.array(z.string()).optional(),
  cipherSuites: z.array(z.string()).optional(),
});

// Istio: ValidECDHCurves and ValidCipherSuites (pkg/config/security); others are dropped with a warning.
export const knownCurves = new Set([
  "P-224",
  "P-256",
  "P-384",
  "P-521",
  "X25519",
  "X25519Kyber768Draft00",
  "X25519MLKEM768",
]);
export const knownCiphers = new Set([
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "ECDHE-ECDSA-AES128-SHA",
  "ECDHE-RSA-AES128-SHA",
  "ECDHE-ECDSA-AES256-SHA",
  "ECDHE-RSA-AES256-SHA",
  "AES128-GCM-SHA256",
  "AES256-GCM-SHA384",
  "AES128-SHA",
  "AES256-SHA",
  "DES-CBC3-SHA",
]);

export const localityLbSetting = obj({
  enabled: z.boolean().optional(),
  // from locality -> (to locality -> weight)
  distribute: z.array(obj({ from: nonEmpty, to: z.record(z.string(), z.number().int()) })).optional(),
  failover: z.array(obj({ from: nonEmpty, to: nonEmpty })).optional(),
  failoverPriority: z.array(z.string()).optional(),
}).superRefine((lb, ctx) => {
  if ((lb.distribute ?? []).length > 0 && (lb.failover ?? []).length > 0)
    ctx.addIssue({
      code: "custom",
      path: ["failover"],
      message: "distribute and failover cannot both be set",
    });
  (lb.distribute ?? []).forEach((d, i) => {
    const weights = Object.values(d.to);
    if (weights.some((w) => w < 1 || w > 100))
      ctx.addIssue({
        code: "custom",
        path: ["distribute", i, "to"],
        message: "locality weights must be from 1 to 100",
      });
    else if (weights.reduce((a, b) => a + b, 0) !== 100)
      ctx.addIssue({
        code: "custom",
        path: ["distribute", i, "to"],
        message: "locality weights must add up to 100",
      });
  });
  (lb.failover ?? []).forEach((f, i) => {
    if (f.from === f.to)
      ctx.addIssue({
        code: "custom",
        path: ["failover", i],
        message: "failover from and to must be different regions",
      });
  });
}, whenClean);

export const httpRetry = obj({
  attempts: z.number().int().min(0, "must not be negative").optional(),
  perTryTimeout: duration.optional(),
  retryOn: z.string().optional(),
  retryRemoteLocalities: z.boolean().optional(),
  retryIgnorePreviousHosts: z.boolean().optional(),
  backoff: duration.optional(),
});

/**
 * Istio's ProxyConfig (defaultConfig). Ambit runs no sidecars, so it reads little of it: the fields
 * listed are typed, and the many others Istio defines pass through unchecked.
 */
export const proxyConfig = z.looseObject({
  discoveryAddress: z.string().optional(),
  meshId: z.string().optional(),
  // environment variable -> value, given to every proxy
  proxyMetadata: z.record(z.string(), z.string({ error: "proxyMetadata values must be strings" })).optional(),
  concurrency: z.number().int().min(0, "must not be negative").optional(),
  drainDuration: duration.optional(),
  terminationDrainDuration: duration.optional(),
  holdApplicationUntilProxyStarts: z.boolean().optional(),
  statusPort: port.optional(),
  proxyAdminPort: port.optional(),
});

/**
 * Ambit's own settings. Istio has no mesh-config field for workload certificate lifetimes: istiod
 * takes them from its environment (DEFAULT_WORKLOAD_CERT_TTL, default 24h; MAX_WORKLOAD_CERT_TTL,
 * default 90 days). Ambit has no such deployment-level knobs on every platform it runs on (local
 * mode, hosts), so they live here, in the one configuration every mode reads, under a key of
 * their own so that no Istio field name is taken.
 */
export const ambitSettings = obj({
  workloadCertTTL: duration.default("24h"),
  maxWorkloadCertTTL: duration.default("2160h"),
}).superRefine((a, ctx) => {
  if (parseDurationMs(a.workloadCertTTL)! > parseDurationMs(a.maxWorkloadCertTTL)!)
    ctx.addIssue({
      code: "custom",
      path: ["workloadCertTTL"],
      message: `workloadCertTTL ${a.workloadCertTTL} is longer than maxWorkloadCertTTL ${a.maxWorkloadCertTTL}`,
    });
}, whenClean);
