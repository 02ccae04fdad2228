/**
 * What the pod runtime is given (a scheduled pod with its network namespace) and what it reports
 * (a status shaped like the parts of Kubernetes' PodStatus that `ambit get pods` shows).
 */

export interface EnvVarSpec {
  name: string;
  value?: string;
  /** Only `fieldRef` is supported in local mode (see env.ts). */
  valueFrom?: unknown;
}

export interface ContainerPortSpec {
  containerPort: number;
  name?: string;
  protocol?: string;
}

export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVarSpec[];
  ports?: ContainerPortSpec[];
  workingDir?: string;
}

export type RestartPolicy = "Always" | "OnFailure" | "Never";

export interface PodRunSpec {
  namespace: string;
  name: string;
  uid: string;
  /** Network namespace the containers run in (`ip netns` name). */
  netns: string;
  hostname: string;
  ip: string;
  node: string;
  containers: ContainerSpec[];
  /** Default Always, as Kubernetes. */
  restartPolicy?: RestartPolicy;
  /** For the spec.serviceAccountName fieldRef; default "default". */
  serviceAccountName?: string;
  /** Same, under the name local/desired.ts uses; serviceAccountName wins. */
  serviceAccount?: string;
  /** Node address, for the status.hostIP fieldRef. */
  hostIP?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** SIGTERM-to-SIGKILL grace on stop; default 30 s as Kubernetes. */
  terminationGracePeriodSeconds?: number;
}

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed";

export type ContainerState = "Running" | "Waiting" | "Terminated";

/**
 * Kubernetes' reasons: CrashLoopBackOff (waiting to restart), Error / Completed (terminated
 * non-zero / zero), CreateContainerConfigError (e.g. an unsupported env source);
 * ImageNotRunnable is local mode's (an image it cannot run, or a command not on this machine).
 */
export type ContainerReason =
  "CrashLoopBackOff" | "Error" | "Completed" | "ImageNotRunnable" | "CreateContainerConfigError";

export interface ContainerStatus {
  name: string;
  state: ContainerState;
  reason?: ContainerReason;
  /** Exit code of the last run (while waiting to restart: the run that ended). */
  exitCode?: number;
  pid?: number;
  /** ISO time the current (or last) run started. */
  startedAt?: string;
  message?: string;
  ready: boolean;
  restarts: number;
  /** Set when Ambit's built-in image runs instead of the container's program. */
  builtin?: string;
}

export interface PodStatus {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  ip: string;
  phase: PodPhase;
  ready: boolean;
  restarts: number;
  containers: ContainerStatus[];
}

export interface PodPid {
  namespace: string;
  name: string;
  container: string;
  pid: number;
}
