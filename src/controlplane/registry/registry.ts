/**
 * The service registry: from validated documents to the workloads, services and authorization
 * policies the control plane pushes to node proxies. Pure and deterministic — documents are read
 * in namespace/name order and every output list is sorted — so two computations over the same
 * documents compare equal and xDS can push only what changed.
 *
 * Order of work: waypoints first (services and workloads point at them), then authorization
 * policies (workloads list the ones selecting them), then services, then workloads (each lists
 * the services selecting it), and last each service's endpoints from those workloads.
 */
import { gvkOf, keyOf, type Resource } from "../../api/resource.js";
import type { Authorization } from "../../model/authorization.js";
import { serviceKey, type Service, type Workload } from "../../model/workload.js";
import { convertAuthorizationPolicy } from "./authorization.js";
import { fromService, fromServiceEntry, serviceAddresses, type ServiceInfo } from "./services.js";
import { resolveMesh, type Registry, type RegistryInput } from "./types.js";
import { namespaceOf } from "./views.js";
import { collectWaypoints, type WaypointContext } from "./waypoints.js";
import {
  fromPod,
  fromServiceEntryEndpoints,
  fromWorkloadEntry,
  type SelectorPolicy,
  type WorkloadContext,
} from "./workloads.js";

const byKey = (a: Resource, b: Resource): number => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0);

export function buildRegistry(input: RegistryInput): Registry {
  const mesh = resolveMesh(input.mesh);
  const warnings: string[] = [];
  const seenWarnings = new Set<string>();
  const warn = (m: string): void => {
    if (!seenWarnings.has(m)) warnings.push(m);
    seenWarnings.add(m);
  };

  // "group/Kind" -> documents of that kind, in namespace/name order
  const kinds = new Map<string, Resource[]>();
  for (const r of [...input.resources].sort(byKey)) {
    const list = kinds.get(gvkOf(r)) ?? [];
    list.push(r);
    kinds.set(gvkOf(r), list);
  }
  const of = (gvk: string): Resource[] => kinds.get(gvk) ?? [];
  const k8sServices = of("/Service");

  // Waypoints
  const serviceByKey = new Map(k8sServices.map((s) => [`${namespaceOf(s)}/${s.metadata.name}`, s]));
  const vipsOf = (ns: string, name: string): string[] => {
    const svc = serviceByKey.get(`${ns}/${name}`);
    return svc ? serviceAddresses(svc, input.allocations) : [];
  };
  const wp: WaypointContext = {
    waypoints: collectWaypoints(
      of("gateway.networking.k8s.io/Gateway"),
      of("gateway.networking.k8s.io/GatewayClass"),
      vipsOf,
      mesh.domainSuffix,
      warn,
    ),
    namespaceLabels: new Map(of("/Namespace").map((n) => [n.metadata.name, n.metadata.labels ?? {}])),
    warn,
  };

  // Authorization policies
  const authorizations: Authorization[] = [];
  const policies: SelectorPolicy[] = [];
  for (const p of of("security.istio.io/AuthorizationPolicy")) {
    const converted = convertAuthorizationPolicy(p, mesh.rootNamespace);
    if (!converted) continue;
    converted.warnings.forEach(warn);
    const a = converted.authorization;
    if (!a) continue;
    if (a.l7Warning) warn(`AuthorizationPolicy ${a.namespace}/${a.name}: ${a.l7Warning}`);
    authorizations.push(a);
    if (a.scope === "WORKLOAD_SELECTOR" && converted.selector)
      policies.push({
        key: `${a.namespace}/${a.name}`,
        namespace: a.namespace,
        selector: converted.selector,
      });
  }

  // Services; the first definition of a "<ns>/<hostname>" wins, Services before ServiceEntries.
  const infos: ServiceInfo[] = [];
  const taken = new Set<string>();
  const candidates = [
    ...k8sServices.map((s) => fromService(s, mesh, input.allocations, wp)),
    ...of("networking.istio.io/ServiceEntry").flatMap((se) => fromServiceEntry(se, wp, warn)),
  ];
  for (const info of candidates) {
    if (!info) continue;
    const key = serviceKey(info.service);
    if (taken.has(key)) {
      warn(
        `${info.service.source} ${info.service.namespace}/${info.service.name}: host ${info.service.hostname} is already defined in namespace ${info.service.namespace}; this definition is ignored`,
      );
      continue;
    }
    taken.add(key);
    infos.push(info);
  }

  // Workloads
  const servicesByNamespace = new Map<string, ServiceInfo[]>();
  for (const info of infos) {
    const list = servicesByNamespace.get(info.service.namespace) ?? [];
    list.push(info);
    servicesByNamespace.set(info.service.namespace, list);
  }
  const ctx: WorkloadContext = {
    mesh,
    servicesByNamespace,
    policies,
    namespaceLabels: wp.namespaceLabels,
    waypoints: wp,
    warn,
  };
  const workloads: Workload[] = [
    ...of("/Pod").flatMap((p) => fromPod(p, ctx) ?? []),
    ...of("networking.istio.io/WorkloadEntry").flatMap((w) => fromWorkloadEntry(w, ctx) ?? []),
    ...of("networking.istio.io/ServiceEntry").flatMap((se) => fromServiceEntryEndpoints(se, ctx)),
  ].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));

  // Endpoints: every workload that lists the service, in uid order.
  const services: Service[] = infos.map((i) => i.service);
  const byService = new Map(services.map((s) => [serviceKey(s), s]));
  for (const w of workloads)
    for (const key of Object.keys(w.services)) byService.get(key)?.endpoints.push(w.uid);
  services.sort((a, b) => (serviceKey(a) < serviceKey(b) ? -1 : serviceKey(a) > serviceKey(b) ? 1 : 0));

  authorizations.sort((a, b) => {
    const ka = `${a.namespace}/${a.name}`;
    const kb = `${b.namespace}/${b.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return { workloads, services, authorizations, warnings };
}
