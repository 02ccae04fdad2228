/**
 * The node agent's redirection rules, as iptables-restore text for a node's nat table (pure).
 * docs/node-agent.md explains each rule; in short, in this order:
 *
 *   AMBIT-PREROUTING   (packets arriving at the node: from its pods' veths, or from the fabric)
 *     1. DNS from any pod (udp+tcp 53)            -> REDIRECT 15053  node proxy DNS
 *     2. enrolled pod's outbound TCP (-i its veth) -> REDIRECT 15001  ztunnel outbound
 *        (except to the gateway 169.254.1.1, i.e. the node itself)
 *     3. TCP to an enrolled pod's IP, port 15008   -> REDIRECT 15008  HBONE (a tunnel to that pod)
 *     4. any other TCP to an enrolled pod's IP     -> REDIRECT 15006  ztunnel plaintext inbound
 *     5. -> AMBIT-SERVICES
 *   AMBIT-OUTPUT       (connections the node itself opens: the node proxy)
 *     1. TCP to an enrolled local pod's IP:15008   -> REDIRECT 15008  (same-node tunnels)
 *        and nothing else. (No Service rules: a VIP has no route in a node namespace, so a
 *        process there cannot dial one — connect() fails before OUTPUT is reached — and the
 *        node proxy never does: it resolves VIPs to endpoints itself.)
 *   AMBIT-SERVICES     Service VIP:port -> one endpoint, spread at random (kube-proxy's job, for
 *                      clients that are not enrolled; enrolled ones were captured in step 2):
 *                      DNAT, except an endpoint that is an enrolled pod on this node -> REDIRECT
 *                      15006 (why: in nodeRules)
 *   AMBIT-POSTROUTING  hairpin: a pod reaching itself through a VIP is masqueraded
 *
 * Plus, in the mangle table, AMBIT-PROXY-REPLIES and its policy routing: replies to the node
 * proxy's transparent connections (made from the original client's IP) are delivered to the proxy
 * (replyMarkRules, replyRoutingCommands; why at the end of this file).
 *
 * Invariant: the node proxy's own connections are never captured. They are locally generated, so
 * they traverse OUTPUT, not PREROUTING, and OUTPUT redirects only port 15008 of local enrolled
 * pods — the proxy's tunnels to its own HBONE listener. Istio's ztunnel gets the same property
 * from a socket mark its in-pod rules skip; here the namespace boundary gives it for free: the
 * proxy lives in the node namespace and its connections to pods leave through the pods' veths.
 */
import { isIPv4 } from "node:net";
import { PORTS } from "../common/paths.js";
import { AmbitError } from "../common/errors.js";
import { POD_GATEWAY_ADDRESS, HOST_VETH_PREFIX } from "./names.js";

export interface NodeRulesPod {
  ip: string;
  /** Node-side end of the pod's veth (PodInfo.hostVeth). */
  hostVeth: string;
  /** Redirected through the node proxy (istio.io/dataplane-mode=ambient), or left alone. */
  enrolled: boolean;
}

export interface NodeRulesService {
  vip: string;
  port: number;
  endpoints: Array<{ ip: string; port: number }>;
}

export interface NodeRulePorts {
  outbound: number;
  inbound: number;
  hbone: number;
  dns: number;
}

export interface NodeRulesInput {
  pods: readonly NodeRulesPod[];
  services: readonly NodeRulesService[];
  ports?: Partial<NodeRulePorts>;
}

export const CHAINS = {
  prerouting: "AMBIT-PREROUTING",
  output: "AMBIT-OUTPUT",
  services: "AMBIT-SERVICES",
  postrouting: "AMBIT-POSTROUTING",
} as const;

/** Built-in nat chain -> our chain it jumps to (installed once, first in the built-in chain). */
export const JUMPS: ReadonlyArray<readonly [string, string]> = [
  ["PREROUTING", CHAINS.prerouting],
  ["OUTPUT", CHAINS.output],
  ["POSTROUTING", CHAINS.postrouting],
];

const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

function invalid(what: string): AmbitError {
  return new AmbitError(
    "NODE_RULES_INVALID",
    `cannot write node rules: ${what}`,
    "this is a bug in what computed the node's pods and services; please report it",
  );
}

function checkIp(what: string, ip: string): void {
  if (!isIPv4(ip)) throw invalid(`${what} "${ip}" is not an IPv4 address`);
}

function checkPort(what: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`${what} ${port} is not a TCP port`);
}

function validate(input: NodeRulesInput, ports: NodeRulePorts): void {
  for (const [k, v] of Object.entries(ports)) checkPort(`port ${k}`, v);
  for (const p of input.pods) {
    checkIp("pod IP", p.ip);
    if (!IFNAME_RE.test(p.hostVeth)) throw invalid(`"${p.hostVeth}" is not an interface name`);
  }
  for (const s of input.services) {
    checkIp("service VIP", s.vip);
    checkPort(`service ${s.vip} port`, s.port);
    for (const e of s.endpoints) {
      checkIp(`endpoint of ${s.vip}:${s.port}`, e.ip);
      checkPort(`endpoint ${e.ip} port`, e.port);
    }
  }
}

