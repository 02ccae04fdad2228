/**
 * Pieces the security.istio.io and telemetry.istio.io kinds share: where a policy applies
 * (`selector`, `targetRef`, `targetRefs`), Istio's string-match values, and a refinement option
 * that keeps cross-field rules quiet while the fields they read are still wrong.
 *
 * Candidates for schema/primitives.ts (the lead may move them): `whenClean`, `matchValue`,
 * `policyTargetRef`, `targetingShape`, `checkTargeting`, `isHttpToken`.
 */
import { z } from "zod";
import { DNS_SUBDOMAIN_UNBOUNDED_SOURCE } from "../../common/dns-names.js";
import type { Report } from "./define.js";
import type { Resource } from "../resource.js";
import { nonEmpty, obj, workloadSelector } from "../schema/primitives.js";
import { didYouMean } from "../suggest.js";

/**
 * Refinement option: run a cross-field rule only when the object parsed cleanly. Without it, an
 * unknown field (`principal` for `principals`) would also read as "source must not be empty".
 */
export const whenClean = { when: (p: { issues: readonly unknown[] }) => p.issues.length === 0 };

/**
 * Istio's rule values match exactly, by prefix (`abc*`), by suffix (`*abc`) or by presence (`*`);
 * the proxies compare any other `*` literally (pilot authz matcher), which never does what the
 * author meant, so Ambit rejects it.
 */
export function wildcardProblem(v: string): string | undefined {
  const stars = v.split("*").length - 1;
  if (stars === 0 || v === "*") return undefined;
  if (stars === 1 && (v.startsWith("*") || v.endsWith("*"))) return undefined;
  return `"${v}": '*' is a wildcard only as the whole value ("*"), at the start ("*abc") or at the end ("abc*"); elsewhere it would be compared literally`;
}

/** One value of an Istio string match: non-empty, wildcard only at an end. */
export const matchValue = z
  .string({ error: "must be a string (quote numbers)" })
  .min(1, "empty value not allowed")
  .superRefine((v, ctx) => {
    const problem = wildcardProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const matchValues = z.array(matchValue);

/** RFC 9110 token: what an HTTP header name may contain. */
export function isHttpToken(name: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name);
}

export const headerName = nonEmpty.refine(isHttpToken, {
  message: "invalid HTTP header name: use letters, digits and !#$%&'*+-.^_`|~ (no spaces or colons)",
});

// An API group: "" (core) or a DNS-1123 subdomain (its length is checked separately).
const apiGroupRe = new RegExp(`^$|^${DNS_SUBDOMAIN_UNBOUNDED_SOURCE}$`);

// The kinds a policy may attach to, by group (Istio validation: allowedTargetRefs).
const targetKinds: readonly { group: string; kind: string }[] = [
  { group: "gateway.networking.k8s.io", kind: "Gateway" },
  { group: "gateway.networking.k8s.io", kind: "GatewayClass" },
  { group: "", kind: "Service" },
  { group: "networking.istio.io", kind: "ServiceEntry" },
];
const targetKindList = targetKinds.map((t) => `${t.kind} (${t.group || 'core group ""'})`).join(", ");

/** Istio PolicyTargetReference; cross-namespace references are not supported. */
export const policyTargetRef = obj({
  group: z
    .string()
    .max(253, "must be at most 253 characters")
    .regex(apiGroupRe, "must be an API group")
    .optional(),
  kind: z
    .string()
    .min(1, "must not be empty")
    .max(63, "must be at most 63 characters")
    .regex(/^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/, "must be a kind name such as Gateway"),
  name: z.string().min(1, "must not be empty").max(253, "must be at most 253 characters"),
  namespace: z.string().optional(),
}).superRefine((ref, ctx) => {
  if (ref.namespace)
    ctx.addIssue({
      code: "custom",
      path: ["namespace"],
      message:
        "cross-namespace targets are not supported: leave namespace empty and put the policy in the target's namespace",
    });
  const group = ref.group ?? "";
  if (targetKinds.some((t) => t.kind === ref.kind && t.group === group)) return;
  const sameKind = targetKinds.find((t) => t.kind === ref.kind);
  if (sameKind)
    ctx.addIssue({
      code: "custom",
      path: ["group"],
      message: `a ${ref.kind} target needs group ${sameKind.group === "" ? '"" (the core group)' : `"${sameKind.group}"`}, not "${group}"`,
    });
  else
    ctx.addIssue({
      code: "custom",
      path: ["kind"],
      message: `cannot target kind "${ref.kind}": use one of ${targetKindList}${didYouMean(
        ref.kind,
        targetKinds.map((t) => t.kind),
      )}`,
    });
});

export type PolicyTargetRef = z.infer<typeof policyTargetRef>;

/** Fields every targetable Istio policy has; spread into the spec's shape. */
export const targetingShape = {
  selector: workloadSelector.optional(),
  targetRef: policyTargetRef.optional(),
  targetRefs: z.array(policyTargetRef).max(16, "at most 16 targetRefs").optional(),
};

interface Targeting {
  selector?: { matchLabels?: Record<string, string> | undefined } | undefined;
  targetRef?: PolicyTargetRef | undefined;
  targetRefs?: readonly PolicyTargetRef[] | undefined;
}

/** At most one of selector, targetRef and targetRefs (Istio: validateOneOfSelectorType). */
export function checkTargeting(spec: Targeting, ctx: z.RefinementCtx): void {
  const set: string[] = [];
  if (spec.selector) set.push("selector");
  if (spec.targetRef) set.push("targetRef");
  if (spec.targetRefs && spec.targetRefs.length > 0) set.push("targetRefs");
  if (set.length > 1)
    ctx.addIssue({
      code: "custom",
      path: [set[1]!],
      message: `only one of selector, targetRef and targetRefs may be set (found ${set.join(" and ")})`,
    });
}

/** Istio warns when a selector has no labels: it then selects every workload in scope. */
export function warnEmptySelector(spec: Targeting, report: Report): void {
  if (spec.selector && Object.keys(spec.selector.matchLabels ?? {}).length === 0)
    report(
      ["spec", "selector"],
      "selector has no labels, so it selects every workload in the namespace; remove it or add matchLabels",
      { severity: "warning", code: "EMPTY_SELECTOR" },
    );
}

export const targetRefDeprecation = {
  path: "spec.targetRef",
  message: "targetRef is the older single-target form: use targetRefs (a list)",
};

export const DRY_RUN_ANNOTATION = "istio.io/dry-run";

/** Istio accepts the dry-run annotation on AuthorizationPolicy only (webhook: checkDryRunAnnotation). */
export function rejectDryRun(resource: Resource, report: Report): void {
  if (resource.metadata.annotations?.[DRY_RUN_ANNOTATION] !== undefined)
    report(
      ["metadata", "annotations", DRY_RUN_ANNOTATION],
      `${resource.kind} does not support annotation ${DRY_RUN_ANNOTATION} (only AuthorizationPolicy does); remove it`,
    );
}
