/**
 * security.istio.io PeerAuthentication (mTLS mode per mesh, namespace, workload and port) and
 * RequestAuthentication (JWT rules), v1 and v1beta1. Rules follow Istio's CRD schema and
 * validation (ValidatePeerAuthentication, ValidateRequestAuthentication / validateJwtRule).
 */
import { createPublicKey, type JsonWebKey } from "node:crypto";
import { z } from "zod";
import { defineKind } from "./define.js";
import { duration, enumOf, nonEmpty, obj, workloadSelector } from "../schema/primitives.js";
import {
  checkTargeting,
  headerName,
  rejectDryRun,
  targetingShape,
  targetRefDeprecation,
  warnEmptySelector,
  whenClean,
} from "./security-common.js";

// ---- PeerAuthentication ----

const mtlsMode = enumOf(["UNSET", "DISABLE", "PERMISSIVE", "STRICT"]);

export const peerAuthenticationSpec = obj({
  selector: workloadSelector.optional(),
  mtls: obj({ mode: mtlsMode.default("UNSET") }).optional(),
  // port number (as a string key) -> mode for that port
  portLevelMtls: z.record(z.string(), obj({ mode: mtlsMode.default("UNSET") })).optional(),
}).superRefine((spec, ctx) => {
  if (spec.portLevelMtls === undefined) return;
  const ports = Object.keys(spec.portLevelMtls);
  if (ports.length === 0)
    ctx.addIssue({
      code: "custom",
      path: ["portLevelMtls"],
      message: "portLevelMtls must name at least one port (remove it to use mtls for every port)",
    });
  for (const p of ports)
    if (!/^[0-9]+$/.test(p) || Number(p) < 1 || Number(p) > 65535)
      ctx.addIssue({
        code: "custom",
        path: ["portLevelMtls", p],
        message: `"${p}" is not a port: portLevelMtls keys are port numbers from 1 to 65535`,
      });
  // Istio: "portLevelMtls requires selector" — per-port modes need the workload's ports, so a
  // namespace-wide or mesh-wide policy (no selector labels) cannot have them.
  if (ports.length > 0 && Object.keys(spec.selector?.matchLabels ?? {}).length === 0)
    ctx.addIssue({
      code: "custom",
      path: ["portLevelMtls"],
      message:
        "portLevelMtls needs a selector with matchLabels: mesh-wide and namespace-wide policies cannot set per-port modes",
    });
}, whenClean);

export type PeerAuthenticationSpec = z.output<typeof peerAuthenticationSpec>;

defineKind({
  group: "security.istio.io",
  kind: "PeerAuthentication",
  versions: ["v1", "v1beta1"],
  namespaced: true,
  spec: peerAuthenticationSpec.prefault({}),
  check: (pa, report) => {
    const spec = pa.spec as PeerAuthenticationSpec;
    rejectDryRun(pa, report);
    warnEmptySelector(spec, report);
    const disabled: (string | number)[][] = [];
    if (spec.mtls?.mode === "DISABLE") disabled.push(["spec", "mtls", "mode"]);
    for (const [port, m] of Object.entries(spec.portLevelMtls ?? {}))
      if (m.mode === "DISABLE") disabled.push(["spec", "portLevelMtls", port, "mode"]);
    // Ambient: traffic between mesh workloads always travels in mTLS tunnels (HBONE), so DISABLE
    // can only mean "also accept plaintext", which is what PERMISSIVE does.
    for (const p of disabled)
      report(
        p,
        "DISABLE acts as PERMISSIVE in ambient mode: mesh traffic stays mutual TLS and plaintext is also accepted",
        { severity: "warning", code: "AMBIENT_BEHAVIOUR" },
      );
  },
  description:
    "Istio PeerAuthentication: require (STRICT) or allow (PERMISSIVE) mutual TLS, per workload and port.",
});

// ---- RequestAuthentication ----

