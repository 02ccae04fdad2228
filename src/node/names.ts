/**
 * Names of everything local mode creates in the kernel. Every object carries the cluster prefix
 * `amb<4-6 hex>` so `ambit down --force` can find leftovers after a crash by name alone:
 *
 *   netns      <prefix>-fabric, <prefix>-node-<node>, <prefix>-pod-<ns>-<pod>
 *   files      /etc/netns/<pod netns>/{resolv.conf,hosts} (bind-mounted by `ip netns exec`)
 *   interfaces live inside those namespaces only, so they vanish with them; their names just need
 *              to fit IFNAMSIZ (15 chars) and be unique per namespace, hence short hashes.
 */
import { createHash, randomBytes } from "node:crypto";
import { DNS_SUBDOMAIN_LOOSE } from "../common/dns-names.js";
import { AmbitError } from "../common/errors.js";

const PREFIX_RE = /^amb[0-9a-f]{4,6}$/;
/** Any name local mode owns: a cluster prefix followed by `-`. */
export const OWNED_NAME_RE = /^(amb[0-9a-f]{4,6})-/;
/** Kubernetes object names (a loose DNS-1123-style name): safe in file names and `ip` arguments. */
const K8S_NAME_RE = DNS_SUBDOMAIN_LOOSE;
/** netns names are files under /run/netns and /etc/netns; kept short enough to read in `ip netns`. */
export const MAX_NETNS_NAME = 60;

/** A fresh cluster prefix: `amb` + 6 random hex characters. */
export function newClusterPrefix(): string {
  return `amb${randomBytes(3).toString("hex")}`;
}

export function isClusterPrefix(s: string): boolean {
  return PREFIX_RE.test(s);
}

export function assertClusterPrefix(prefix: string): void {
  if (!PREFIX_RE.test(prefix)) {
    throw new AmbitError(
      "BAD_CLUSTER_PREFIX",
      `"${prefix}" is not a cluster prefix`,
      "a prefix is `amb` followed by 4 to 6 lowercase hex characters, e.g. amb3f9a1c",
    );
  }
}

function assertName(what: string, name: string): void {
  if (!K8S_NAME_RE.test(name)) {
    throw new AmbitError(
      "BAD_NAME",
      `${what} "${name}" is not a valid name`,
      "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
    );
  }
}

/** First `len` hex characters of sha256(s). */
export function shortHash(s: string, len = 8): string {
  return createHash("sha256").update(s).digest("hex").slice(0, len);
}

/** Keeps a name within MAX_NETNS_NAME: a readable head plus a hash of the whole name. */
function fit(name: string): string {
  if (name.length <= MAX_NETNS_NAME) return name;
  return `${name.slice(0, MAX_NETNS_NAME - 9)}-${shortHash(name)}`;
}

export function fabricNetns(prefix: string): string {
  assertClusterPrefix(prefix);
  return `${prefix}-fabric`;
}

export function nodeNetns(prefix: string, node: string): string {
  assertClusterPrefix(prefix);
  assertName("node name", node);
  return fit(`${prefix}-node-${node}`);
}

export function podNetns(prefix: string, namespace: string, name: string): string {
  assertClusterPrefix(prefix);
  assertName("namespace", namespace);
  assertName("pod name", name);
  return fit(`${prefix}-pod-${namespace}-${name}`);
}

/**
 * The pods' gateway: an address of the node side of every pod veth (topology.ts). Fixed, so it
 * is also every pod's nameserver and the node agent's rules can name it.
 */
export const POD_GATEWAY_ADDRESS = "169.254.1.1";

/** Every pod veth's node-side name starts with this (the DNS rule matches `-i av+`). */
export const HOST_VETH_PREFIX = "av";

/** Node-side end of a pod's veth, in the node netns: `av` + 10 hex (12 chars). */
export function hostVethName(podNs: string): string {
  return `${HOST_VETH_PREFIX}${shortHash(podNs, 10)}`;
}

/** Fabric-side end of a node's veth, in the fabric netns (enslaved to br0): `fb` + 10 hex. */
export function fabricVethName(nodeNs: string): string {
  return `fb${shortHash(nodeNs, 10)}`;
}

export type OwnedKind = "fabric" | "node" | "pod" | "other";

/** What kind of object an owned netns name is (teardown order: pods, nodes, fabric). */
export function ownedKind(prefix: string, netns: string): OwnedKind {
  if (netns === `${prefix}-fabric`) return "fabric";
  if (netns.startsWith(`${prefix}-node-`)) return "node";
  if (netns.startsWith(`${prefix}-pod-`)) return "pod";
  return "other";
}
