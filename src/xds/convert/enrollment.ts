/**
 * The usual reason a workload is in the ambient mesh, shared by the control plane that states
 * it (controlplane/registry/enrollment.ts) and the decoder that restores it: Ambit leaves
 * enrollment_reason out of a Workload when it is this text, since nearly every workload of an
 * ambient namespace has it and every proxy receives every workload.
 */
export const DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode";

export function namespaceEnrollmentReason(namespace: string): string {
  return `namespace ${namespace} has label ${DATAPLANE_MODE_LABEL}=ambient`;
}
