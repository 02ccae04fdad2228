/**
 * The envelope every configuration document shares (Kubernetes object shape). Spec types live
 * with their kinds under api/kinds/; this file only knows the envelope.
 */
export interface ObjectMeta {
  name: string;
  /** Absent for cluster-scoped kinds (Namespace); defaulted to "default" for namespaced ones. */
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  /** Store revision at which the object last changed (set by the control plane). */
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
}

export interface Resource<Spec = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  /** ConfigMap data, and any other top-level fields a kind allows. */
  [field: string]: unknown;
}

/** API group of an apiVersion: "" for the core group ("v1"). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** "group/Kind", the identity of a kind across its versions (Istio and Gateway API both have a Gateway). */
export function gvkOf(r: Pick<Resource, "apiVersion" | "kind">): string {
  return `${groupOf(r.apiVersion)}/${r.kind}`;
}

/** Stable key of a stored object: "group/Kind/namespace/name" (namespace empty when cluster-scoped). */
export function keyOf(r: Pick<Resource, "apiVersion" | "kind" | "metadata">): string {
  return `${gvkOf(r)}/${r.metadata.namespace ?? ""}/${r.metadata.name}`;
}

/** "Kind ns/name" or "Kind name", as findings and logs print it. */
export function displayName(r: { kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  const name = r.metadata?.name ?? "<unnamed>";
  const ns = r.metadata?.namespace;
  return `${r.kind ?? "<no kind>"} ${ns ? `${ns}/${name}` : name}`;
}
