/**
 * Turns the store's snapshot into what proxies receive: registry (pure) -> encoded xDS resources
 * per type. Kept apart from server.ts so the benchmark and tests can drive it directly.
 */
import { gvkOf, type Resource } from "../api/resource.js";
import type { Snapshot } from "./store/snapshot.js";
import { buildRegistry, materializePods } from "./registry/index.js";
import type { AllocationTable, NodeSpec, RegistryMesh } from "./registry/types.js";
import type { Authorization } from "../model/authorization.js";
import type { Service, Workload } from "../model/workload.js";
import {
  ADDRESS_TYPE_URL,
  AUTHORIZATION_TYPE_URL,
  CONFIG_TYPE_URL,
  addressResourceName,
  authorizationResourceName,
  configResourceName,
  encodeAuthorization,
  encodeConfig,
  encodeService,
  encodeWorkload,
} from "../xds/index.js";

/** Kinds a waypoint or gateway compiles itself; carried to proxies as ConfigResource. */
const CONFIG_KINDS = new Set([
  "networking.istio.io/VirtualService",
  "networking.istio.io/DestinationRule",
  "networking.istio.io/ServiceEntry",
  "networking.istio.io/Gateway",
  "security.istio.io/AuthorizationPolicy",
  "security.istio.io/PeerAuthentication",
  "security.istio.io/RequestAuthentication",
  "telemetry.istio.io/Telemetry",
  "gateway.networking.k8s.io/Gateway",
  "gateway.networking.k8s.io/HTTPRoute",
  "gateway.networking.k8s.io/GRPCRoute",
  "networking.k8s.io/NetworkPolicy",
]);

export interface DerivedState {
  /** Every pod, Deployment pods included, as scheduled (nodeName, status.podIP). */
  pods: Resource[];
  workloads: Workload[];
  services: Service[];
  authorizations: Authorization[];
  /** Pods the scheduler could not place, and registry warnings, for logs and the config dump. */
  warnings: string[];
  allocations: AllocationTable;
  /** typeUrl -> (resource name -> encoded resource) */
  resources: Map<string, Map<string, Uint8Array>>;
}

export function derive(
  snapshot: Snapshot,
  mesh: RegistryMesh,
  nodes: readonly NodeSpec[],
  previous: AllocationTable,
): DerivedState {
  const resources: Resource[] = [...snapshot.objects.values()].map((o) => o.resource);
  const warnings: string[] = [];
  let allocations = previous;
  let placed = resources;
  let pods = resources.filter((r) => gvkOf(r) === "/Pod");
  if (nodes.length > 0) {
    const m = materializePods(resources, nodes, previous);
    placed = m.resources;
    pods = m.pods;
    allocations = m.allocations;
    for (const e of m.errors) warnings.push(e.error.describe());
  }
  const reg = buildRegistry({ resources: placed, mesh, allocations });
  warnings.push(...reg.warnings);

  const addresses = new Map<string, Uint8Array>();
  for (const w of reg.workloads)
    addresses.set(addressResourceName({ kind: "workload", workload: w }), encodeWorkload(w));
  for (const s of reg.services)
    addresses.set(addressResourceName({ kind: "service", service: s }), encodeService(s));
  const authz = new Map<string, Uint8Array>();
  for (const a of reg.authorizations) authz.set(authorizationResourceName(a), encodeAuthorization(a));
  const config = new Map<string, Uint8Array>();
  for (const r of resources) {
    if (!CONFIG_KINDS.has(gvkOf(r))) continue;
    const doc = { document: r, resourceVersion: r.metadata.resourceVersion ?? "" };
    config.set(configResourceName(doc), encodeConfig(doc));
  }
  return {
    pods,
    workloads: reg.workloads,
    services: reg.services,
    authorizations: reg.authorizations,
    warnings,
    allocations,
    resources: new Map([
      [ADDRESS_TYPE_URL, addresses],
      [AUTHORIZATION_TYPE_URL, authz],
      [CONFIG_TYPE_URL, config],
    ]),
  };
}