/**
 * kube-proxy's way to spread new connections evenly with independent rules: rule i of n matches
 * with probability 1/(n-i), the last one always. Ten decimals, as kube-proxy writes them.
 */
export function endpointProbability(i: number, n: number): string | undefined {
  return i >= n - 1 ? undefined : (1 / (n - i)).toFixed(10);
}

/**
 * The iptables-restore text (nat table) for one node. Declaring a chain flushes it under --noflush.
 * Contract with the node proxy: its plaintext inbound (15006) may see a Service VIP:port as the
 * original destination — a client that is not enrolled dialled a Service whose chosen endpoint is
 * an enrolled pod on this node; the proxy then delivers to one of that Service's enrolled
 * endpoints on this node (target port from the Service), after the usual inbound checks.
 */
export function nodeRules(input: NodeRulesInput): string {
  const ports: NodeRulePorts = {
    outbound: input.ports?.outbound ?? PORTS.ztunnelOutbound,
    inbound: input.ports?.inbound ?? PORTS.ztunnelInbound,
    hbone: input.ports?.hbone ?? PORTS.hbone,
    dns: input.ports?.dns ?? PORTS.dns,
  };
  validate(input, ports);
  const enrolled = input.pods.filter((p) => p.enrolled);
  const pre = (rule: string) => `-A ${CHAINS.prerouting} ${rule}`;
  const out = (rule: string) => `-A ${CHAINS.output} ${rule}`;
  const lines = ["*nat", ...Object.values(CHAINS).map((c) => `:${c} - [0:0]`)];

  for (const proto of ["udp", "tcp"]) {
    lines.push(
      pre(`-i ${HOST_VETH_PREFIX}+ -p ${proto} -m ${proto} --dport 53 -j REDIRECT --to-ports ${ports.dns}`),
    );
  }
  for (const p of enrolled) {
    lines.push(
      pre(`-i ${p.hostVeth} ! -d ${POD_GATEWAY_ADDRESS}/32 -p tcp -j REDIRECT --to-ports ${ports.outbound}`),
    );
  }
  for (const p of enrolled) {
    lines.push(
      pre(`-d ${p.ip}/32 -p tcp -m tcp --dport ${ports.hbone} -j REDIRECT --to-ports ${ports.hbone}`),
    );
  }
  for (const p of enrolled) {
    lines.push(pre(`-d ${p.ip}/32 -p tcp -j REDIRECT --to-ports ${ports.inbound}`));
  }
  lines.push(pre(`-j ${CHAINS.services}`));

  for (const p of enrolled) {
    lines.push(
      out(`-d ${p.ip}/32 -p tcp -m tcp --dport ${ports.hbone} -j REDIRECT --to-ports ${ports.hbone}`),
    );
  }

  const localEnrolled = new Set(enrolled.map((p) => p.ip));
  for (const s of input.services) {
    const n = s.endpoints.length;
    s.endpoints.forEach((e, i) => {
      const p = endpointProbability(i, n);
      const match = `-d ${s.vip}/32 -p tcp -m tcp --dport ${s.port}${p === undefined ? "" : ` -m statistic --mode random --probability ${p}`}`;
      const dnat = `-j DNAT --to-destination ${e.ip}:${e.port}`;
      // An endpoint that is an enrolled pod on this node: a DNAT here would be the connection's one
      // destination NAT on this node (decided on its first packet, after rule 4 saw the VIP), so
      // nothing would capture it any more and a plaintext client would reach an enrolled pod behind
      // the node proxy's back, bypassing STRICT mTLS and authorization. On a Kubernetes node the
      // pod's own namespace (its own conntrack) captures it after kube-proxy's DNAT; here the node
      // proxy gets it on 15006 with the VIP as original destination and picks a local endpoint.
      const action = localEnrolled.has(e.ip) ? `-j REDIRECT --to-ports ${ports.inbound}` : dnat;
      lines.push(`-A ${CHAINS.services} ${match} ${action}`);
    });
  }

  // A pod sent through a VIP to itself would get a packet from its own address, which the kernel
  // drops as martian; masquerading it (to the gateway address) makes the hairpin work, as
  // kube-proxy's KUBE-MARK-MASQ does for the same case.
  for (const p of input.pods) {
    lines.push(`-A ${CHAINS.postrouting} -s ${p.ip}/32 -d ${p.ip}/32 -j MASQUERADE`);
  }
  lines.push("COMMIT", "");
  return lines.join("\n");
}

