/**
 * The mTLS mode PeerAuthentication sets for one workload port, as Istio resolves it
 * (istio.io/latest/docs/reference/config/security/peer_authentication/ and the "Peer
 * authentication" section of istio.io/latest/docs/concepts/security/; for ambient, istiod's
 * convertedSelectorPeerAuthentications in pilot/pkg/serviceregistry/kube/controller/ambient/
 * authorization.go):
 *   - three levels: mesh-wide (root namespace, no selector), namespace-wide (the workload's
 *     namespace, no selector), workload (a selector in the workload's namespace whose matchLabels
 *     the workload has); a selector policy in the root namespace is ignored, and a selector with
 *     no labels means no selector;
 *   - the narrower level wins; UNSET inherits from the level above; with nothing set the mode is
 *     PERMISSIVE;
 *   - portLevelMtls counts only on a workload-level policy and is keyed by the workload's (target)
 *     port; a port's UNSET inherits the policy's own mode;
 *   - several policies at one level: the oldest by metadata.creationTimestamp wins, then the
 *     name (Istio's sortConfigByCreationTime); no timestamp counts as oldest, as Go's zero time.
 * DISABLE is reported as written; in ambient it only means "plaintext is accepted" (traffic between
 * mesh workloads stays in mTLS tunnels), so callers treat it like PERMISSIVE and refuse plaintext
 * only under STRICT. Istio's own conversion has a corner where a port-level DISABLE under an
 * inherited STRICT stays STRICT; Ambit follows the API's documented meaning there.
 */
import { groupOf, type Resource } from "../api/resource.js";
import type { Workload } from "../model/workload.js";

export type MtlsMode = "STRICT" | "PERMISSIVE" | "DISABLE";

export interface MtlsDecision {
  mode: MtlsMode;
  /** "<ns>/<name>" of the PeerAuthentication that set the mode; absent for the default. */
  policy?: string;
  /** Which level set it. */
  level?: "mesh" | "namespace" | "workload" | "port";
}

interface PeerAuthnSpec {
  selector?: { matchLabels?: Record<string, string> };
  mtls?: { mode?: string };
  portLevelMtls?: Record<string, { mode?: string } | undefined>;
}

const MODES: readonly string[] = ["STRICT", "PERMISSIVE", "DISABLE"];

/** The mode a value sets, or undefined for UNSET, absent or unknown (inherit). */
function setMode(mode: string | undefined): MtlsMode | undefined {
  return mode !== undefined && MODES.includes(mode) ? (mode as MtlsMode) : undefined;
}

export function isPeerAuthentication(r: Resource): boolean {
  return r.kind === "PeerAuthentication" && groupOf(r.apiVersion) === "security.istio.io";
}

const specOf = (r: Resource): PeerAuthnSpec => (r.spec ?? {}) as PeerAuthnSpec;
const selectorOf = (r: Resource): Record<string, string> | undefined => {
  const labels = specOf(r).selector?.matchLabels;
  return labels && Object.keys(labels).length > 0 ? labels : undefined;
};
const keyOf = (r: Resource): string => `${r.metadata.namespace ?? "default"}/${r.metadata.name}`;

/** Oldest first: creationTimestamp (missing = oldest), then name. */
function older(a: Resource, b: Resource): number {
  const ta = timeOf(a);
  const tb = timeOf(b);
  if (ta !== tb) return ta - tb;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

function timeOf(r: Resource): number {
  const t = r.metadata.creationTimestamp ? Date.parse(r.metadata.creationTimestamp) : NaN;
  return Number.isNaN(t) ? -Infinity : t;
}

const oldest = (list: Resource[]): Resource | undefined => list.sort(older)[0];

export function mtlsMode(
  docs: readonly Resource[],
  workload: Pick<Workload, "namespace" | "labels">,
  port: number,
  rootNamespace: string,
): MtlsDecision {
  const mesh: Resource[] = [];
  const namespace: Resource[] = [];
  const selected: Resource[] = [];
  for (const d of docs) {
    if (!isPeerAuthentication(d)) continue;
    const ns = d.metadata.namespace ?? "default";
    const selector = selectorOf(d);
    if (ns === rootNamespace) {
      if (!selector) mesh.push(d); // a selector policy in the root namespace applies nowhere
    } else if (ns === workload.namespace) {
      if (!selector) namespace.push(d);
      else if (Object.entries(selector).every(([k, v]) => workload.labels[k] === v)) selected.push(d);
    }
  }

  let out: MtlsDecision = { mode: "PERMISSIVE" };
  for (const [level, list] of [
    ["mesh", mesh],
    ["namespace", namespace],
  ] as const) {
    const p = oldest(list);
    const mode = p && setMode(specOf(p).mtls?.mode);
    if (p && mode) out = { mode, policy: keyOf(p), level };
  }
  const w = oldest(selected);
  if (w) {
    const spec = specOf(w);
    const portMode = setMode(spec.portLevelMtls?.[String(port)]?.mode);
    const mode = setMode(spec.mtls?.mode);
    if (portMode) out = { mode: portMode, policy: keyOf(w), level: "port" };
    else if (mode) out = { mode, policy: keyOf(w), level: "workload" };
  }
  return out;
}
