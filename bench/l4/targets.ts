/**
 * The four ways the client pod reaches the server pod, as measure() targets. The anchors' two
 * ends are started here (server end in node-2's namespace, client end in node-1's) and stay up
 * until the bench ends; the client pod dials the client end at its gateway address, which is
 * node-1 itself (docs/node-agent.md, "The pod gateway").
 */
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { POD_GATEWAY_ADDRESS } from "../../src/node/names.js";
import { haproxyConfig, stunnelConfig, type Certs, type TunnelPort } from "./anchors.js";
import { APP_PORT, IPERF_PORT, type BenchTopology } from "./cluster.js";
import type { Target } from "./measure.js";
import { waitListening, type ProcessSet } from "./procs.js";
import type { RowName } from "./report.js";

interface Anchor {
  name: "stunnel" | "haproxy";
  /** Client end listens on base (HTTP) and base+10 (iperf3); server end on those + 300. */
  base: number;
  config: typeof stunnelConfig;
  argv: (configFile: string) => string[];
}

const ANCHORS: Anchor[] = [
  { name: "stunnel", base: 7101, config: stunnelConfig, argv: (f) => ["stunnel4", f] },
  // -db: stay in the foreground, one process (its threads: HAProxy's default, one per CPU).
  { name: "haproxy", base: 7102, config: haproxyConfig, argv: (f) => ["haproxy", "-db", "-f", f] },
];

export interface TargetSetup {
  topo: BenchTopology;
  /** Where configuration files and logs go. */
  work: string;
  certs: Certs;
  procs: ProcessSet;
}

async function startAnchor(a: Anchor, s: TargetSetup): Promise<Target> {
  const { topo } = s;
  const server = topo.plain.server;
  const ports: TunnelPort[] = [
    { name: "http", listen: a.base, tunnel: a.base + 300, target: `${server.ip}:${APP_PORT}` },
    { name: "iperf", listen: a.base + 10, tunnel: a.base + 310, target: `${server.ip}:${IPERF_PORT}` },
  ];
  const pids: number[] = [];
  for (const [end, netns] of [
    ["server", topo.node2.netns],
    ["client", topo.node1.netns],
  ] as const) {
    const file = join(s.work, `${a.name}-${end}.conf`);
    writeFileSync(file, a.config(end, s.certs, ports, topo.node2.ip));
    pids.push(s.procs.start(netns, a.argv(file), join(s.work, `${a.name}-${end}.log`)));
    for (const p of ports) await waitListening(netns, end === "client" ? p.listen : p.tunnel);
  }
  return {
    name: a.name,
    clientNetns: topo.plain.client.netns,
    url: `http://${POD_GATEWAY_ADDRESS}:${a.base}/`,
    iperfHost: POD_GATEWAY_ADDRESS,
    iperfPort: a.base + 10,
    proxyPids: () => pids,
  };
}

/** The wanted rows' targets, in the table's order: direct, stunnel, haproxy, ambit. */
export async function startTargets(s: TargetSetup, wanted: readonly RowName[]): Promise<Target[]> {
  const { topo } = s;
  const out: Target[] = [];
  if (wanted.includes("direct"))
    out.push({
      name: "direct",
      clientNetns: topo.plain.client.netns,
      url: `http://${topo.plain.server.ip}:${APP_PORT}/`,
      iperfHost: topo.plain.server.ip,
      iperfPort: IPERF_PORT,
      proxyPids: () => [],
    });
  for (const a of ANCHORS) if (wanted.includes(a.name)) out.push(await startAnchor(a, s));
  if (wanted.includes("ambit")) {
    const zt = topo.ztunnelPids();
    if (zt.length !== 2) throw new Error(`expected 2 ztunnel processes, found ${zt.length}`);
    out.push({
      name: "ambit",
      clientNetns: topo.mesh.client.netns,
      url: `http://${topo.mesh.server.ip}:${APP_PORT}/`,
      iperfHost: topo.mesh.server.ip,
      iperfPort: IPERF_PORT,
      proxyPids: () => zt,
    });
  }
  return out;
}
