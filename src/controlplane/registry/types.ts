/**
 * Inputs and outputs of the registry: the mesh settings it needs, the nodes and address table of
 * the local and hosts modes, and the computed registry the xDS server pushes.
 */
import type { Resource } from "../../api/resource.js";
import type { AmbitError } from "../../common/errors.js";
import type { Authorization } from "../../model/authorization.js";
import type { Service, Workload } from "../../model/workload.js";

/** The mesh settings the registry reads; every field has Istio's default. */
export interface RegistryMesh {
  /** SPIFFE trust domain; default "cluster.local". */
  trustDomain?: string;
  /** Namespace whose policies apply mesh-wide; default "istio-system". */
  rootNamespace?: string;
  /** DNS suffix of Service hostnames; default "cluster.local". */
  domainSuffix?: string;
  /** Cluster id in workload uids; default "Kubernetes" (ztunnel's default cluster id). */
  clusterId?: string;
  /** Network of workloads that do not name one; default "". */
  network?: string;
  /**
   * Namespaces whose pods are never enrolled; default ["kube-system"], istio-cni's default
   * `excludeNamespaces` (honoured by its node agent since Istio 1.30, istio/istio#59471).
   */
  excludeNamespaces?: readonly string[];
}

export type ResolvedMesh = Required<RegistryMesh>;

export function resolveMesh(m: RegistryMesh = {}): ResolvedMesh {
  return {
    trustDomain: m.trustDomain || "cluster.local",
    rootNamespace: m.rootNamespace || "istio-system",
    domainSuffix: m.domainSuffix || "cluster.local",
    clusterId: m.clusterId || "Kubernetes",
    network: m.network ?? "",
    excludeNamespaces: m.excludeNamespaces ?? ["kube-system"],
  };
}

/** A node of the local or hosts mode: pods get addresses from its pod CIDR. */
export interface NodeSpec {
  name: string;
  /** e.g. "10.244.1.0/24". */
  podCidr: string;
  /** The node's own address (becomes the pods' status.hostIP). */
  address: string;
}

/**
 * Who has which address. It is the scheduler's memory between recomputations: pass the table
 * returned last time and pods and services keep their addresses. Plain JSON, so it can be saved.
 */
export interface AllocationTable {
  /** "<ns>/<pod>" -> node it runs on and its IP */
  pods: Record<string, { node: string; ip: string }>;
  /** "<ns>/<service>" -> cluster VIP */
  services: Record<string, string>;
}

export const emptyAllocations = (): AllocationTable => ({ pods: {}, services: {} });

export interface MaterializeOptions {
  /** Where Service VIPs come from; default "10.96.0.0/16" (kubeadm's default service CIDR). */
  serviceCidr?: string;
}

/** A pod or service the scheduler could not place, with the reason. */
export interface PlacementError {
  kind: "Pod" | "Service";
  namespace: string;
  name: string;
  error: AmbitError;
}

export interface MaterializeResult {
  /** The input documents with every Pod concrete: Deployments expanded, all pods placed. */
  resources: Resource[];
  /** Only the Pods of `resources`, sorted by namespace/name. */
  pods: Resource[];
  /** The new table: pass it back next time. */
  allocations: AllocationTable;
  errors: PlacementError[];
}

export interface RegistryInput {
  resources: readonly Resource[];
  mesh?: RegistryMesh;
  /** Service VIPs for Services without spec.clusterIP (local and hosts modes). */
  allocations?: AllocationTable;
}

export interface Registry {
  /** Sorted by uid. Never changed once returned: a patch copies it (pod-changes.ts). */
  workloads: readonly Workload[];
  /** Sorted by "<ns>/<hostname>". */
  services: Service[];
  /** Sorted by namespace/name. */
  authorizations: Authorization[];
  /** What could not be honoured, each naming the document; in a stable order. */
  warnings: string[];
}
