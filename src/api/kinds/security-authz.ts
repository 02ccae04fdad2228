/**
 * security.istio.io AuthorizationPolicy (v1, v1beta1): who may do what to which workloads.
 * Field rules follow Istio's validation (pkg/config/validation ValidateAuthorizationPolicy and
 * pkg/config/security): no empty values, no empty `from`/`to`/`source`/`operation`, IPs and
 * CIDRs in ip blocks, numeric ports, known `when` keys, CUSTOM only with a provider.
 */
import { z } from "zod";
import { defineKind, type Report } from "./define.js";
import { enumOf, isCidrOrIp, nonEmpty, obj } from "../schema/primitives.js";
import { didYouMean } from "../suggest.js";
import {
  checkTargeting,
  matchValues,
  targetingShape,
  targetRefDeprecation,
  DRY_RUN_ANNOTATION,
  warnEmptySelector,
  whenClean,
  wildcardProblem,
} from "./security-common.js";
import { classifyWhenKey, portProblem, serviceAccountProblem, whenKeyNames } from "./security-attributes.js";

// z.custom rather than z.string: an unquoted port (a YAML number) is the common mistake, and this
// message must reach the user whatever the framework does with type errors.
const portString = z
  .custom<string>((v) => typeof v === "string", {
    error: 'ports are strings here: quote the number, e.g. "8080"',
  })
  .superRefine((v, ctx) => {
    const problem = portProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const ipBlock = z.string({ error: "must be an IP address or CIDR string" }).refine(isCidrOrIp, {
  error: (iss) => `"${String(iss.input)}" is not an IP address or CIDR (e.g. "10.1.0.0/16")`,
});

const serviceAccountRef = z.string().superRefine((v, ctx) => {
  const problem = serviceAccountProblem(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/**
 * A path value: an Istio string match, or an Envoy URI template when it holds `{*}` or `{**}`
 * (Istio CheckValidPathTemplate): each segment is then a plain literal or exactly `{*}`/`{**}`,
 * and `{**}` comes last.
 */
export function pathProblem(v: string): string | undefined {
  if (v === "") return "empty value not allowed";
  if (!v.includes("{*}") && !v.includes("{**}")) return wildcardProblem(v);
  let sawAny = false;
  for (const seg of v.replace(/^\/+|\/+$/g, "").split("/")) {
    if (seg === "{*}" || seg === "{**}") {
      if (sawAny) return `"${v}": {**} must be the last operator in a path template`;
      sawAny = seg === "{**}";
      continue;
    }
    if (/[{}]/.test(seg))
      return `"${v}": '{' and '}' may only appear as a whole segment {*} or {**} in a path template`;
    if (!/^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/.test(seg))
      return `"${v}": segment "${seg}" is not a plain literal; a path template allows no '*' outside {*} and {**}`;
  }
  return undefined;
}

const pathValue = z.string({ error: "must be a string" }).superRefine((v, ctx) => {
  const problem = pathProblem(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const sourceFields = [
  "principals",
  "notPrincipals",
  "requestPrincipals",
  "notRequestPrincipals",
  "namespaces",
  "notNamespaces",
  "ipBlocks",
  "notIpBlocks",
  "remoteIpBlocks",
  "notRemoteIpBlocks",
  "serviceAccounts",
  "notServiceAccounts",
] as const;

const source = obj({
  principals: matchValues.optional(),
  notPrincipals: matchValues.optional(),
  requestPrincipals: matchValues.optional(),
  notRequestPrincipals: matchValues.optional(),
  namespaces: matchValues.optional(),
  notNamespaces: matchValues.optional(),
  ipBlocks: z.array(ipBlock).optional(),
  notIpBlocks: z.array(ipBlock).optional(),
  remoteIpBlocks: z.array(ipBlock).optional(),
  notRemoteIpBlocks: z.array(ipBlock).optional(),
  serviceAccounts: z.array(serviceAccountRef).max(16, "at most 16 service accounts").optional(),
  notServiceAccounts: z.array(serviceAccountRef).max(16, "at most 16 service accounts").optional(),
}).superRefine((s, ctx) => {
  if (sourceFields.every((f) => (s[f] ?? []).length === 0))
    ctx.addIssue({
      code: "custom",
      message:
        "source must not be empty: set principals, namespaces, ipBlocks or another source field (or drop the `from` entry to match any source)",
    });
  const sa = (s.serviceAccounts ?? []).length + (s.notServiceAccounts ?? []).length > 0;
  const idOrNs = ["principals", "notPrincipals", "namespaces", "notNamespaces"] as const;
  if (sa && idOrNs.some((f) => (s[f] ?? []).length > 0))
    ctx.addIssue({
      code: "custom",
      path: [(s.serviceAccounts ?? []).length > 0 ? "serviceAccounts" : "notServiceAccounts"],
      message: "serviceAccounts cannot be combined with principals or namespaces in one source",
    });
}, whenClean);

const operationFields = [
  "hosts",
  "notHosts",
  "ports",
  "notPorts",
  "methods",
  "notMethods",
  "paths",
  "notPaths",
] as const;

const operation = obj({
  hosts: matchValues.optional(),
  notHosts: matchValues.optional(),
  ports: z.array(portString).optional(),
  notPorts: z.array(portString).optional(),
  methods: matchValues.optional(),
  notMethods: matchValues.optional(),
  paths: z.array(pathValue).optional(),
  notPaths: z.array(pathValue).optional(),
}).superRefine((o, ctx) => {
  if (operationFields.every((f) => (o[f] ?? []).length === 0))
    ctx.addIssue({
      code: "custom",
      message:
        "operation must not be empty: set ports, paths, methods, hosts or their not* forms (or drop the `to` entry to match any operation)",
    });
}, whenClean);

const condition = obj({
  key: nonEmpty,
  values: z.array(z.string()).optional(),
  notValues: z.array(z.string()).optional(),
}).superRefine((c, ctx) => {
  const attr = classifyWhenKey(c.key);
  if ("error" in attr) {
    ctx.addIssue({
      code: "custom",
      path: ["key"],
      message: attr.error + (attr.unknown ? didYouMean(c.key, whenKeyNames) : ""),
    });
    return;
  }
  if ((c.values ?? []).length === 0 && (c.notValues ?? []).length === 0) {
    ctx.addIssue({ code: "custom", message: `set values or notValues for key ${c.key}` });
    return;
  }
  for (const field of ["values", "notValues"] as const)
    (c[field] ?? []).forEach((v, i) => {
      const problem = attr.check(v);
      if (problem) ctx.addIssue({ code: "custom", path: [field, i], message: problem });
    });
}, whenClean);

const rule = obj({
  from: z
    .array(obj({ source }))
    .min(1, "from must not be empty: omit it to match any source")
    .max(512, "at most 512 sources")
    .optional(),
  to: z.array(obj({ operation })).min(1, "to must not be empty: omit it to match any operation").optional(),
  when: z.array(condition).optional(),
});

const actions = ["ALLOW", "DENY", "AUDIT", "CUSTOM"] as const;

// Source fields and `when` keys the CUSTOM action cannot use (Istio: not supported with CUSTOM).
const customUnsupportedSource = [
  "namespaces",
  "notNamespaces",
  "serviceAccounts",
  "notServiceAccounts",
  "principals",
  "notPrincipals",
  "requestPrincipals",
  "notRequestPrincipals",
] as const;
function customUnsupportedKey(key: string): boolean {
  return (
    key === "source.namespace" ||
    key === "source.serviceAccount" ||
    key === "source.principal" ||
    key.startsWith("request.auth.")
  );
}

export const authorizationPolicySpec = obj({
  ...targetingShape,
  action: enumOf(actions).default("ALLOW"),
  provider: obj({ name: z.string().optional() }).optional(),
  rules: z.array(rule).max(512, "at most 512 rules").optional(),
})
  .superRefine((spec, ctx) => checkTargeting(spec, ctx))
  .superRefine((spec, ctx) => {
    const noRules = (spec.rules ?? []).length === 0;
    if (spec.action === "CUSTOM") {
      if (!spec.provider?.name)
        ctx.addIssue({
          code: "custom",
          path: spec.provider ? ["provider", "name"] : ["provider"],
          message: "action CUSTOM needs provider.name: the name of an extension provider in the mesh config",
        });
      if (noRules)
        ctx.addIssue({
          code: "custom",
          path: ["rules"],
          message:
            "a CUSTOM policy without rules never triggers: add rules (a rule `{}` matches every request)",
        });
      (spec.rules ?? []).forEach((r, i) => {
        (r.from ?? []).forEach((f, j) => {
          for (const field of customUnsupportedSource)
            if ((f.source[field] ?? []).length > 0)
              ctx.addIssue({
                code: "custom",
                path: ["rules", i, "from", j, "source", field],
                message: `${field} is not supported with action CUSTOM`,
              });
        });
        (r.when ?? []).forEach((w, k) => {
          if (customUnsupportedKey(w.key))
            ctx.addIssue({
              code: "custom",
              path: ["rules", i, "when", k, "key"],
              message: `condition ${w.key} is not supported with action CUSTOM`,
            });
        });
      });
    } else if (spec.provider) {
      ctx.addIssue({
        code: "custom",
        path: ["provider"],
        message: `provider is only used with action CUSTOM (action is ${spec.action})`,
      });
    }
    if (spec.action === "DENY" && noRules)
      ctx.addIssue({
        code: "custom",
        path: ["rules"],
        message: "a DENY policy without rules never triggers: add rules (a rule `{}` matches every request)",
      });
  }, whenClean);

export type AuthorizationPolicySpec = z.output<typeof authorizationPolicySpec>;

// What Go's strconv.ParseBool accepts, which is how Istio reads the dry-run annotation.
const goBools = new Set(["true", "false", "True", "False", "TRUE", "FALSE", "1", "0", "t", "f", "T", "F"]);

// Source fields Istio counts as usable on TCP traffic (everything but request principals).
const connectionSourceFields = sourceFields.filter(
  (f) => f !== "requestPrincipals" && f !== "notRequestPrincipals",
);

function checkAuthorizationPolicy(
  spec: AuthorizationPolicySpec,
  annotations: Record<string, string>,
  report: Report,
) {
  warnEmptySelector(spec, report);
  const dryRun = annotations[DRY_RUN_ANNOTATION];
  // Istio's webhook (checkDryRunAnnotation): a boolean, and only for ALLOW and DENY policies.
  if (dryRun !== undefined && !goBools.has(dryRun))
    report(
      ["metadata", "annotations", DRY_RUN_ANNOTATION],
      `annotation ${DRY_RUN_ANNOTATION} must be "true" or "false", not "${dryRun}"`,
    );
  else if (dryRun !== undefined && spec.action !== "ALLOW" && spec.action !== "DENY")
    report(
      ["metadata", "annotations", DRY_RUN_ANNOTATION],
      `annotation ${DRY_RUN_ANNOTATION} only works with action ALLOW or DENY, not ${spec.action}`,
    );
  (spec.rules ?? []).forEach((r, i) => {
    (r.to ?? []).forEach((t, j) => {
      for (const field of ["methods", "notMethods"] as const)
        (t.operation[field] ?? []).forEach((m, k) => {
          if (m !== m.toUpperCase())
            report(
              ["spec", "rules", i, "to", j, "operation", field, k],
              `HTTP methods are case-sensitive: "${m}" does not match "${m.toUpperCase()}" requests`,
              { severity: "warning", code: "SUSPICIOUS_VALUE" },
            );
        });
    });
    if (spec.action !== "DENY") return;
    // Istio's warning: HTTP-only attributes cannot be checked on TCP traffic, and a DENY rule treats
    // what it cannot check as matched, so such a rule denies every TCP connection in scope.
    const from = r.from ?? [];
    const to = r.to ?? [];
    const tcpInFrom = from.some((f) => connectionSourceFields.some((k) => f.source[k] !== undefined));
    const tcpInTo = to.some((t) => t.operation.ports !== undefined || t.operation.notPorts !== undefined);
    if ((from.length > 0 && to.length === 0 && !tcpInFrom) || (to.length > 0 && !tcpInTo))
      report(
        ["spec", "rules", i],
        "this DENY rule uses only HTTP attributes, so it also denies every plain TCP connection in scope; add ports to limit it",
        { severity: "warning", code: "DENY_HTTP_ONLY" },
      );
  });
}

defineKind({
  group: "security.istio.io",
  kind: "AuthorizationPolicy",
  versions: ["v1", "v1beta1"],
  namespaced: true,
  // A policy without spec is valid in Istio: it allows nothing.
  spec: authorizationPolicySpec.prefault({}),
  check: (ap, report) =>
    checkAuthorizationPolicy(ap.spec as AuthorizationPolicySpec, ap.metadata.annotations ?? {}, report),
  deprecations: [targetRefDeprecation],
  description:
    "Istio AuthorizationPolicy: ALLOW/DENY/AUDIT/CUSTOM rules on sources, operations and conditions.",
});