/** Why `text` is not a usable JSON Web Key Set (RFC 7517), or undefined. */
export function jwksProblem(text: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `jwks is not valid JSON: ${(e as Error).message}`;
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    return 'jwks must be a JSON object {"keys": [...]}';
  const set = doc as Record<string, unknown>;
  // Istio's parser (lestrrat-go/jwx) also takes a single bare key.
  const keys: unknown[] = "keys" in set ? (Array.isArray(set.keys) ? set.keys : []) : [set];
  if ("keys" in set && !Array.isArray(set.keys)) return "jwks.keys must be an array of keys";
  if (keys.length === 0) return "jwks has no keys: no token could ever verify";
  for (const [i, key] of keys.entries()) {
    if (typeof key !== "object" || key === null || Array.isArray(key))
      return `jwks key ${i} is not an object`;
    const k = key as Record<string, unknown>;
    if (typeof k.kty !== "string") return `jwks key ${i} has no "kty"`;
    if (k.kty === "oct") {
      if (typeof k.k !== "string" || !/^[A-Za-z0-9_-]+$/.test(k.k))
        return `jwks key ${i} (oct) needs "k", the base64url-encoded secret`;
      continue;
    }
    if (!["RSA", "EC", "OKP"].includes(k.kty))
      return `jwks key ${i} has unsupported kty "${k.kty}" (use RSA, EC, OKP or oct)`;
    try {
      createPublicKey({ key: k as JsonWebKey, format: "jwk" });
    } catch (e) {
      return `jwks key ${i} (${k.kty}) is not a valid key: ${(e as Error).message}`;
    }
  }
  return undefined;
}

function urlProblem(v: string): string | undefined {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return `"${v}" is not a URL: use e.g. https://issuer.example.com/.well-known/jwks.json`;
  }
  return u.protocol === "http:" || u.protocol === "https:"
    ? undefined
    : `"${v}": the scheme must be http or https`;
}

const jwksUri = z
  .string()
  .min(1, "must not be empty")
  .max(2048, "must be at most 2048 characters")
  .superRefine((v, ctx) => {
    const problem = urlProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const claimToHeader = obj({
  header: z
    .string()
    .min(1, "must not be empty")
    .regex(/^[-_A-Za-z0-9]+$/, "header names here are letters, digits, '-' and '_'"),
  claim: nonEmpty,
});

const nonEmptyList = z.array(z.string().min(1, "empty value not allowed"));

const jwtRule = obj({
  issuer: z.string().min(1, "must not be empty").optional(),
  audiences: nonEmptyList.optional(),
  jwksUri: jwksUri.optional(),
  // The CRD also accepts the proto name; same meaning as jwksUri.
  jwks_uri: jwksUri.optional(),
  jwks: z
    .string()
    .superRefine((v, ctx) => {
      const problem = jwksProblem(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
  fromHeaders: z.array(obj({ name: headerName, prefix: z.string().optional() })).optional(),
  fromParams: nonEmptyList.optional(),
  fromCookies: nonEmptyList.optional(),
  outputPayloadToHeader: headerName.optional(),
  forwardOriginalToken: z.boolean({ error: "must be true or false" }).optional(),
  outputClaimToHeaders: z.array(claimToHeader).optional(),
  timeout: duration.optional(),
  spaceDelimitedClaims: nonEmptyList.max(64, "at most 64 claims").optional(),
})
  .superRefine((r, ctx) => {
    const set = (["jwksUri", "jwks_uri", "jwks"] as const).filter((f) => r[f] !== undefined);
    if (set.length > 1)
      ctx.addIssue({
        code: "custom",
        path: [set[1]!],
        message: `only one of jwksUri and jwks may be set (found ${set.join(" and ")})`,
      });
  })
  .superRefine((r, ctx) => {
    // The proto marks issuer required; Istio's validation also accepts a rule whose keys come from jwksUri.
    if (!r.issuer && !r.jwksUri && !r.jwks_uri)
      ctx.addIssue({ code: "custom", path: ["issuer"], message: "issuer is required" });
  }, whenClean);

export const requestAuthenticationSpec = obj({
  ...targetingShape,
  jwtRules: z.array(jwtRule).max(4096, "at most 4096 rules").optional(),
}).superRefine((spec, ctx) => checkTargeting(spec, ctx));

export type RequestAuthenticationSpec = z.output<typeof requestAuthenticationSpec>;

defineKind({
  group: "security.istio.io",
  kind: "RequestAuthentication",
  versions: ["v1", "v1beta1"],
  namespaced: true,
  spec: requestAuthenticationSpec.prefault({}),
  check: (ra, report) => {
    const spec = ra.spec as RequestAuthenticationSpec;
    rejectDryRun(ra, report);
    warnEmptySelector(spec, report);
    (spec.jwtRules ?? []).forEach((r, i) => {
      if (!r.issuer)
        report(
          ["spec", "jwtRules", i],
          "no issuer: tokens from any issuer are accepted when the keys at jwksUri verify them; set issuer",
          { severity: "warning", code: "JWT_NO_ISSUER" },
        );
    });
  },
  deprecations: [
    targetRefDeprecation,
    { path: "spec.jwtRules.*.jwks_uri", message: "jwks_uri is the proto spelling: write jwksUri" },
  ],
  description:
    "Istio RequestAuthentication: JWT validation rules (issuer, keys, token locations, claim headers).",
});
