/**
 * The request attributes an AuthorizationPolicy can test, and which of them only an L7 proxy can
 * see. The node proxy (ztunnel) sees connections, not requests: peer identity, namespaces, IPs and
 * ports. Everything read from HTTP (paths, methods, hosts, headers, JWT claims) or from what an
 * L7 proxy learns (X-Forwarded-For for remote.ip, SNI) needs a waypoint. Same split as Istio
 * ambient (pilot ambient/authorization.go: l4WhenAttributes and the L7 source/operation fields).
 */
import type { PathSegment } from "../findings.js";
import { isCidrOrIp } from "../schema/primitives.js";
import type { AuthorizationPolicySpec } from "./security-authz.js";
import { wildcardProblem } from "./security-common.js";

export type AttributeCheck = (value: string) => string | undefined;

export type WhenKeyClass = { l7: boolean; check: AttributeCheck } | { error: string; unknown: boolean };

/** A port in an operation or `destination.port` condition: a quoted number (Istio: ValidatePorts). */
export function portProblem(v: string): string | undefined {
  if (!/^[0-9]+$/.test(v) || Number(v) > 65535)
    return `"${v}" is not a port: use a number from 0 to 65535, quoted ("8080")`;
  return undefined;
}

/** Istio's service account reference: `name` or `namespace/name`, no wildcards (CheckServiceAccount). */
export function serviceAccountProblem(v: string): string | undefined {
  if (v === "") return "empty value not allowed";
  if (v.includes("*")) return `"${v}": wildcards are not allowed in service accounts`;
  if (v.length > 320) return `"${v.slice(0, 20)}..." is longer than 320 characters`;
  const parts = v.split("/");
  if (parts.length > 2 || parts.some((p) => p === ""))
    return `"${v}": use "serviceAccount" or "namespace/serviceAccount"`;
  return undefined;
}

const ipCheck: AttributeCheck = (v) =>
  v === "" ? "empty value not allowed" : isCidrOrIp(v) ? undefined : `"${v}" is not an IP address or CIDR`;
const stringCheck: AttributeCheck = (v) => (v === "" ? "empty value not allowed" : wildcardProblem(v));

// exact key -> (layer, value check)
const exactKeys: Record<string, { l7: boolean; check: AttributeCheck }> = {
  "source.ip": { l7: false, check: ipCheck },
  "source.namespace": { l7: false, check: stringCheck },
  "source.principal": { l7: false, check: stringCheck },
  "source.serviceAccount": { l7: false, check: serviceAccountProblem },
  "destination.ip": { l7: false, check: ipCheck },
  "destination.port": { l7: false, check: portProblem },
  "remote.ip": { l7: true, check: ipCheck },
  "request.auth.principal": { l7: true, check: stringCheck },
  "request.auth.audiences": { l7: true, check: stringCheck },
  "request.auth.presenter": { l7: true, check: stringCheck },
  "connection.sni": { l7: true, check: stringCheck },
};

// key prefix -> the keys take the form prefix[name]; all are L7
const mapKeyPrefixes = [
  "request.headers",
  "request.experimental.inline.headers",
  "request.auth.claims",
  "experimental.envoy.filters.",
];

/** Every key form, for "did you mean" on a misspelled key. */
export const whenKeyNames: readonly string[] = [
  ...Object.keys(exactKeys),
  "request.headers[]",
  "request.auth.claims[]",
  "experimental.envoy.filters.",
];

/** What a `when` key means, or why it is not a key (Istio: security.ValidateAttribute). */
export function classifyWhenKey(key: string): WhenKeyClass {
  const exact = exactKeys[key];
  if (exact) return exact;
  for (const prefix of mapKeyPrefixes) {
    if (!key.startsWith(prefix)) continue;
    // The name goes in brackets after the attribute: request.headers[User-Agent].
    const open = key.indexOf("[");
    if (key.endsWith("]") && open > 0 && open < key.length - 2) return { l7: true, check: stringCheck };
    return {
      error: `key ${key} must have the form ${prefix.replace(/\.$/, ".<filter>")}[<name>]`,
      unknown: false,
    };
  }
  if (key === "destination.namespace")
    return {
      error: "destination.namespace is not a condition: the policy's namespace already sets it",
      unknown: false,
    };
  if (key.startsWith("destination.labels"))
    return { error: `${key} is not a condition: use the policy's selector instead`, unknown: false };
  if (key === "destination.name" || key === "destination.user")
    return { error: `${key} was only supported by the removed v1alpha1 RBAC API`, unknown: false };
  return { error: `unknown condition key ${key}`, unknown: true };
}

export function isL7WhenKey(key: string): boolean {
  const c = classifyWhenKey(key);
  return "l7" in c ? c.l7 : true;
}

/** Source fields only an L7 proxy can evaluate (JWT identity; client IP from X-Forwarded-For). */
export const L7_SOURCE_FIELDS = [
  "requestPrincipals",
  "notRequestPrincipals",
  "remoteIpBlocks",
  "notRemoteIpBlocks",
] as const;

/** Operation fields only an L7 proxy can evaluate (everything but ports). */
export const L7_OPERATION_FIELDS = [
  "hosts",
  "notHosts",
  "methods",
  "notMethods",
  "paths",
  "notPaths",
] as const;

export interface L7AttributeUse {
  /** Where in the document, e.g. ["spec","rules",0,"to",0,"operation","paths"]. */
  path: PathSegment[];
  /** The field name ("paths", "requestPrincipals") or the `when` key ("request.headers[x-user]"). */
  attribute: string;
}

/**
 * The L7-only attributes an AuthorizationPolicy uses. Empty means the node proxy can enforce the
 * whole policy; otherwise it belongs on a waypoint (targetRefs), and bound to the node proxy an
 * ALLOW rule with these never matches while a DENY rule always does (fail closed).
 */
export function l7Attributes(spec: Pick<AuthorizationPolicySpec, "rules">): L7AttributeUse[] {
  const out: L7AttributeUse[] = [];
  (spec.rules ?? []).forEach((r, i) => {
    (r.from ?? []).forEach((f, j) => {
      for (const field of L7_SOURCE_FIELDS)
        if ((f.source[field] ?? []).length > 0)
          out.push({ path: ["spec", "rules", i, "from", j, "source", field], attribute: field });
    });
    (r.to ?? []).forEach((t, j) => {
      for (const field of L7_OPERATION_FIELDS)
        if ((t.operation[field] ?? []).length > 0)
          out.push({ path: ["spec", "rules", i, "to", j, "operation", field], attribute: field });
    });
    (r.when ?? []).forEach((w, k) => {
      if (isL7WhenKey(w.key)) out.push({ path: ["spec", "rules", i, "when", k, "key"], attribute: w.key });
    });
  });
  return out;
}
