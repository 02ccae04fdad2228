/**
 * The local and hosts modes' stand-in for the Kubernetes controllers, scheduler and IPAM: turns
 * the applied documents into concrete Pods (Deployments expanded, every pod on a node with an
 * address) and gives Services their VIPs. Pure: the previous allocation table comes in, the new
 * one goes out, and the same inputs always give the same result.
 */
import { gvkOf, type Resource } from "../../api/resource.js";
import { AmbitError } from "../../common/errors.js";
import { cidrContains, parseCidr } from "./cidr.js";
import { expandDeployment } from "./deployments.js";
import { placePods } from "./scheduler.js";
import { assignServiceVips } from "./service-vips.js";
import {
  emptyAllocations,
  type AllocationTable,
  type MaterializeOptions,
  type MaterializeResult,
  type NodeSpec,
} from "./types.js";

const DEFAULT_SERVICE_CIDR = "10.96.0.0/16";

/**
 * @param resources validated documents (any kinds; only Pods, Deployments and Services are touched)
 * @param nodes the nodes pods may run on
 * @param previous the table returned by the last call (empty the first time)
 * @throws AmbitError REGISTRY_BAD_CIDR when a node's pod CIDR or the service CIDR is not a CIDR,
 *   REGISTRY_CIDR_OVERLAP when two of them overlap, REGISTRY_DUPLICATE_NODE for a repeated node name
 */
export function materializePods(
  resources: readonly Resource[],
  nodes: readonly NodeSpec[],
  previous: AllocationTable = emptyAllocations(),
  options: MaterializeOptions = {},
): MaterializeResult {
  const serviceCidr = options.serviceCidr ?? DEFAULT_SERVICE_CIDR;
  checkNetworks(nodes, serviceCidr);
  const declared: Resource[] = [];
  const generated: Resource[] = [];
  const services: Resource[] = [];
  for (const r of resources) {
    const gvk = gvkOf(r);
    if (gvk === "/Pod") declared.push(r);
    else if (gvk === "apps/Deployment") generated.push(...expandDeployment(r));
    else if (gvk === "/Service") services.push(r);
  }

  const podsOut = placePods(dedupe([...declared, ...generated]), nodes, previous.pods);
  const vips = assignServiceVips(services, serviceCidr, previous.services);

  // Every document keeps its place; Services come back with their VIP; Pods go last, sorted.
  let nextService = 0;
  const out: Resource[] = [];
  for (const r of resources) {
    const gvk = gvkOf(r);
    if (gvk === "/Pod") continue;
    out.push(gvk === "/Service" ? (vips.services[nextService++] ?? r) : r);
  }
  out.push(...podsOut.pods);

  return {
    resources: out,
    pods: podsOut.pods,
    allocations: { pods: podsOut.table, services: vips.table },
    errors: [...podsOut.errors, ...vips.errors],
  };
}

/** First of each namespace/name wins: a declared Pod over a generated one of the same name. */
function dedupe(pods: readonly Resource[]): Resource[] {
  const seen = new Map<string, Resource>();
  for (const p of pods) {
    const key = `${p.metadata.namespace ?? "default"}/${p.metadata.name}`;
    if (!seen.has(key)) seen.set(key, p);
  }
  return [...seen.values()];
}

/** Address blocks must not overlap, or two pods (or a pod and a VIP) could share an address. */
function checkNetworks(nodes: readonly NodeSpec[], serviceCidr: string): void {
  const seen = new Set<string>();
  for (const n of nodes) {
    if (seen.has(n.name))
      throw new AmbitError(
        "REGISTRY_DUPLICATE_NODE",
        `node "${n.name}" is listed twice`,
        "give every node its own name",
      );
    seen.add(n.name);
  }
  const blocks = [
    ...nodes.map((n) => ({ what: `node ${n.name}`, text: n.podCidr })),
    { what: "the service CIDR", text: serviceCidr },
  ];
  const parsed = blocks.map((b) => ({ ...b, cidr: parseCidr(b.text) }));
  parsed.forEach((a, i) => {
    for (const b of parsed.slice(i + 1)) {
      if (!a.cidr || !b.cidr) continue; // AddressPool reports unparsable blocks
      const [x, y] = [a.cidr, b.cidr];
      const overlap =
        cidrContains(x, { version: y.version, value: y.network }) ||
        cidrContains(y, { version: x.version, value: x.network });
      if (overlap)
        throw new AmbitError(
          "REGISTRY_CIDR_OVERLAP",
          `${a.what} (${a.text}) overlaps ${b.what} (${b.text})`,
          "give every node a pod CIDR of its own, apart from the service CIDR",
        );
    }
  });
}