/**
 * The jumps of `jumps` (default: the nat table's, JUMPS; the mangle table's are REPLY_JUMPS) that
 * `saved` (iptables-save output) lacks. Our chain names differ between tables, so `saved` may hold
 * every table. Pure.
 */
export function missingJumps(
  saved: string,
  jumps: ReadonlyArray<readonly [string, string]> = JUMPS,
): Array<readonly [string, string]> {
  const have = new Set(saved.split("\n").map((l) => l.trim()));
  return jumps.filter(([from, to]) => !have.has(`-A ${from} -j ${to}`));
}

/**
 * Adds to `rules` the missingJumps() of `saved`, as inserts at position 1 so they run before
 * anything else in the table, inside the same transaction. Pure.
 */
export function withMissingJumps(
  rules: string,
  saved: string,
  jumps: ReadonlyArray<readonly [string, string]> = JUMPS,
): string {
  const missing = missingJumps(saved, jumps).map(([from, to]) => `-I ${from} 1 -j ${to}`);
  if (missing.length === 0) return rules;
  const at = rules.lastIndexOf("COMMIT");
  if (at < 0) throw invalid("the rules have no COMMIT line");
  return `${rules.slice(0, at)}${missing.join("\n")}\n${rules.slice(at)}`;
}

/*
 * Reply routing for the node proxy's transparent connections (ztunnel --preserve-source-ip).
 *
 * The node proxy delivers an inbound connection to a pod from a socket with IP_TRANSPARENT bound
 * to the original client's IP, so the application sees the client as its peer (as in Istio
 * ambient: ztunnel src/proxy.rs freebind_connect). The pod's replies are addressed to that client
 * IP, which is not the node's: routed normally they would be forwarded (to the client's veth, or
 * over the fabric), never reaching the proxy. So, in each node namespace:
 *
 *   mangle AMBIT-PROXY-REPLIES (from mangle PREROUTING):
 *     -i av+ -p tcp -m socket --transparent -j MARK --set-xmark 0x111/0xfff
 *       a TCP packet from a pod that belongs to a transparent socket of this namespace (a reply
 *       on one of the proxy's client-IP connections) gets the mark. `--transparent` matches only
 *       sockets with IP_TRANSPARENT, and without --nowildcard never a wildcard listener, so the
 *       proxy's ordinary connections and listeners are left alone.
 *   ip rule add fwmark 0x111/0xfff lookup 100 pref 32764
 *   ip route replace local 0.0.0.0/0 dev lo table 100
 *       a marked packet is routed as local, whatever its destination, so it is delivered to the
 *       socket instead of being forwarded.
 *
 * The mark, mask, table and priority are those of Istio's in-pod redirection, which routes replies
 * to ztunnel's original-source sockets the same way (istio/istio cni/pkg/iptables/iptables.go
 * InpodTProxyMark/InpodTProxyMask/RouteTableInbound, iptables_linux.go: "ip rule add fwmark
 * 0x111/0xfff pref 32764 lookup 100", "ip route add local 0.0.0.0/0 dev lo table 100"); matching
 * the replies with `-m socket --transparent` is the classic TPROXY divert rule (Istio's earlier
 * node-level redirection, istio/istio cni/pkg/ambient/net_linux.go, marked them by connmark).
 * IPv4 only, like the rest of local mode.
 */
export const REPLY_CHAIN = "AMBIT-PROXY-REPLIES";
export const REPLY_JUMPS: ReadonlyArray<readonly [string, string]> = [["PREROUTING", REPLY_CHAIN]];
export const REPLY_MARK = "0x111/0xfff";
export const REPLY_ROUTE_TABLE = 100;
export const REPLY_RULE_PRIORITY = 32764;

/** The iptables-restore text (mangle table) that marks replies to the proxy's transparent sockets. */
export function replyMarkRules(): string {
  return [
    "*mangle",
    `:${REPLY_CHAIN} - [0:0]`,
    `-A ${REPLY_CHAIN} -i ${HOST_VETH_PREFIX}+ -p tcp -m socket --transparent -j MARK --set-xmark ${REPLY_MARK}`,
    "COMMIT",
    "",
  ].join("\n");
}

/**
 * The `ip -batch` lines that give a node namespace the policy routing for marked replies, given
 * what `ip rule show` prints there now: the local route (`replace`, so always safe to repeat) and
 * the rule when it is missing (`ip rule add` would add a duplicate). Pure.
 */
export function replyRoutingCommands(ruleShow: string): string[] {
  const route = `route replace local 0.0.0.0/0 dev lo table ${REPLY_ROUTE_TABLE}`;
  const present = new RegExp(`\\bfwmark ${REPLY_MARK} lookup ${REPLY_ROUTE_TABLE}\\b`).test(ruleShow);
  if (present) return [route];
  return [route, `rule add fwmark ${REPLY_MARK} lookup ${REPLY_ROUTE_TABLE} pref ${REPLY_RULE_PRIORITY}`];
}
