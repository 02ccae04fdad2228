/**
 * Local mode's network, built from network namespaces as a Kubernetes node's CNI would build it:
 *
 *   <prefix>-fabric            a Linux bridge br0: the "wire" between nodes; no addresses
 *      | veth fb<hash> <-> eth0
 *   <prefix>-node-<node>       eth0 = fabric IP (e.g. 10.250.0.10/24); ip_forward=1;
 *      |                       <peer pod CIDR> via <peer fabric IP>; <pod IP>/32 dev av<hash>
 *      | veth av<hash> <-> eth0   (node side carries 169.254.1.1/32, the same on every pod veth)
 *   <prefix>-pod-<ns>-<name>   eth0 = pod IP/32; 169.254.1.1 dev eth0 scope link;
 *                              default via 169.254.1.1
 *
 * There is no default route in the fabric or on a node, and nothing is ever created in the
 * machine's own namespace: the fixtures cannot reach outside, and outside cannot reach them.
 *
 * The pod gateway 169.254.1.1 is an address of the node (not proxy ARP, as Calico does it): a
 * connection REDIRECTed in PREROUTING gets the incoming interface's primary address as its new
 * destination, so each pod veth needs one for the node agent's rules (docs/node-agent.md).
 */
import { isIPv4 } from "node:net";
import { AmbitError } from "../common/errors.js";
import { parseIpv4Cidr } from "./cidr.js";
import { ipBatch, netnsExec, run } from "./exec.js";
import {
  fabricNetns,
  fabricVethName,
  hostVethName,
  nodeNetns,
  POD_GATEWAY_ADDRESS,
  podNetns,
} from "./names.js";
import { addNetns, deleteNetns, killNetnsProcesses, netnsExists } from "./netns.js";
import { removePodFiles, writePodFiles } from "./pod-files.js";
import { checkPrerequisites } from "./prereq.js";

/** The link-local gateway every pod routes through; also its DNS server address. */
export const POD_GATEWAY = POD_GATEWAY_ADDRESS;
export const FABRIC_BRIDGE = "br0";
export const DEFAULT_FABRIC_SUBNET = "10.250.0.0/24";

export interface FabricInfo {
  netns: string;
  subnet: string;
  bridge: string;
}

export interface NodeSpec {
  name: string;
  /** The node's address on the fabric, e.g. 10.250.0.10 (see fabricNodeIp()). */
  fabricIp: string;
  /** Prefix length of the fabric subnet; 24 unless told. */
  fabricPrefixLen?: number;
  /** Pods on this node take addresses from here; other nodes route it to fabricIp. */
  podCidr: string;
}

export interface PeerSpec {
  fabricIp: string;
  podCidr: string;
}

export interface NodeInfo {
  netns: string;
  /** The fabric-side end of the node's veth (in the fabric netns). */
  fabricVeth: string;
}

export interface PodSpec {
  namespace: string;
  name: string;
  ip: string;
  /** The name the pod's hosts file gives its IP; the pod name unless told. */
  hostname?: string;
  /** DNS search suffix; cluster.local unless told. */
  clusterDomain?: string;
}

export interface PodInfo {
  netns: string;
  /** Node-side end of the pod's veth: what the node agent's rules match with `-i`. */
  hostVeth: string;
}

function assertIpv4(what: string, ip: string): void {
  if (!isIPv4(ip))
    throw new AmbitError("BAD_ADDRESS", `${what} "${ip}" is not an IPv4 address`, "write it as a.b.c.d");
}

/** Creates the fabric namespace and its bridge. */
export async function createFabric(prefix: string, subnet = DEFAULT_FABRIC_SUBNET): Promise<FabricInfo> {
  checkPrerequisites();
  parseIpv4Cidr(subnet); // validate before touching the kernel
  const netns = fabricNetns(prefix);
  await addNetns(netns);
  try {
    await ipBatch(
      netns,
      ["link set lo up", `link add ${FABRIC_BRIDGE} type bridge`, `link set ${FABRIC_BRIDGE} up`],
      "cannot create the fabric bridge",
    );
  } catch (e) {
    await deleteNetns([netns]).catch(() => undefined);
    throw e;
  }
  return { netns, subnet, bridge: FABRIC_BRIDGE };
}

/** (Re)sets, in one node, the routes to the other nodes' pod CIDRs (`ip route replace`: idempotent). */
export async function setPeerRoutes(
  prefix: string,
  nodeName: string,
  peers: readonly PeerSpec[],
): Promise<void> {
  for (const p of peers) {
    assertIpv4("peer fabric IP", p.fabricIp);
    parseIpv4Cidr(p.podCidr);
  }
  await ipBatch(
    nodeNetns(prefix, nodeName),
    peers.map((p) => `route replace ${p.podCidr} via ${p.fabricIp} dev eth0`),
    `cannot set routes to other nodes on node ${nodeName}`,
  );
}

/**
 * Creates a node namespace attached to the fabric, with routes to its peers' pod CIDRs. Nodes
 * added later need setPeerRoutes() on the existing ones.
 */
