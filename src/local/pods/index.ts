export { PodRuntime, podPhase, type PodRuntimeEvents, type PodRuntimeOptions } from "./supervisor.js";
export { defaultWrap, identityWrap, type Wrap } from "./wrap.js";
export { KUBELET_BACKOFF, type BackoffOptions } from "./backoff.js";
export type { ProbeOptions } from "./readiness.js";
export type { Clock } from "./container.js";
export type {
  ContainerPortSpec,
  ContainerReason,
  ContainerSpec,
  ContainerState,
  ContainerStatus,
  EnvVarSpec,
  PodPhase,
  PodPid,
  PodRunSpec,
  PodStatus,
  RestartPolicy,
} from "./types.js";
