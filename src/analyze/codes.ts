/**
 * The analysis messages `ambit analyze` can produce. Where Istio's analyzers have the same
 * meaning, the code is Istio's (istio.io/latest/docs/reference/config/analysis/istNNNN, and
 * pkg/config/analysis/msg/messages.yaml), so searches and runbooks keep working; checks Istio has
 * no analyzer for get an AMBnnnn code. Codes are stable: never reuse or renumber one.
 */
import type { Severity } from "../api/findings.js";

export interface AnalysisCode {
  code: string;
  /** Istio's message name for IST codes; a name in the same style for AMB codes. */
  name: string;
  severity: Severity;
  /** One line for `ambit analyze --list-codes`. */
  summary: string;
}

const define = <K extends string>(table: Record<K, AnalysisCode>): Record<K, AnalysisCode> => table;

export const CODES = define({
  referencedResourceNotFound: {
    code: "IST0101",
    name: "ReferencedResourceNotFound",
    severity: "error",
    summary: "a host, gateway, Service, waypoint, subset or policy target that the input does not define",
  },
  ineffectiveSelector: {
    code: "IST0166",
    name: "IneffectiveSelector",
    severity: "warning",
    summary: "a policy selects the pods of a Gateway API gateway or waypoint by label; use targetRefs",
  },
  subsetSelectsNoPods: {
    code: "IST0173",
    name: "DestinationRuleSubsetNotSelectPods",
    severity: "error",
    summary:
      "a DestinationRule subset whose labels match none of the host's workloads (503 no healthy upstream)",
  },
  unknownDestinationRuleHost: {
    code: "IST0174",
    name: "UnknownDestinationRuleHost",
    severity: "warning",
    summary: "a DestinationRule host that matches no Service or ServiceEntry",
  },
  l7PolicyAtNodeProxy: {
    code: "AMB0001",
    name: "L7AuthorizationAtNodeProxy",
    severity: "error",
    summary:
      "an AuthorizationPolicy with HTTP attributes bound to the node proxy (selector or namespace-wide)",
  },
  customPolicyAtNodeProxy: {
    code: "AMB0002",
    name: "CustomAuthorizationAtNodeProxy",
    severity: "error",
    summary: "a CUSTOM (external authorizer) AuthorizationPolicy not attached to a waypoint",
  },
  sourceIdentityIsWaypoint: {
    code: "AMB0003",
    name: "NodeProxyPolicyBehindWaypoint",
    severity: "warning",
    summary: "a node-proxy policy matches client identities of traffic that arrives from a waypoint",
  },
  hboneListenerNotWaypoint: {
    code: "AMB0004",
    name: "HboneListenerOnNonWaypoint",
    severity: "error",
    summary: "a Gateway with an HBONE listener whose gatewayClassName is not istio-waypoint",
  },
  waypointWithoutHbone: {
    code: "AMB0005",
    name: "WaypointWithoutHboneListener",
    severity: "warning",
    summary: "an istio-waypoint Gateway without the HBONE listener on port 15008",
  },
  requestAuthnNotEnforced: {
    code: "AMB0006",
    name: "RequestAuthenticationNotEnforced",
    severity: "error",
    summary: "a RequestAuthentication that no waypoint or gateway applies (JWTs are never checked)",
  },
  requestAuthnImplicit: {
    code: "AMB0007",
    name: "RequestAuthenticationNamespaceWide",
    severity: "warning",
    summary:
      "a namespace-wide RequestAuthentication that only the namespace's waypoints apply; say so with targetRefs",
  },
  targetWithoutWaypoint: {
    code: "AMB0008",
    name: "TargetServiceWithoutWaypoint",
    severity: "error",
    summary: "a policy or route attached to a Service that uses no waypoint, so nothing applies it",
  },
  waypointNotUsed: {
    code: "AMB0009",
    name: "WaypointLabelIneffective",
    severity: "warning",
    summary: "an istio.io/use-waypoint label naming a waypoint that does not serve the object",
  },
  conflictingScopePeerAuthn: {
    code: "AMB0010",
    name: "ConflictingPeerAuthentications",
    severity: "error",
    summary: "more than one mesh-wide or namespace-wide PeerAuthentication: only the oldest is used",
  },
  conflictingWorkloadPeerAuthn: {
    code: "AMB0011",
    name: "ConflictingWorkloadPeerAuthentications",
    severity: "error",
    summary: "PeerAuthentications whose selectors select the same workload: only the oldest is used",
  },
  rootSelectorPeerAuthn: {
    code: "AMB0012",
    name: "IgnoredRootNamespaceSelector",
    severity: "warning",
    summary: "a PeerAuthentication with a selector in the root namespace, which is ignored",
  },
});

export type CodeKey = keyof typeof CODES;

/** Every code, sorted, for documentation and `--list-codes`. */
export function allCodes(): AnalysisCode[] {
  return Object.values(CODES).sort((a, b) => a.code.localeCompare(b.code));
}
