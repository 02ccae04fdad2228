/**
 * Workload and canonical service names, as istiod computes them for the workload API.
 *
 * Canonical name/revision (pkg/kube/labels CanonicalService): the first label present of
 * service.istio.io/canonical-name, app.kubernetes.io/name, app — else the workload name; and of
 * service.istio.io/canonical-revision, app.kubernetes.io/version, version — else "latest".
 *
 * Workload name of a pod (pkg/kube GetWorkloadMetaFromPod): the label
 * service.istio.io/workload-name if set; else, for a pod with a generateName and a controller
 * owner, the owner's name — a ReplicaSet "<deploy>-<pod-template-hash>" becomes its Deployment,
 * a Job "<cronjob>-<8 to 10 digits>" its CronJob; else the pod's own name.
 *
 * Workload name of a WorkloadEntry (pkg/kube/labels WorkloadNameFromWorkloadEntry): annotation
 * istio.io/autoRegistrationGroup, else label service.istio.io/workload-name, else its name.
 */
import type { PodMetaView } from "./views.js";

const NAME_LABELS = ["service.istio.io/canonical-name", "app.kubernetes.io/name", "app"];
const REVISION_LABELS = ["service.istio.io/canonical-revision", "app.kubernetes.io/version", "version"];
const WORKLOAD_NAME = "service.istio.io/workload-name";
const AUTO_REGISTRATION_GROUP = "istio.io/autoRegistrationGroup";
const CRONJOB_JOB_NAME = /^(.+)-\d{8,10}$/;

const firstLabel = (labels: Readonly<Record<string, string>>, keys: readonly string[]): string | undefined =>
  keys.map((k) => labels[k]).find((v) => v !== undefined);

export function canonicalService(
  labels: Readonly<Record<string, string>>,
  workloadName: string,
): { name: string; revision: string } {
  return {
    name: firstLabel(labels, NAME_LABELS) ?? workloadName,
    revision: firstLabel(labels, REVISION_LABELS) ?? "latest",
  };
}

export function podWorkloadName(meta: PodMetaView): string {
  const override = meta.labels?.[WORKLOAD_NAME];
  if (override !== undefined) return override;
  if (!meta.generateName) return meta.name;
  const controller = (meta.ownerReferences ?? []).find((o) => o.controller === true);
  if (!controller?.name) return meta.name;
  const hash = meta.labels?.["pod-template-hash"];
  if (controller.kind === "ReplicaSet" && hash && controller.name.endsWith(`-${hash}`)) {
    return controller.name.slice(0, controller.name.length - hash.length - 1);
  }
  if (controller.kind === "Job") {
    const m = CRONJOB_JOB_NAME.exec(controller.name);
    if (m?.[1]) return m[1];
  }
  return controller.name;
}

export function entryWorkloadName(
  name: string,
  annotations: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): string {
  return annotations[AUTO_REGISTRATION_GROUP] ?? labels[WORKLOAD_NAME] ?? name;
}