export async function addNode(
  prefix: string,
  node: NodeSpec,
  peers: readonly PeerSpec[] = [],
): Promise<NodeInfo> {
  checkPrerequisites();
  assertIpv4("node fabric IP", node.fabricIp);
  parseIpv4Cidr(node.podCidr);
  const len = node.fabricPrefixLen ?? 24;
  const netns = nodeNetns(prefix, node.name);
  const fabric = fabricNetns(prefix);
  const fabricVeth = fabricVethName(netns);
  if (!netnsExists(fabric)) {
    throw new AmbitError("NO_FABRIC", `the fabric ${fabric} does not exist`, "call createFabric() first");
  }
  await addNetns(netns);
  try {
    await ipBatch(
      fabric,
      [
        `link add ${fabricVeth} type veth peer name eth0 netns ${netns}`,
        `link set ${fabricVeth} master ${FABRIC_BRIDGE}`,
        `link set ${fabricVeth} up`,
      ],
      `cannot attach node ${node.name} to the fabric`,
    );
    await ipBatch(
      netns,
      ["link set lo up", `addr add ${node.fabricIp}/${len} dev eth0`, "link set eth0 up"],
      `cannot configure node ${node.name}`,
    );
    await setPeerRoutes(prefix, node.name, peers);
    // A node routes between its pods and the fabric. /proc/sys/net is per namespace, so the write
    // happens inside it.
    await netnsExec(netns, ["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"], {
      code: "SYSCTL_FAILED",
      what: `cannot enable forwarding on node ${node.name}`,
    });
  } catch (e) {
    await removeNode(prefix, node.name).catch(() => undefined);
    throw e;
  }
  return { netns, fabricVeth };
}

/**
 * Creates a pod namespace wired to its node, and its resolv.conf/hosts. The caller starts the
 * pod's processes with `ip netns exec <netns> ...` afterwards.
 */
export async function addPod(prefix: string, nodeName: string, pod: PodSpec): Promise<PodInfo> {
  checkPrerequisites();
  assertIpv4("pod IP", pod.ip);
  const node = nodeNetns(prefix, nodeName);
  const netns = podNetns(prefix, pod.namespace, pod.name);
  const hostVeth = hostVethName(netns);
  if (!netnsExists(node)) {
    throw new AmbitError("NO_NODE", `node ${nodeName} (${node}) does not exist`, "call addNode() first");
  }
  await addNetns(netns);
  try {
    writePodFiles(netns, {
      namespace: pod.namespace,
      ip: pod.ip,
      hostname: pod.hostname ?? pod.name,
      ...(pod.clusterDomain ? { clusterDomain: pod.clusterDomain } : {}),
    });
    await ipBatch(
      node,
      [
        `link add ${hostVeth} type veth peer name eth0 netns ${netns}`,
        `addr add ${POD_GATEWAY}/32 dev ${hostVeth}`,
        `link set ${hostVeth} up`,
        `route add ${pod.ip}/32 dev ${hostVeth}`,
      ],
      `cannot attach pod ${pod.namespace}/${pod.name} to node ${nodeName}`,
    );
    await ipBatch(
      netns,
      [
        "link set lo up",
        `addr add ${pod.ip}/32 dev eth0`,
        "link set eth0 up",
        `route add ${POD_GATEWAY} dev eth0 scope link`,
        `route add default via ${POD_GATEWAY} dev eth0`,
      ],
      `cannot configure pod ${pod.namespace}/${pod.name}`,
    );
  } catch (e) {
    await removePod(prefix, nodeName, pod).catch(() => undefined);
    throw e;
  }
  return { netns, hostVeth };
}

export interface RemoveOptions {
  /** End the processes still inside the namespace (SIGTERM, then SIGKILL); default true. */
  killProcesses?: boolean;
}

/** Removes a pod's namespace, veth, route and files. Idempotent. */
export async function removePod(
  prefix: string,
  nodeName: string,
  pod: { namespace: string; name: string },
  opts: RemoveOptions = {},
): Promise<void> {
  const { ip } = checkPrerequisites();
  const node = nodeNetns(prefix, nodeName);
  const netns = podNetns(prefix, pod.namespace, pod.name);
  // Deleting one end of a veth deletes both, and the node's route to the pod with it, even while
  // a process still holds the pod namespace alive.
  if (netnsExists(node)) await run(ip, ["-n", node, "link", "del", hostVethName(netns)]);
  if (opts.killProcesses ?? true) await killNetnsProcesses([netns]);
  await deleteNetns([netns]);
  removePodFiles(netns);
}

/** Removes a node's namespace (and so its fabric veth). Its pods are removed separately. Idempotent. */
export async function removeNode(prefix: string, nodeName: string, opts: RemoveOptions = {}): Promise<void> {
  const { ip } = checkPrerequisites();
  const netns = nodeNetns(prefix, nodeName);
  if (netnsExists(netns)) await run(ip, ["-n", netns, "link", "del", "eth0"]);
  if (opts.killProcesses ?? true) await killNetnsProcesses([netns]);
  await deleteNetns([netns]);
}
