/**
 * Read-only views of the parts of Kubernetes, Istio and Gateway API documents the registry reads.
 * Validation (api/) has already checked shapes and applied defaults, so these are plain typed
 * lenses; every field is still optional because documents fetched from a cluster, or written by
 * the scheduler, may omit what a hand-written manifest would carry.
 */
import type { ObjectMeta, Resource } from "../../api/resource.js";

/** The object (or an empty one) behind `v`, seen as T; T must only have optional fields. */
export function view<T extends object>(v: unknown): T {
  return (v !== null && typeof v === "object" && !Array.isArray(v) ? v : {}) as T;
}

export function listOf<T>(v: readonly T[] | undefined): readonly T[] {
  return Array.isArray(v) ? v : [];
}

export const labelsOf = (r: Resource): Record<string, string> => r.metadata.labels ?? {};
export const annotationsOf = (r: Resource): Record<string, string> => r.metadata.annotations ?? {};
export const namespaceOf = (r: Resource): string => r.metadata.namespace ?? "default";

// ---- Kubernetes core ----

export interface LabelSelectorView {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key?: string; operator?: string; values?: string[] }[];
}

export interface OwnerReferenceView {
  apiVersion?: string;
  kind?: string;
  name?: string;
  controller?: boolean;
}

/** Metadata fields Kubernetes sets that api/resource.ts does not type. */
export interface PodMetaView extends ObjectMeta {
  generateName?: string;
  ownerReferences?: OwnerReferenceView[];
  deletionTimestamp?: string;
}

export interface ContainerPortView {
  name?: string;
  containerPort?: number;
  protocol?: string;
}

export interface PodSpecView {
  containers?: { name?: string; ports?: ContainerPortView[] }[];
  serviceAccountName?: string;
  /** Deprecated alias of serviceAccountName. */
  serviceAccount?: string;
  nodeName?: string;
  hostNetwork?: boolean;
}

export interface PodStatusView {
  phase?: string;
  podIP?: string;
  podIPs?: { ip?: string }[];
  hostIP?: string;
  conditions?: { type?: string; status?: string }[];
}

export interface DeploymentSpecView {
  replicas?: number;
  selector?: LabelSelectorView;
  template?: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: PodSpecView;
  };
}

export interface ServicePortView {
  name?: string;
  port?: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface ServiceSpecView {
  selector?: Record<string, string>;
  ports?: ServicePortView[];
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
}

export interface ServiceStatusView {
  loadBalancer?: { ingress?: { ip?: string }[] };
}

export const podMeta = (r: Resource): PodMetaView => r.metadata as PodMetaView;
export const podSpec = (r: Resource): PodSpecView => view<PodSpecView>(r.spec);
export const podStatus = (r: Resource): PodStatusView => view<PodStatusView>(r["status"]);
export const serviceSpec = (r: Resource): ServiceSpecView => view<ServiceSpecView>(r.spec);
export const serviceStatus = (r: Resource): ServiceStatusView => view<ServiceStatusView>(r["status"]);
export const deploymentSpec = (r: Resource): DeploymentSpecView => view<DeploymentSpecView>(r.spec);

// ---- Istio networking ----

/** A WorkloadEntry spec; also the shape of a ServiceEntry's inline `endpoints`. */
export interface WorkloadEntrySpecView {
  address?: string;
  ports?: Record<string, number>;
  labels?: Record<string, string>;
  network?: string;
  serviceAccount?: string;
}

export interface ServiceEntryPortView {
  number?: number;
  protocol?: string;
  name?: string;
  targetPort?: number;
}

export interface ServiceEntrySpecView {
  hosts?: string[];
  addresses?: string[];
  ports?: ServiceEntryPortView[];
  location?: string;
  resolution?: string;
  endpoints?: WorkloadEntrySpecView[];
  workloadSelector?: { labels?: Record<string, string> };
}

export interface ServiceEntryStatusView {
  /** Addresses istiod's IP auto-allocation controller wrote, one per host. */
  addresses?: { value?: string; host?: string }[];
}

export const workloadEntrySpec = (r: Resource): WorkloadEntrySpecView => view<WorkloadEntrySpecView>(r.spec);
export const serviceEntrySpec = (r: Resource): ServiceEntrySpecView => view<ServiceEntrySpecView>(r.spec);
export const serviceEntryStatus = (r: Resource): ServiceEntryStatusView =>
  view<ServiceEntryStatusView>(r["status"]);

// ---- Istio security ----

export interface SourceView {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  serviceAccounts?: string[];
  notServiceAccounts?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
}

export interface OperationView {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

export interface ConditionView {
  key?: string;
  values?: string[];
  notValues?: string[];
}

export interface RuleView {
  from?: { source?: SourceView }[];
  to?: { operation?: OperationView }[];
  when?: ConditionView[];
}

export interface AuthorizationPolicySpecView {
  selector?: { matchLabels?: Record<string, string> };
  targetRef?: unknown;
  targetRefs?: unknown[];
  action?: string;
  rules?: RuleView[];
}

export const authorizationPolicySpec = (r: Resource): AuthorizationPolicySpecView =>
  view<AuthorizationPolicySpecView>(r.spec);

// ---- Gateway API ----

export interface ListenerView {
  name?: string;
  port?: number;
  protocol?: string;
  allowedRoutes?: { namespaces?: { from?: string; selector?: LabelSelectorView } };
}

export interface GatewaySpecView {
  gatewayClassName?: string;
  listeners?: ListenerView[];
}

export interface GatewayStatusView {
  addresses?: { type?: string; value?: string }[];
}

export const gatewaySpec = (r: Resource): GatewaySpecView => view<GatewaySpecView>(r.spec);
export const gatewayStatus = (r: Resource): GatewayStatusView => view<GatewayStatusView>(r["status"]);
