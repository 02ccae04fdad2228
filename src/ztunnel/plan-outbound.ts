/**
 * Where an outbound connection captured from a local pod goes: a pure decision over ProxyState,
 * carried out by the socket code (outbound.ts). Follows ztunnel's outbound resolution
 * (src/state.rs ProxyState::find_upstream and DemandProxyState::fetch_upstream):
 *   1. The source must be a known workload on this node that is enrolled; anything else was not
 *      supposed to be captured, and the connection is refused rather than guessed at.
 *   2. A service VIP is looked up first, then a workload IP (find_upstream's order).
 *      - VIP + a port the service exposes: one endpoint workload, healthy and with an address,
 *        chosen by `pick` (ztunnel chooses at random); the target port is the workload's own
 *        mapping for that service port, else the service's numeric targetPort, else the service
 *        port itself (0 = same). An endpoint that cannot serve a named targetPort is skipped.
 *      - VIP + a port the service does not expose: refused (find_upstream returns nothing).
 *      - Workload IP: that workload, on the port asked for.
 *   3. Destination enrolled (HBONE) -> tunnel to its node proxy on 15008, authority = workload
 *      IP and target port; not enrolled, or an address the mesh does not know -> passthrough.
 *
 * WAYPOINT SEAM: a destination (service or workload) may declare a waypoint. This issue does not
 * route through waypoints; the plan reports the declared waypoint in `waypoint` and still goes
 * straight to the destination. The waypoint issue replaces that branch (marked below) with
 * "HBONE to the waypoint, authority = original service VIP:port".
 */
import {
  serviceKey,
  workloadPortFor,
  type Service,
  type ServicePort,
  type WaypointRef,
  type Workload,
} from "../model/workload.js";
import { canonicalIp, ipBytes } from "../policy/ip.js";
import type { ProxyState } from "./state.js";

export interface OutboundRequest {
  node: string;
  sourceIp: string;
  /** Original destination (before redirection). */
  destinationIp: string;
  destinationPort: number;
}

export interface OutboundOptions {
  /** HBONE port of the destination node proxy (default 15008). */
  hbonePort?: number;
  /** Chooses an endpoint index in [0, n); default random. */
  pick?: (n: number) => number;
}

export interface Endpoint {
  ip: string;
  port: number;
}

export type OutboundPlan =
  | {
      kind: "hbone";
      source: Workload;
      destination: Workload;
      service?: Service;
      /** Destination workload IP and TARGET port: what the far proxy connects to. */
      target: Endpoint;
      /** Where the tunnel goes: the destination workload IP on the HBONE port. */
      hbone: Endpoint;
      /** CONNECT :authority, "ip:port" of `target` (IPv6 bracketed). */
      authority: string;
      /** SPIFFE ID the far proxy must present for this destination. */
      destinationIdentity: string;
      /** Declared waypoint of the destination; NOT used yet (see WAYPOINT SEAM above). */
      waypoint?: WaypointRef;
    }
  | {
      kind: "passthrough";
      source?: Workload;
      service?: Service;
      target: Endpoint;
      reason: string;
      /** Declared waypoint of the destination; NOT used yet (see WAYPOINT SEAM above). */
      waypoint?: WaypointRef;
    }
  | { kind: "reject"; reason: string; code: string };

export const DEFAULT_HBONE_PORT = 15008;

