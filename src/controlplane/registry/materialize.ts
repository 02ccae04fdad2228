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
import { sameItems } from "./memo.js";
import {
  placePods,
  withPlacement,
  type PlacedPods,
  type Placement,
  type PlacementMemo,
} from "./scheduler.js";
import {
  assignServiceVips,
  needsVip,
  specVips,
  withServiceVip,
  type AssignedVips,
  type VipMemo,
} from "./service-vips.js";
import {
  emptyAllocations,
  type AllocationTable,
  type MaterializeOptions,
  type MaterializeResult,
  type NodeSpec,
} from "./types.js";
import { namespaceOf, podSpec, podStatus } from "./views.js";

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
  return new Materializer().run(resources, nodes, previous, options);
}

/**
 * materializePods kept across config changes: same result, less work. Expanded Deployments,
 * placed Pods and Services with their VIP are the same objects while their inputs are, and when
 * no pod's placement inputs (name, status.podIP, spec.nodeName) changed and `previous` is the
 * table this materializer returned last, the placement is the last one: placement is
 * idempotent (fed its own table back, every pod keeps its node and address, and a pod that could
 * not be placed still cannot), so it need not run again. The same holds for Service VIPs.
 */
export class Materializer {
  // document -> what every run reads of it (property reads add up at 10,000 pods)
  private readonly docs = new WeakMap<Resource, DocFacts>();
  private readonly expansions = new WeakMap<Resource, Resource[]>();
  private readonly podMemo: PlacementMemo = new WeakMap();
  private readonly vipMemo: VipMemo = new WeakMap();
  private checked = "";
  private lastPods: { nodes: string; signatures: string[]; placed: PlacedPods } | undefined;
  private lastVips: { cidr: string; signatures: string[]; assigned: AssignedVips } | undefined;
  private lastAllocations: AllocationTable | undefined;
  private lastRun: LastRun | undefined;

  run(
    resources: readonly Resource[],
    nodes: readonly NodeSpec[],
    previous: AllocationTable = emptyAllocations(),
    options: MaterializeOptions = {},
  ): MaterializeResult {
    const serviceCidr = options.serviceCidr ?? DEFAULT_SERVICE_CIDR;
    const nodesKey = JSON.stringify(nodes);
    if (this.checked !== `${serviceCidr} ${nodesKey}`) {
      checkNetworks(nodes, serviceCidr);
      this.checked = `${serviceCidr} ${nodesKey}`;
    }
    const quick = this.patch(resources, `${serviceCidr} ${nodesKey}`, previous);
    if (quick) return quick;
    const facts = resources.map((r) => this.facts(r));
    // First of each namespace/name wins: a declared Pod over a generated one of the same name.
    // "<ns>/<name>" -> pod
    const pods = new Map<string, Resource>();
    const services: Resource[] = [];
    facts.forEach((f, i) => {
      if (f.gvk === "/Pod" && !pods.has(f.name)) pods.set(f.name, resources[i]!);
      else if (f.gvk === "/Service") services.push(resources[i]!);
    });
    facts.forEach((f, i) => {
      if (f.gvk !== "apps/Deployment") return;
      for (const p of this.expand(resources[i]!)) {
        const name = this.facts(p).name;
        if (!pods.has(name)) pods.set(name, p);
      }
    });

    const podsOut = this.place([...pods.values()], nodes, nodesKey, previous.pods);
    const vips = this.assignVips(services, serviceCidr, previous.services);

    // Every document keeps its place; Services come back with their VIP; Pods go last, sorted.
    let nextService = 0;
    const out: Resource[] = [];
    facts.forEach((f, i) => {
      if (f.gvk === "/Pod") return;
      out.push(f.gvk === "/Service" ? (vips.services[nextService++] ?? resources[i]!) : resources[i]!);
    });
    out.push(...podsOut.pods);

    const last = this.lastAllocations;
    const allocations =
      last && last.pods === podsOut.table && last.services === vips.table
        ? last
        : { pods: podsOut.table, services: vips.table };
    this.lastAllocations = allocations;
    const result = {
      resources: out,
      pods: podsOut.pods,
      allocations,
      errors: [...podsOut.errors, ...vips.errors],
    };
    const dedupedPods = [...pods.values()];
    this.lastRun = {
      // a copy: the caller may reuse its array
      resources: resources.slice(),
      networks: `${serviceCidr} ${nodesKey}`,
      result,
      at: new Map(podsOut.order.map((i, j) => [dedupedPods[i]!, j])),
      placements: podsOut.placements,
    };
    return result;
  }

