/**
 * Places pods on nodes and gives each an address from its node's pod CIDR, for the local and
 * hosts modes. The rules, in order of precedence:
 *   1. a pod that already has status.podIP keeps it untouched (it was placed elsewhere);
 *   2. a pod in the previous allocation table keeps its node and IP while both are still valid,
 *      so recomputation never renumbers a running pod;
 *   3. any other pod goes to its spec.nodeName if set, else to the node with the fewest pods
 *      (ties: the order nodes are given in), and gets the lowest free address there.
 * Pods are handled in namespace/name order so the same inputs always give the same placement.
 */
import type { Resource } from "../../api/resource.js";
import { AmbitError } from "../../common/errors.js";
import { AddressPool } from "./ipam.js";
import type { AllocationTable, NodeSpec, PlacementError } from "./types.js";
import { namespaceOf, podSpec, podStatus } from "./views.js";

export interface Placement {
  node: NodeSpec;
  ip: string;
}

export interface PlacedPods {
  pods: Resource[];
  table: AllocationTable["pods"];
  errors: PlacementError[];
  /** Positions in the input of the pods in `pods` order, and where each of them went. */
  order: number[];
  placements: (Placement | undefined)[];
}

/**
 * input pod -> its placed copy and the placement it was made for: an unchanged pod placed where
 * it was keeps the same object, which the registry's caches rely on (memo.ts).
 */
export type PlacementMemo = WeakMap<Resource, { placement: Placement | undefined; out: Resource }>;

const keyOfPod = (p: Resource): string => `${namespaceOf(p)}/${p.metadata.name}`;

export function placePods(
  pods: readonly Resource[],
  nodes: readonly NodeSpec[],
  previous: AllocationTable["pods"],
  memo: PlacementMemo = new WeakMap(),
): PlacedPods {
  const keys = pods.map(keyOfPod);
  const order = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : 1));
  const sorted = order.map((i) => pods[i]!);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  // node name -> its address pool
  const pools = new Map(nodes.map((n) => [n.name, new AddressPool(n.podCidr, "pod")]));
  // node name -> pods placed on it so far
  const load = new Map(nodes.map((n) => [n.name, 0]));
  const placed = new Map<string, Placement>();
  const table: AllocationTable["pods"] = {};
  const errors: PlacementError[] = [];
  const fail = (p: Resource, code: string, message: string, hint: string): void => {
    errors.push({
      kind: "Pod",
      namespace: namespaceOf(p),
      name: p.metadata.name,
      error: new AmbitError(code, message, hint),
    });
  };
  const take = (p: Resource, node: NodeSpec, ip: string): void => {
    placed.set(keyOfPod(p), { node, ip });
    table[keyOfPod(p)] = { node: node.name, ip };
    load.set(node.name, (load.get(node.name) ?? 0) + 1);
  };

  // 1. Pods that already have an address: reserve it so nobody else gets it.
  const pending: Resource[] = [];
  for (const p of sorted) {
    const ip = podStatus(p).podIP;
    if (!ip) {
      pending.push(p);
      continue;
    }
    const node = byName.get(podSpec(p).nodeName ?? "");
    if (!node) continue; // placed outside the nodes we manage; nothing to reserve
    const pool = pools.get(node.name);
    if (pool?.holds(ip) && !pool.reserve(ip, keyOfPod(p))) {
      fail(
        p,
        "REGISTRY_ADDRESS_CONFLICT",
        `pod ${keyOfPod(p)} has address ${ip}, already used by ${pool.ownerOf(ip)}`,
        "remove status.podIP from one of the two pods",
      );
      continue;
    }
    take(p, node, ip);
  }

  // 2. Pods remembered from last time keep node and address when still possible.
  const fresh: Resource[] = [];
  for (const p of pending) {
    const prev = previous[keyOfPod(p)];
    const wanted = podSpec(p).nodeName;
    const node = prev ? byName.get(prev.node) : undefined;
    if (
      prev &&
      node &&
      (!wanted || wanted === node.name) &&
      pools.get(node.name)?.reserve(prev.ip, keyOfPod(p))
    ) {
      take(p, node, prev.ip);
    } else {
      fresh.push(p);
    }
  }

  // 3. Everything else: chosen node, lowest free address.
  for (const p of fresh) {
    const wanted = podSpec(p).nodeName;
    let node: NodeSpec | undefined;
    if (wanted) {
      node = byName.get(wanted);
      if (!node) {
        fail(
          p,
          "REGISTRY_NODE_NOT_FOUND",
          `pod ${keyOfPod(p)} asks for node "${wanted}", which does not exist`,
          `remove spec.nodeName or use one of: ${nodes.map((n) => n.name).join(", ") || "(no nodes)"}`,
        );
        continue;
      }
    } else {
      node = leastLoaded(nodes, load, pools);
      if (!node) {
        fail(
          p,
          nodes.length ? "REGISTRY_POD_CIDR_FULL" : "REGISTRY_NO_NODES",
          nodes.length
            ? `no address left for pod ${keyOfPod(p)}: every node's pod CIDR is full (${nodes.map((n) => `${n.name} ${n.podCidr}`).join(", ")})`
            : `pod ${keyOfPod(p)} cannot be placed: there are no nodes`,
          nodes.length ? "add a node, widen the pod CIDRs, or scale a Deployment down" : "add a node first",
        );
        continue;
      }
    }
    const ip = pools.get(node.name)?.allocate(keyOfPod(p));
    if (!ip) {
      fail(
        p,
        "REGISTRY_POD_CIDR_FULL",
        `no address left for pod ${keyOfPod(p)}: pod CIDR ${node.podCidr} of node ${node.name} is full`,
        "widen the node's pod CIDR, move the pod to another node, or delete pods",
      );
      continue;
    }
    take(p, node, ip);
  }

  const placements = order.map((i) => placed.get(keys[i]!));
  return {
    pods: sorted.map((p, i) => withPlacement(p, placements[i], memo)),
    table,
    errors,
    order,
    placements,
  };
}

