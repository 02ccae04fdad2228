/**
 * Service registry: scheduling and addressing for the local and hosts modes, and the computation
 * of workloads, services and authorization policies from configuration.
 */
export { Materializer, materializePods } from "./materialize.js";
export { RegistryBuilder, buildRegistry } from "./registry.js";
export { convertAuthorizationPolicy, type ConvertedPolicy } from "./authorization.js";
export { podEnrollment, entryEnrollment, type Enrollment, type PodFacts } from "./enrollment.js";
export { canonicalService, podWorkloadName, entryWorkloadName } from "./canonical.js";
export { normalizeIpBlock } from "./cidr.js";
export {
  emptyAllocations,
  resolveMesh,
  type AllocationTable,
  type MaterializeOptions,
  type MaterializeResult,
  type NodeSpec,
  type PlacementError,
  type Registry,
  type RegistryInput,
  type RegistryMesh,
  type ResolvedMesh,
} from "./types.js";
