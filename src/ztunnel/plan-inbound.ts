/**
 * What the node proxy does with an inbound connection: a pure decision over ProxyState, carried
 * out by inbound.ts. Follows ztunnel's inbound (src/proxy/inbound.rs build_inbound_request,
 * validate_destination; src/proxy/inbound_passthrough.rs) with Ambit's node-level listener:
 *
 * HBONE (15008, after mutual TLS):
 *   - the CONNECT authority must be "ip:port" (IPv6 bracketed), else 400 (ztunnel: BAD_REQUEST);
 *   - the workload at that IP must exist, be enrolled and run on THIS node, else refused with
 *     NOT_LOCAL_DESTINATION: the proxy never forwards anywhere else (never an open proxy);
 *   - when the address the tunnel was dialled on is known it must be the authority's IP
 *     (ztunnel's IPMismatch, 400);
 *   - the source IP is the `forwarded: for=` claim only when the workload at that IP has exactly
 *     the identity the peer authenticated with (the claim cannot be forged for another identity),
 *     else the peer's own address;
 *   - then L4 authorization (policy/authorize.ts); denied -> 403 naming the policy. (ztunnel
 *     answers 401 there; Ambit keeps 401 for "no authenticated peer" and 403 for policy.)
 * Plaintext (15006, captured without a tunnel):
 *   - the destination must be an enrolled workload on this node;
 *   - PeerAuthentication (policy/peer-authentication.ts) STRICT refuses it (MTLS_REQUIRED);
 *   - otherwise L4 authorization with no identity (principals/namespaces cannot match).
 * The source workload (telemetry only) is the workload at the source IP, which for HBONE must also
 * carry the peer identity; for plaintext it is unauthenticated and best effort, as in ztunnel.
 */
import type { Workload } from "../model/workload.js";
import { authorize } from "../policy/authorize.js";
import { canonicalIp, ipBytes } from "../policy/ip.js";
import { mtlsMode, type MtlsDecision } from "../policy/peer-authentication.js";
import type { AuthzDecision, ConnectionAttributes } from "../policy/types.js";
import { endpointsFor, type Endpoint } from "./plan-outbound.js";
import type { ProxyState } from "./state.js";

export interface InboundHboneRequest {
  node: string;
  /** CONNECT :authority. */
  authority: string;
  /** SPIFFE ID from the peer's verified certificate. */
  peerIdentity: string;
  /** The local address the tunnel was accepted on, when known. */
  outerDestinationIp?: string;
  /** Client IP from the `forwarded: for=` header. */
  claimedSourceIp?: string;
  /** Remote address of the TLS connection. */
  peerAddress: string;
}

export interface InboundPlaintextRequest {
  node: string;
  sourceIp: string;
  destinationIp: string;
  destinationPort: number;
}

export type InboundPlan =
  | {
      kind: "deliver";
      destination: Workload;
      target: Endpoint;
      source?: Workload;
      sourceIp: string;
      /** Where sourceIp came from: the verified `forwarded` claim or the peer address. */
      sourceIpFrom: "forwarded" | "peer";
      sourceIdentity?: string;
      decision: AuthzDecision;
      mtls: "mutual_tls" | "none";
      /** Plaintext only: the PeerAuthentication mode that admitted it. */
      peerAuthentication?: MtlsDecision;
    }
  | {
      kind: "reject";
      /** HTTP status for HBONE (400 bad request, 401 unauthenticated, 403 policy, 503). */
      status: number;
      code: string;
      reason: string;
      decision?: AuthzDecision;
      destination?: Workload;
      source?: Workload;
    };

/** "10.0.0.1:80" or "[fd00::1]:80" -> canonical IP and port 1..65535; undefined otherwise. */
export function parseAuthority(authority: string): Endpoint | undefined {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(authority) ?? /^([0-9.]+):(\d{1,5})$/.exec(authority);
  if (!m) return undefined;
  const bracketed = authority.startsWith("[");
  const bytes = ipBytes(m[1]!);
  const port = Number(m[2]);
  // An IPv4 address must not be bracketed; an IPv6 one must be (RFC 3986 §3.2.2).
  if (!bytes || (bytes.length === 16) !== bracketed || port < 1 || port > 65535) return undefined;
  return { ip: canonicalIp(m[1]!)!, port };
}

const nameOf = (w: Workload): string => `${w.namespace}/${w.name}`;

/** Why `w` cannot receive through this node proxy, or undefined when it can. */
function notLocal(w: Workload | undefined, ip: string, node: string): string | undefined {
  const tail = "this node proxy only delivers to enrolled workloads on its own node";
  if (!w) return `${ip} is not a known workload; ${tail}`;
  if (w.node !== node) return `${ip} is ${nameOf(w)} on node "${w.node}", not "${node}"; ${tail}`;
  if (w.tunnelProtocol !== "HBONE")
    return `${ip} is ${nameOf(w)}, which is not enrolled in the mesh; ${tail}`;
  return undefined;
}

