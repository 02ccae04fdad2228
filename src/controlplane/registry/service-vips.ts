/**
 * Gives Services their cluster VIP in the local and hosts modes, as the Kubernetes API server
 * does: every Service except ExternalName and headless ones (clusterIP "None") has one; NodePort
 * and LoadBalancer Services get one too. A clusterIP written in the spec is honoured; otherwise
 * the address from the previous allocation table is kept, else the lowest free one is taken.
 * The returned Services carry the VIP in spec.clusterIP/clusterIPs, as the API server writes it.
 */
import type { Resource } from "../../api/resource.js";
import { AmbitError } from "../../common/errors.js";
import { AddressPool } from "./ipam.js";
import type { AllocationTable, PlacementError } from "./types.js";
import { namespaceOf, serviceSpec } from "./views.js";

export interface AssignedVips {
  /** Same order as the input. */
  services: Resource[];
  table: AllocationTable["services"];
  errors: PlacementError[];
}

/** input Service -> its copy carrying `ip`: an unchanged Service keeps the same object (memo.ts). */
export type VipMemo = WeakMap<Resource, { ip: string; out: Resource }>;

const keyOfService = (s: Resource): string => `${namespaceOf(s)}/${s.metadata.name}`;

/** The VIPs written in the spec: clusterIPs, else clusterIP; "" and "None" are not addresses. */
export function specVips(svc: Resource): string[] {
  const spec = serviceSpec(svc);
  const ips = spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP ?? ""];
  return ips.filter((ip) => ip !== "" && ip !== "None");
}

export function needsVip(svc: Resource): boolean {
  const spec = serviceSpec(svc);
  return (
    (spec.type ?? "ClusterIP") !== "ExternalName" && spec.clusterIP !== "None" && specVips(svc).length === 0
  );
}

export function assignServiceVips(
  services: readonly Resource[],
  serviceCidr: string,
  previous: AllocationTable["services"],
  memo: VipMemo = new WeakMap(),
): AssignedVips {
  const pool = new AddressPool(serviceCidr, "service");
  const table: AllocationTable["services"] = {};
  const errors: PlacementError[] = [];
  const order = [...services].sort((a, b) => (keyOfService(a) < keyOfService(b) ? -1 : 1));
  const fail = (s: Resource, code: string, message: string, hint: string): void => {
    errors.push({
      kind: "Service",
      namespace: namespaceOf(s),
      name: s.metadata.name,
      error: new AmbitError(code, message, hint),
    });
  };

  // Written addresses first: they win over remembered and new ones.
  for (const s of order) {
    for (const ip of specVips(s)) {
      if (pool.holds(ip) && !pool.reserve(ip, keyOfService(s))) {
        fail(
          s,
          "REGISTRY_ADDRESS_CONFLICT",
          `Service ${keyOfService(s)} asks for clusterIP ${ip}, already used by Service ${pool.ownerOf(ip)}`,
          "give one of the two Services another clusterIP, or leave clusterIP empty to get one",
        );
      }
    }
  }
  const fresh: Resource[] = [];
  for (const s of order.filter(needsVip)) {
    const prev = previous[keyOfService(s)];
    if (prev && pool.reserve(prev, keyOfService(s))) table[keyOfService(s)] = prev;
    else fresh.push(s);
  }
  for (const s of fresh) {
    const ip = pool.allocate(keyOfService(s));
    if (ip) table[keyOfService(s)] = ip;
    else
      fail(
        s,
        "REGISTRY_SERVICE_CIDR_FULL",
        `no VIP left for Service ${keyOfService(s)}: service CIDR ${pool.text} is full`,
        "widen the service CIDR or delete Services",
      );
  }

  const withVip = services.map((s) => withServiceVip(s, table[keyOfService(s)], memo));
  return { services: withVip, table, errors };
}

/** The Service as the API server would return it with VIP `ip` (unchanged without one). */
export function withServiceVip(s: Resource, ip: string | undefined, memo: VipMemo): Resource {
  if (!ip) return s;
  const prev = memo.get(s);
  if (prev?.ip === ip) return prev.out;
  const out = { ...s, spec: { ...(s.spec as object), clusterIP: ip, clusterIPs: [ip] } };
  memo.set(s, { ip, out });
  return out;
}
