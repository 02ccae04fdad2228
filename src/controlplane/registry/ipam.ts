/**
 * One address pool over a CIDR: hands out the lowest free address, so that a freed address is
 * the next one reused and the same inputs always give the same allocation.
 *
 * Reserved addresses follow what a Kubernetes cluster does: in a node's pod CIDR the network
 * address and the first host (the bridge/gateway the CNI puts on the node, as the bridge and
 * host-local plugins do) are never given to pods; in the service CIDR the network address is
 * skipped. IPv4 broadcast addresses are skipped in both.
 */
import {
  cidrContains,
  cidrSize,
  formatCidr,
  formatIp,
  nthAddress,
  parseCidr,
  parseIp,
  type Cidr,
} from "./cidr.js";
import { AmbitError } from "../../common/errors.js";

export type PoolKind = "pod" | "service";

export class AddressPool {
  readonly cidr: Cidr;
  readonly text: string;
  private readonly first: bigint;
  private readonly last: bigint;
  // address value -> owner key ("<ns>/<name>")
  private readonly used = new Map<bigint, string>();

  constructor(cidrText: string, kind: PoolKind) {
    const cidr = parseCidr(cidrText);
    if (!cidr) {
      throw new AmbitError(
        "REGISTRY_BAD_CIDR",
        `"${cidrText}" is not a CIDR block`,
        kind === "pod"
          ? "give each node a podCidr such as 10.244.1.0/24"
          : "use a service CIDR such as 10.96.0.0/16",
      );
    }
    this.cidr = cidr;
    this.text = formatCidr(cidr);
    const size = cidrSize(cidr);
    const broadcast = cidr.version === 4 && size >= 4n ? 1n : 0n;
    this.first = kind === "pod" ? 2n : 1n;
    this.last = size - 1n - broadcast;
  }

  /** True when `ip` is a host address of this pool (inside the CIDR and not reserved). */
  holds(ipText: string): boolean {
    const ip = parseIp(ipText);
    if (!ip || !cidrContains(this.cidr, ip)) return false;
    const offset = ip.value - this.cidr.network;
    return offset >= this.first && offset <= this.last;
  }

  ownerOf(ipText: string): string | undefined {
    const ip = parseIp(ipText);
    return ip ? this.used.get(ip.value) : undefined;
  }

  /** Marks an address as taken; false when it is outside the pool or owned by someone else. */
  reserve(ipText: string, owner: string): boolean {
    const ip = parseIp(ipText);
    if (!ip || !this.holds(ipText)) return false;
    const current = this.used.get(ip.value);
    if (current !== undefined && current !== owner) return false;
    this.used.set(ip.value, owner);
    return true;
  }

  /** Lowest free address, or undefined when the pool is full. */
  allocate(owner: string): string | undefined {
    for (let n = this.first; n <= this.last; n++) {
      const ip = nthAddress(this.cidr, n);
      if (!this.used.has(ip.value)) {
        this.used.set(ip.value, owner);
        return formatIp(ip);
      }
    }
    return undefined;
  }

  hasFree(): boolean {
    return BigInt(this.used.size) < this.capacity();
  }

  capacity(): bigint {
    return this.last >= this.first ? this.last - this.first + 1n : 0n;
  }
}
