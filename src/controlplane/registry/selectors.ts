/**
 * Label selection as Kubernetes and Istio define it. A map selector selects the objects whose
 * labels contain all of its pairs; Istio's ambient index only lets a Service or ServiceEntry
 * select workloads when its selector is non-empty (krt.FilterSelectsNonEmpty in
 * pilot/pkg/serviceregistry/kube/controller/ambient/workloads.go), which `selectsNonEmpty` keeps.
 */
import type { LabelSelectorView } from "./views.js";

export function subsetOf(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export function selectsNonEmpty(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  return selector !== undefined && Object.keys(selector).length > 0 && subsetOf(selector, labels);
}

/** metav1.LabelSelector semantics: matchLabels and every matchExpression must hold; {} selects all. */
export function labelSelectorMatches(
  sel: LabelSelectorView | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!sel) return true;
  if (!subsetOf(sel.matchLabels ?? {}, labels)) return false;
  return (sel.matchExpressions ?? []).every((e) => {
    const key = e.key ?? "";
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        return has && values.includes(labels[key] ?? "");
      case "NotIn":
        return !has || !values.includes(labels[key] ?? "");
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
      default:
        return false;
    }
  });
}