  /**
   * The last result with a few declared Pods replaced by Pods of the same name and the same
   * placement inputs (a label or spec change): placement, VIPs and the table are as last time,
   * only those pods' placed copies change. Undefined when anything else changed.
   */
  private patch(
    resources: readonly Resource[],
    networks: string,
    previous: AllocationTable,
  ): MaterializeResult | undefined {
    const last = this.lastRun;
    if (!last || last.networks !== networks || previous !== last.result.allocations) return undefined;
    if (resources.length !== last.resources.length) return undefined;
    const changed: number[] = [];
    for (let i = 0; i < resources.length; i++) {
      if (resources[i] === last.resources[i]) continue;
      if (changed.length === MAX_PATCHED) return undefined;
      changed.push(i);
    }
    if (changed.length === 0) return last.result;
    for (const i of changed) {
      const was = last.resources[i]!;
      const now = resources[i]!;
      if (this.facts(now).gvk !== "/Pod" || this.facts(was).gvk !== "/Pod") return undefined;
      if (this.podSignature(now) !== this.podSignature(was) || !last.at.has(was)) return undefined;
    }
    const pods = last.result.pods.slice();
    const out = last.result.resources.slice();
    const firstPod = out.length - pods.length;
    for (const i of changed) {
      const was = last.resources[i]!;
      const now = resources[i]!;
      const at = last.at.get(was)!;
      pods[at] = withPlacement(now, last.placements[at], this.podMemo);
      out[firstPod + at] = pods[at]!;
      last.at.delete(was);
      last.at.set(now, at);
    }
    last.resources = resources.slice();
    last.result = { ...last.result, resources: out, pods };
    return last.result;
  }

  private place(
    pods: readonly Resource[],
    nodes: readonly NodeSpec[],
    nodesKey: string,
    previous: AllocationTable["pods"],
  ): PlacedPods {
    const signatures = pods.map((p) => this.podSignature(p));
    const last = this.lastPods;
    let placed: PlacedPods;
    if (
      last &&
      last.nodes === nodesKey &&
      last.placed.table === previous &&
      sameItems(last.signatures, signatures)
    ) {
      const { order, placements } = last.placed;
      placed = {
        ...last.placed,
        pods: order.map((i, j) => withPlacement(pods[i]!, placements[j], this.podMemo)),
      };
    } else {
      placed = placePods(pods, nodes, previous, this.podMemo);
    }
    this.lastPods = { nodes: nodesKey, signatures, placed };
    return placed;
  }

  private assignVips(
    services: readonly Resource[],
    cidr: string,
    previous: AllocationTable["services"],
  ): AssignedVips {
    const signatures = services.map((s) => {
      const f = this.facts(s);
      f.placement ??= `${f.name}\0${specVips(s).join(",")}\0${needsVip(s)}`;
      return f.placement;
    });
    const last = this.lastVips;
    let assigned: AssignedVips;
    if (
      last &&
      last.cidr === cidr &&
      last.assigned.table === previous &&
      sameItems(last.signatures, signatures)
    ) {
      const table = last.assigned.table;
      assigned = {
        ...last.assigned,
        services: services.map((s) => withServiceVip(s, table[this.facts(s).name], this.vipMemo)),
      };
    } else {
      assigned = assignServiceVips(services, cidr, previous, this.vipMemo);
    }
    this.lastVips = { cidr, signatures, assigned };
    return assigned;
  }

  /** What placing a pod reads of it: its name, status.podIP and spec.nodeName. */
  private podSignature(p: Resource): string {
    const f = this.facts(p);
    f.placement ??= `${f.name}\0${podStatus(p).podIP ?? ""}\0${podSpec(p).nodeName ?? ""}`;
    return f.placement;
  }

  private facts(r: Resource): DocFacts {
    let f = this.docs.get(r);
    if (!f) {
      f = { gvk: gvkOf(r), name: `${namespaceOf(r)}/${r.metadata.name}` };
      this.docs.set(r, f);
    }
    return f;
  }

  private expand(deployment: Resource): Resource[] {
    let pods = this.expansions.get(deployment);
    if (!pods) {
      pods = expandDeployment(deployment);
      this.expansions.set(deployment, pods);
    }
    return pods;
  }
}

/** More changed documents than this: the full run is about as quick. */
const MAX_PATCHED = 64;

interface LastRun {
  resources: readonly Resource[];
  /** Service CIDR and nodes. */
  networks: string;
  result: MaterializeResult;
  // input pod -> its position in result.pods
  at: Map<Resource, number>;
  /** Where each pod of result.pods went. */
  placements: readonly (Placement | undefined)[];
}

interface DocFacts {
  gvk: string;
  /** "<ns>/<name>", the key of the allocation table. */
  name: string;
  /** For a Pod or Service: what placing it reads, as one string. */
  placement?: string;
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
