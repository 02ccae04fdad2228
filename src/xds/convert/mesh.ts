/**
 * The mesh settings node proxies follow at runtime, carried as one more document of the config
 * type they already subscribe to (ambit.config.v1.ConfigResource), so no new type URL, proto or
 * subscription is needed and an older proxy simply ignores it:
 *
 *   apiVersion: ambit.io/v1alpha1
 *   kind: MeshConfig
 *   metadata: {name: mesh}           # cluster-scoped; resource name "ambit.io/MeshConfig//mesh"
 *   spec: {rootNamespace: ..., trustDomain: ...}
 *
 * Field names are Istio MeshConfig's (istio.mesh.v1alpha1.MeshConfig); only what proxies need is
 * sent, so an unrelated mesh change (extension providers...) does not push to every proxy.
 *
 * Why the proxy needs the root namespace at all: istiod resolves it on its side and sends ztunnel
 * a PeerAuthentication already turned into an Authorization (pilot/pkg/serviceregistry/kube/
 * controller/ambient/policies.go, `istio_converted_static_strict` in `meshCfg.GetRootNamespace()`).
 * Ambit's proxies evaluate PeerAuthentication documents themselves (policy/peer-authentication.ts),
 * so "which namespace is mesh-wide" must come from the same mesh config the control plane reads.
 */
import { keyOf, type Resource } from "../../api/resource.js";
import { checkTrustDomain, isNamespaceName } from "../../identity/spiffe.js";
import { invalidResource } from "./invalid.js";

export const MESH_CONFIG_API_VERSION = "ambit.io/v1alpha1";
export const MESH_CONFIG_KIND = "MeshConfig";
const MESH_CONFIG_NAME = "mesh";

/** What the proxies take from the mesh config. */
export interface ProxyMeshSettings {
  /** Namespace whose PeerAuthentication / AuthorizationPolicy apply mesh-wide. */
  rootNamespace: string;
  trustDomain: string;
}

function isTrustDomain(td: string): boolean {
  try {
    checkTrustDomain(td);
    return true;
  } catch {
    return false;
  }
}

/** The document the control plane publishes for `settings`. */
export function meshConfigDocument(settings: ProxyMeshSettings): Resource<ProxyMeshSettings> {
  return {
    apiVersion: MESH_CONFIG_API_VERSION,
    kind: MESH_CONFIG_KIND,
    metadata: { name: MESH_CONFIG_NAME },
    spec: { rootNamespace: settings.rootNamespace, trustDomain: settings.trustDomain },
  };
}

/** Resource name of the mesh document: "ambit.io/MeshConfig//mesh". */
export const MESH_CONFIG_RESOURCE_NAME = keyOf(meshConfigDocument({ rootNamespace: "", trustDomain: "" }));

export function isMeshConfigDocument(doc: Pick<Resource, "apiVersion" | "kind">): boolean {
  return doc.apiVersion === MESH_CONFIG_API_VERSION && doc.kind === MESH_CONFIG_KIND;
}

/**
 * The settings in a received mesh document; throws an XDS_INVALID_RESOURCE AmbitError (the
 * client NACKs it and keeps the last good settings) when a field is missing or malformed.
 */
export function meshSettingsOf(doc: Resource): ProxyMeshSettings {
  const what = `${MESH_CONFIG_KIND} ${doc.metadata.name}`;
  const spec = doc.spec;
  if (typeof spec !== "object" || spec === null || Array.isArray(spec))
    throw invalidResource(what, "spec", "is not an object");
  const { rootNamespace, trustDomain } = spec as Record<string, unknown>;
  if (typeof rootNamespace !== "string" || !isNamespaceName(rootNamespace))
    throw invalidResource(
      what,
      "spec.rootNamespace",
      `${JSON.stringify(rootNamespace)} is not a namespace name`,
    );
  if (typeof trustDomain !== "string" || !isTrustDomain(trustDomain))
    throw invalidResource(what, "spec.trustDomain", `${JSON.stringify(trustDomain)} is not a trust domain`);
  return { rootNamespace, trustDomain };
}