/** HTTP authority for an address (RFC 3986 §3.2.2: IPv6 in brackets). */
export function authorityOf(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

const randomPick = (n: number): number => Math.floor(Math.random() * n);

export function planOutbound(
  state: ProxyState,
  req: OutboundRequest,
  opts: OutboundOptions = {},
): OutboundPlan {
  const hbonePort = opts.hbonePort ?? DEFAULT_HBONE_PORT;
  const sourceIp = canonicalIp(req.sourceIp) ?? req.sourceIp;
  const destinationIp = canonicalIp(req.destinationIp) ?? req.destinationIp;
  const original = authorityOf(destinationIp, req.destinationPort);

  const source = state.workloadByIp(sourceIp);
  if (!source) return reject("UNKNOWN_SOURCE", `source ${sourceIp} is not a known workload`);
  if (source.node !== req.node) {
    return reject(
      "SOURCE_NOT_ON_NODE",
      `source ${sourceIp} is ${source.namespace}/${source.name} on node "${source.node}", not on this node "${req.node}"`,
    );
  }
  if (!source.enrolled) {
    return reject(
      "SOURCE_NOT_ENROLLED",
      `source ${source.namespace}/${source.name} is not enrolled in the mesh (${source.enrollmentReason})`,
    );
  }

  const service = state.serviceByVip(destinationIp);
  if (service) {
    const port = service.ports.find((p) => p.port === req.destinationPort);
    if (!port) {
      const exposed = service.ports.map((p) => p.port).join(", ") || "none";
      return reject(
        "SERVICE_PORT_UNKNOWN",
        `${service.hostname} (${destinationIp}) has no port ${req.destinationPort} (ports: ${exposed})`,
      );
    }
    const candidates = endpointsFor(state, service, port, destinationIp);
    if (candidates.length === 0) {
      return reject("NO_HEALTHY_ENDPOINTS", `no healthy endpoints for ${service.hostname}:${port.port}`);
    }
    const index = clampPick((opts.pick ?? randomPick)(candidates.length), candidates.length);
    const chosen = candidates[index]!;
    // WAYPOINT SEAM: service.waypoint (or the endpoint's) would redirect here in the waypoint issue.
    return toDestination(source, chosen.workload, chosen.target, hbonePort, service, service.waypoint);
  }

  const workload = state.workloadByIp(destinationIp);
  if (workload) {
    // WAYPOINT SEAM: workload.waypoint would redirect here in the waypoint issue.
    const target = { ip: destinationIp, port: req.destinationPort };
    return toDestination(source, workload, target, hbonePort, undefined, workload.waypoint);
  }
  return {
    kind: "passthrough",
    source,
    target: { ip: destinationIp, port: req.destinationPort },
    reason: `${original} is not a workload or service known to the mesh`,
  };
}

interface Candidate {
  workload: Workload;
  target: Endpoint;
}

export function endpointsFor(
  state: ProxyState,
  service: Service,
  port: ServicePort,
  vip: string,
): Candidate[] {
  const out: Candidate[] = [];
  for (const uid of state.endpointsOf(serviceKey(service))) {
    const w = state.workloadByUid(uid);
    if (!w || !w.healthy || w.addresses.length === 0) continue;
    const targetPort = workloadPortFor(w, service, port);
    if (targetPort === undefined) continue;
    out.push({ workload: w, target: { ip: addressFor(w, vip), port: targetPort } });
  }
  return out;
}

/** A workload address of the VIP's family when there is one (ztunnel prefers the caller's family). */
function addressFor(w: Workload, vip: string): string {
  const family = ipBytes(vip)?.length;
  const ips = w.addresses.map((a) => canonicalIp(a) ?? a);
  return ips.find((a) => ipBytes(a)?.length === family) ?? ips[0]!;
}

function toDestination(
  source: Workload,
  destination: Workload,
  target: Endpoint,
  hbonePort: number,
  service: Service | undefined,
  waypoint: WaypointRef | undefined,
): OutboundPlan {
  const extra = { ...(service ? { service } : {}), ...(waypoint ? { waypoint } : {}) };
  if (destination.tunnelProtocol === "HBONE") {
    return {
      kind: "hbone",
      source,
      destination,
      ...extra,
      target,
      hbone: { ip: target.ip, port: hbonePort },
      authority: authorityOf(target.ip, target.port),
      destinationIdentity: destination.identity,
    };
  }
  return {
    kind: "passthrough",
    source,
    ...extra,
    target,
    reason: `${destination.namespace}/${destination.name} is not enrolled in the mesh (${destination.enrollmentReason})`,
  };
}

function clampPick(i: number, n: number): number {
  return Number.isInteger(i) && i >= 0 && i < n ? i : 0;
}

function reject(code: string, reason: string): OutboundPlan {
  return { kind: "reject", code, reason };
}
