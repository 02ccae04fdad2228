/**
 * Workloads from Pods, WorkloadEntries and ServiceEntry inline endpoints, as istiod's ambient
 * index builds them (pilot/pkg/serviceregistry/kube/controller/ambient/workloads.go):
 *
 * - uid "<cluster>//Pod/<ns>/<name>", "<cluster>/networking.istio.io/WorkloadEntry/<ns>/<name>",
 *   and for an inline endpoint "<cluster>/networking.istio.io/ServiceEntry/<ns>/<name>/<address>"
 *   (helpers.go); an inline endpoint is a WorkloadEntry-kind workload named after its entry.
 * - Terminated pods (Succeeded/Failed) and pods without an IP are not workloads yet.
 * - The service account defaults to "default" and the identity is
 *   spiffe://<trust domain>/ns/<ns>/sa/<sa> (ztunnel's defaults, src/state/workload.rs).
 * - A pod is healthy when its Ready condition is True and it is not being deleted; a pod with no
 *   conditions at all (local and hosts modes, where no kubelet reports) counts as healthy.
 * - Services: Services and ServiceEntries of the same namespace whose non-empty selector the
 *   labels satisfy (both select Pods and WorkloadEntries, Istio's defaults); inline endpoints
 *   belong to every host of their entry.
 * - authorizationPolicies: selector policies of the workload's namespace or the root namespace
 *   whose labels the workload has (buildWorkloadPolicies), sorted.
 * - A waypoint's own pods (label gateway.networking.k8s.io/gateway-name) never use a waypoint.
 * - WorkloadEntry labels are spec.labels overlaid by metadata.labels (ConvertClientWorkloadEntry).
 */
import type { Resource } from "../../api/resource.js";
import type { PortMapping, Workload, WorkloadKind } from "../../model/workload.js";
import { canonicalService, entryWorkloadName, podWorkloadName } from "./canonical.js";
import { formatIp, parseIp } from "./cidr.js";
import { entryEnrollment, podEnrollment, type Enrollment } from "./enrollment.js";
import { entryPortMappings, podPortMappings } from "./ports.js";
import { SelectorIndex } from "./selectors.js";
import type { ServiceInfo } from "./services.js";
import type { ResolvedMesh } from "./types.js";
import { waypointFor, type WaypointContext, type WaypointTarget } from "./waypoints.js";
import * as v from "./views.js";

const GATEWAY_NAME = "gateway.networking.k8s.io/gateway-name";

export interface SelectorPolicy {
  key: string; // "<ns>/<name>"
  namespace: string;
  selector: Readonly<Record<string, string>>;
}

export interface WorkloadContext {
  mesh: ResolvedMesh;
  // namespace -> services defined in it (selectors only reach their own namespace)
  servicesByNamespace: ReadonlyMap<string, readonly ServiceInfo[]>;
  policies: readonly SelectorPolicy[];
  /** Built from the two above by `indexSelectors`; namespace -> index. */
  serviceIndex?: ReadonlyMap<string, SelectorIndex<ServiceInfo>>;
  policyIndex?: ReadonlyMap<string, SelectorIndex<SelectorPolicy>>;
  // namespace name -> its labels (enrollment reads istio.io/dataplane-mode there)
  namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;
  waypoints: WaypointContext;
  warn: (message: string) => void;
}

export function fromPod(pod: Resource, ctx: WorkloadContext): Workload | undefined {
  const status = v.podStatus(pod);
  if (status.phase === "Succeeded" || status.phase === "Failed") return undefined;
  const ips = (status.podIPs?.length ? status.podIPs.map((p) => p.ip ?? "") : [status.podIP ?? ""]).filter(
    Boolean,
  );
  const addresses = ips
    .map((ip) => parseIp(ip))
    .filter((ip) => ip !== undefined)
    .map(formatIp);
  if (addresses.length === 0 || addresses.length !== ips.length) return undefined;

  const ns = v.namespaceOf(pod);
  const meta = v.podMeta(pod);
  const spec = v.podSpec(pod);
  const labels = v.labelsOf(pod);
  const enrollment = podEnrollment(
    {
      namespace: ns,
      labels,
      annotations: v.annotationsOf(pod),
      hostNetwork: spec.hostNetwork === true,
      namespaceLabels: ctx.namespaceLabels.get(ns),
    },
    ctx.mesh,
  );
  const containerPorts = (spec.containers ?? []).flatMap((c) => c.ports ?? []);
  const services = mapServices(servicesSelecting(ctx, ns, labels), (s) =>
    podPortMappings(s.service, containerPorts),
  );
  const conditions = status.conditions ?? [];
  const healthy =
    meta.deletionTimestamp === undefined &&
    (conditions.length === 0 || conditions.some((c) => c.type === "Ready" && c.status === "True"));

  return assemble({
    kind: "Pod",
    uid: `${ctx.mesh.clusterId}//Pod/${ns}/${pod.metadata.name}`,
    name: pod.metadata.name,
    namespace: ns,
    serviceAccount: spec.serviceAccountName || spec.serviceAccount || "default",
    addresses,
    network: ctx.mesh.network,
    node: spec.nodeName ?? "",
    labels,
    workloadName: podWorkloadName(meta),
    enrollment,
    waypointTarget: { kind: "Pod", namespace: ns, name: pod.metadata.name, labels },
    services,
    healthy,
    ctx,
  });
}

