/**
 * A pod's own /etc/resolv.conf and /etc/hosts. `ip netns exec <netns>` bind-mounts every file of
 * /etc/netns/<netns>/ over the same name in /etc for the command it runs (ip-netns(8)), so the
 * processes local mode starts in a pod see these instead of the machine's.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { POD_GATEWAY_ADDRESS } from "./names.js";

export const ETC_NETNS = "/etc/netns";

/**
 * The address pods send DNS to: the pods' gateway, an address of the node side of every pod veth
 * (topology.ts). The query reaches the node, where the node agent's DNS rule REDIRECTs it to the
 * node proxy's DNS server on 15053 (docs/node-agent.md). One fixed address keeps resolv.conf the
 * same on every node.
 */
export const POD_NAMESERVER = POD_GATEWAY_ADDRESS;

/**
 * As the kubelet writes it for ClusterFirst DNS: search `<ns>.svc.<domain> svc.<domain> <domain>`
 * with ndots:5, so `httpbin` and `httpbin.other` resolve through the search list.
 */
export function resolvConf(namespace: string, clusterDomain = "cluster.local"): string {
  return [
    `# written by ambit for a pod in namespace ${namespace}`,
    `nameserver ${POD_NAMESERVER}`,
    `search ${namespace}.svc.${clusterDomain} svc.${clusterDomain} ${clusterDomain}`,
    "options ndots:5",
    "",
  ].join("\n");
}

/** Like the kubelet's managed hosts file: loopback names, then the pod's own IP and hostname. */
export function hostsFile(ip: string, hostname: string): string {
  return [
    "# written by ambit (pod hosts file)",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "fe00::1\tip6-allnodes",
    "fe00::2\tip6-allrouters",
    `${ip}\t${hostname}`,
    "",
  ].join("\n");
}

export function podFilesDir(netns: string, etcNetns = ETC_NETNS): string {
  return join(etcNetns, netns);
}

export function writePodFiles(
  netns: string,
  pod: { namespace: string; ip: string; hostname: string; clusterDomain?: string },
  etcNetns = ETC_NETNS,
): string {
  const dir = podFilesDir(netns, etcNetns);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileSync(join(dir, "resolv.conf"), resolvConf(pod.namespace, pod.clusterDomain), { mode: 0o644 });
  writeFileSync(join(dir, "hosts"), hostsFile(pod.ip, pod.hostname), { mode: 0o644 });
  return dir;
}

export function removePodFiles(netns: string, etcNetns = ETC_NETNS): void {
  rmSync(podFilesDir(netns, etcNetns), { recursive: true, force: true });
}
