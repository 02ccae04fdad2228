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

/**
 * Finds the items whose map selector a label set satisfies without testing every item: each item
 * is filed under one of its selector's pairs, so a workload only meets the items that share at
 * least that pair with it. Results keep insertion order, as a linear scan would return them.
 */
export class SelectorIndex<T> {
  // "key\0value" -> items filed under that pair, with their insertion rank
  private readonly byPair = new Map<
    string,
    { rank: number; selector: Readonly<Record<string, string>>; item: T }[]
  >();
  private readonly unconditional: { rank: number; item: T }[] = [];
  private size = 0;

  /** `emptySelectsAll`: whether an empty selector selects everything (policies) or nothing (services). */
  constructor(private readonly emptySelectsAll: boolean) {}

  add(selector: Readonly<Record<string, string>> | undefined, item: T): void {
    const rank = this.size++;
    const first = Object.entries(selector ?? {})[0];
    if (!first) {
      if (selector !== undefined && this.emptySelectsAll) this.unconditional.push({ rank, item });
      return;
    }
    const key = `${first[0]}\0${first[1]}`;
    const list = this.byPair.get(key) ?? [];
    list.push({ rank, selector: selector!, item });
    this.byPair.set(key, list);
  }

  match(labels: Readonly<Record<string, string>>): T[] {
    const hits: { rank: number; item: T }[] = [...this.unconditional];
    for (const [k, v] of Object.entries(labels))
      for (const c of this.byPair.get(`${k}\0${v}`) ?? []) if (subsetOf(c.selector, labels)) hits.push(c);
    return hits.sort((a, b) => a.rank - b.rank).map((h) => h.item);
  }
}