export function fromWorkloadEntry(we: Resource, ctx: WorkloadContext): Workload | undefined {
  const spec = v.workloadEntrySpec(we);
  const ns = v.namespaceOf(we);
  const name = we.metadata.name;
  const labels = { ...(spec.labels ?? {}), ...v.labelsOf(we) };
  const address = entryAddress(spec.address, `WorkloadEntry ${ns}/${name}`, ctx.warn);
  if (!address) return undefined;
  const services = mapServices(servicesSelecting(ctx, ns, labels), (s) =>
    entryPortMappings(s.service, spec.ports ?? {}),
  );
  return assemble({
    kind: "WorkloadEntry",
    uid: `${ctx.mesh.clusterId}/networking.istio.io/WorkloadEntry/${ns}/${name}`,
    name,
    namespace: ns,
    serviceAccount: spec.serviceAccount || "default",
    addresses: [address],
    network: spec.network || ctx.mesh.network,
    node: "",
    labels,
    workloadName: entryWorkloadName(name, v.annotationsOf(we), labels),
    enrollment: entryEnrollment(labels, v.annotationsOf(we)),
    waypointTarget: { kind: "WorkloadEntry", namespace: ns, name, labels },
    services,
    healthy: true,
    ctx,
  });
}

export function fromServiceEntryEndpoints(se: Resource, ctx: WorkloadContext): Workload[] {
  const spec = v.serviceEntrySpec(se);
  const ns = v.namespaceOf(se);
  const name = se.metadata.name;
  const labels = v.labelsOf(se);
  const endpoints = spec.endpoints ?? [];
  if (
    endpoints.length === 0 &&
    !spec.workloadSelector &&
    (spec.resolution === "DNS" || spec.resolution === "DNS_ROUND_ROBIN")
  ) {
    ctx.warn(
      `ServiceEntry ${ns}/${name}: resolution ${spec.resolution} without endpoints resolves each host by DNS; the registry has no DNS-named workloads yet, so these hosts have no endpoints`,
    );
  }
  const own = (ctx.servicesByNamespace.get(ns) ?? []).filter((s) => s.entryKey === `${ns}/${name}`);
  const seen = new Set<string>();
  const out: Workload[] = [];
  endpoints.forEach((ep, i) => {
    const address = entryAddress(ep.address, `ServiceEntry ${ns}/${name} endpoints[${i}]`, ctx.warn);
    if (!address || seen.has(address)) return;
    seen.add(address);
    out.push(
      assemble({
        kind: "WorkloadEntry",
        uid: `${ctx.mesh.clusterId}/networking.istio.io/ServiceEntry/${ns}/${name}/${ep.address ?? address}`,
        name,
        namespace: ns,
        serviceAccount: ep.serviceAccount || "default",
        addresses: [address],
        network: ep.network || ctx.mesh.network,
        node: "",
        // istiod selects policies and names the workload by the entry's labels; the
        // endpoint's own labels only choose its waypoint.
        labels,
        workloadName: name,
        enrollment: entryEnrollment(labels, v.annotationsOf(se)),
        waypointTarget: { kind: "ServiceEntry", namespace: ns, name, labels: ep.labels ?? {} },
        services: mapServices(own, (s) => entryPortMappings(s.service, ep.ports ?? {})),
        healthy: true,
        ctx,
      }),
    );
  });
  return out;
}