export function planInboundHbone(state: ProxyState, req: InboundHboneRequest): InboundPlan {
  const target = parseAuthority(req.authority);
  if (!target) {
    return reject(400, "BAD_AUTHORITY", `CONNECT authority "${req.authority.slice(0, 200)}" is not ip:port`);
  }
  if (!req.peerIdentity) return reject(401, "NO_PEER_IDENTITY", "the peer presented no workload identity");
  const destination = state.workloadByIp(target.ip);
  const why = notLocal(destination, target.ip, req.node);
  if (why || !destination) return reject(400, "NOT_LOCAL_DESTINATION", why ?? "", { destination });
  const outer = req.outerDestinationIp === undefined ? undefined : canonicalIp(req.outerDestinationIp);
  if (req.outerDestinationIp !== undefined && outer !== target.ip) {
    return reject(
      400,
      "DESTINATION_MISMATCH",
      `tunnel dialled to ${req.outerDestinationIp} but CONNECT asks for ${target.ip}`,
      { destination },
    );
  }

  const peerIp = canonicalIp(req.peerAddress) ?? req.peerAddress;
  const claimedIp = req.claimedSourceIp === undefined ? undefined : canonicalIp(req.claimedSourceIp);
  const claimed = claimedIp === undefined ? undefined : state.workloadByIp(claimedIp);
  // A claim stands only for an enrolled workload with the tunnel's identity: tunnels start only
  // from those. A workload outside the mesh may share an identity (a host-network pod, whose
  // address is its node's; a WorkloadEntry, whose address is anything) and must not lend its
  // address to policy ipBlocks or to the source the destination pod sees.
  const verified =
    claimed?.identity === req.peerIdentity && claimed.tunnelProtocol === "HBONE" ? claimed : undefined;
  const sourceIp = verified && claimedIp !== undefined ? claimedIp : peerIp;
  const atPeer = state.workloadByIp(peerIp);
  const source = verified ?? (atPeer?.identity === req.peerIdentity ? atPeer : undefined);

  const conn: ConnectionAttributes = {
    sourceIdentity: req.peerIdentity,
    sourceIp,
    destinationIp: target.ip,
    destinationPort: target.port,
  };
  const decision = authorize(state.policiesFor(destination), conn);
  if (!decision.allowed) {
    return reject(
      403,
      "POLICY_DENIED",
      `${req.peerIdentity} (${sourceIp}) -> ${nameOf(destination)} ${req.authority}: ${decision.reason}`,
      { destination, source, decision },
    );
  }
  return {
    kind: "deliver",
    destination,
    target,
    ...(source ? { source } : {}),
    sourceIp,
    sourceIpFrom: verified ? "forwarded" : "peer",
    sourceIdentity: req.peerIdentity,
    decision,
    mtls: "mutual_tls",
  };
}

export function planInboundPlaintext(
  state: ProxyState,
  req: InboundPlaintextRequest,
  opts: { pick?: () => number } = {},
): InboundPlan {
  let destinationIp = canonicalIp(req.destinationIp) ?? req.destinationIp;
  let destinationPort = req.destinationPort;
  const sourceIp = canonicalIp(req.sourceIp) ?? req.sourceIp;
  // A plaintext client that dialled a Service VIP whose endpoint is an enrolled pod on this node:
  // the node agent redirects it here with the VIP as original destination (a DNAT straight to the
  // pod would bypass STRICT and authorization). Pick a local enrolled endpoint, as kube-proxy would.
  if (!state.workloadByIp(destinationIp)) {
    const service = state.serviceByVip(destinationIp);
    const sp = service?.ports.find((p) => p.port === destinationPort);
    if (service && sp) {
      const local = endpointsFor(state, service, sp, destinationIp).filter(
        (c) => c.workload.node === req.node && c.workload.tunnelProtocol === "HBONE",
      );
      const chosen = local[Math.floor((opts.pick ?? Math.random)() * local.length)] ?? local[0];
      if (chosen) {
        destinationIp = chosen.target.ip;
        destinationPort = chosen.target.port;
      }
    }
  }
  const destination = state.workloadByIp(destinationIp);
  const source = state.workloadByIp(sourceIp);
  const why = notLocal(destination, destinationIp, req.node);
  if (why || !destination) return reject(400, "NOT_LOCAL_DESTINATION", why ?? "", { destination, source });

  const peerAuthentication = mtlsMode(
    state.peerAuthentications(),
    destination,
    destinationPort,
    state.rootNamespace,
  );
  if (peerAuthentication.mode === "STRICT") {
    return reject(
      401,
      "MTLS_REQUIRED",
      `plaintext connection from ${sourceIp} to ${nameOf(destination)} port ${destinationPort} refused: PeerAuthentication ${peerAuthentication.policy} requires mutual TLS (STRICT)`,
      { destination, source },
    );
  }
  const decision = authorize(state.policiesFor(destination), {
    sourceIp,
    destinationIp,
    destinationPort: destinationPort,
  });
  if (!decision.allowed) {
    return reject(
      403,
      "POLICY_DENIED",
      `plaintext ${sourceIp} -> ${nameOf(destination)} port ${destinationPort}: ${decision.reason}`,
      { destination, source, decision },
    );
  }
  return {
    kind: "deliver",
    destination,
    target: { ip: destinationIp, port: destinationPort },
    ...(source ? { source } : {}),
    sourceIp,
    sourceIpFrom: "peer",
    decision,
    mtls: "none",
    peerAuthentication,
  };
}

function reject(
  status: number,
  code: string,
  reason: string,
  extra: { destination?: Workload; source?: Workload; decision?: AuthzDecision } = {},
): InboundPlan {
  return {
    kind: "reject",
    status,
    code,
    reason,
    ...(extra.decision ? { decision: extra.decision } : {}),
    ...(extra.destination ? { destination: extra.destination } : {}),
    ...(extra.source ? { source: extra.source } : {}),
  };
}