/** Fewest pods first; ties go to the node listed first. Nodes with a full CIDR are skipped. */
function leastLoaded(
  nodes: readonly NodeSpec[],
  load: ReadonlyMap<string, number>,
  pools: ReadonlyMap<string, AddressPool>,
): NodeSpec | undefined {
  let best: NodeSpec | undefined;
  for (const n of nodes) {
    if (!pools.get(n.name)?.hasFree()) continue;
    if (!best || (load.get(n.name) ?? 0) < (load.get(best.name) ?? 0)) best = n;
  }
  return best;
}

/** The pod as placed: on its node with its address, or Pending when it could not be placed. */
export function withPlacement(
  pod: Resource,
  placement: Placement | undefined,
  memo: PlacementMemo,
): Resource {
  if (podStatus(pod).podIP) return pod; // rule 1: left as it is
  const prev = memo.get(pod);
  if (prev && samePlacement(prev.placement, placement)) return prev.out;
  const out = placedCopy(pod, placement);
  memo.set(pod, { placement, out });
  return out;
}

function samePlacement(a: Placement | undefined, b: Placement | undefined): boolean {
  if (!a || !b) return a === b;
  return a.ip === b.ip && a.node.name === b.node.name && a.node.address === b.node.address;
}

function placedCopy(pod: Resource, placement: Placement | undefined): Resource {
  const spec = { ...(pod.spec as object) };
  if (!placement) {
    // Could not be placed: it stays Pending, without an address, like an unschedulable pod.
    return { ...pod, spec, status: { ...podStatus(pod), phase: "Pending" } };
  }
  const { node, ip } = placement;
  // Phase Running: the node agent starts the containers; readiness is not asserted here.
  const status = { ...podStatus(pod), phase: "Running", podIP: ip, podIPs: [{ ip }], hostIP: node.address };
  return { ...pod, spec: { ...spec, nodeName: node.name }, status };
}