interface Parts {
  kind: WorkloadKind;
  uid: string;
  name: string;
  namespace: string;
  serviceAccount: string;
  addresses: string[];
  network: string;
  node: string;
  labels: Record<string, string>;
  workloadName: string;
  enrollment: Enrollment;
  waypointTarget: WaypointTarget;
  services: Record<string, PortMapping[]>;
  healthy: boolean;
  ctx: WorkloadContext;
}

function assemble(p: Parts): Workload {
  const { mesh, waypoints } = p.ctx;
  const policyIndex = indexSelectors(p.ctx).policyIndex;
  const canonical = canonicalService(p.labels, p.workloadName);
  const w: Workload = {
    uid: p.uid,
    name: p.name,
    namespace: p.namespace,
    kind: p.kind,
    serviceAccount: p.serviceAccount,
    trustDomain: mesh.trustDomain,
    identity: `spiffe://${mesh.trustDomain}/ns/${p.namespace}/sa/${p.serviceAccount}`,
    addresses: p.addresses,
    network: p.network,
    node: p.node,
    labels: { ...p.labels },
    workloadName: p.workloadName,
    canonicalName: canonical.name,
    canonicalRevision: canonical.revision,
    enrolled: p.enrollment.enrolled,
    enrollmentReason: p.enrollment.reason,
    tunnelProtocol: p.enrollment.enrolled ? "HBONE" : "NONE",
    services: p.services,
    authorizationPolicies: [
      ...new Set(
        [p.namespace, mesh.rootNamespace]
          .flatMap((ns) => policyIndex.get(ns)?.match(p.labels) ?? [])
          .map((pol) => pol.key),
      ),
    ].sort(),
    healthy: p.healthy,
  };
  const instanceOf = p.waypointTarget.labels[GATEWAY_NAME];
  const isWaypointInstance =
    instanceOf !== undefined && waypoints.waypoints.has(`${p.namespace}/${instanceOf}`);
  const waypoint = isWaypointInstance ? undefined : waypointFor(p.waypointTarget, "workload", waypoints);
  if (waypoint) w.waypoint = waypoint;
  return w;
}

/** Services of `namespace` whose non-empty selector the labels satisfy (Istio: FilterSelectsNonEmpty). */
function servicesSelecting(
  ctx: WorkloadContext,
  namespace: string,
  labels: Readonly<Record<string, string>>,
): ServiceInfo[] {
  return indexSelectors(ctx).serviceIndex.get(namespace)?.match(labels) ?? [];
}

/**
 * Indexes services and policies by selector once per registry build (10,000 workloads against
 * 1,000 services and 1,000 policies is 22M selector tests without it).
 */
function indexSelectors(
  ctx: WorkloadContext,
): Required<Pick<WorkloadContext, "serviceIndex" | "policyIndex">> {
  if (!ctx.serviceIndex || !ctx.policyIndex) {
    const services = new Map<string, SelectorIndex<ServiceInfo>>();
    for (const [ns, list] of ctx.servicesByNamespace) {
      const idx = new SelectorIndex<ServiceInfo>(false);
      for (const s of list) idx.add(s.selector, s);
      services.set(ns, idx);
    }
    const policies = new Map<string, SelectorIndex<SelectorPolicy>>();
    for (const pol of ctx.policies) {
      const idx = policies.get(pol.namespace) ?? new SelectorIndex<SelectorPolicy>(true);
      idx.add(pol.selector, pol);
      policies.set(pol.namespace, idx);
    }
    ctx.serviceIndex = services;
    ctx.policyIndex = policies;
  }
  return { serviceIndex: ctx.serviceIndex, policyIndex: ctx.policyIndex };
}

/** service key -> port mappings; the key is "<ns>/<hostname>" (serviceKey in model/workload.ts). */
function mapServices(
  services: readonly ServiceInfo[],
  ports: (s: ServiceInfo) => PortMapping[],
): Record<string, PortMapping[]> {
  const out: Record<string, PortMapping[]> = {};
  for (const s of services) out[`${s.service.namespace}/${s.service.hostname}`] = ports(s);
  return out;
}

function entryAddress(
  address: string | undefined,
  who: string,
  warn: (m: string) => void,
): string | undefined {
  const ip = parseIp(address ?? "");
  if (ip) return formatIp(ip);
  warn(
    `${who}: address "${address ?? ""}" is not an IP; DNS-named endpoints are not supported yet, so it is left out`,
  );
  return undefined;
}
