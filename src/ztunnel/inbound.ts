/**
 * The inbound side of the node proxy:
 *  - 15008 HBONE: the TLS + HTTP/2 work is the HboneServer's; here is what it asks for — the
 *    certificate to present for a dialled pod IP, and the decision on each CONNECT
 *    (planInboundHbone: local destinations only, never an open proxy; then L4 authorization).
 *  - 15006 plaintext: a connection to an enrolled pod that did not come through a tunnel.
 *    PeerAuthentication STRICT refuses it; PERMISSIVE lets it through to L4 authorization.
 * With --preserve-source-ip (ctx.connectFrom) the connection to the pod is made from the client's
 * IP, as Istio's ztunnel does (src/proxy/inbound.rs: the upstream connection binds the original
 * source), but only from an address this proxy trusts: the `forwarded` client of a tunnel when
 * the plan verified it against the tunnel's identity, or the TCP peer of a plaintext connection.
 */
import type { Socket } from "node:net";
import { errorText } from "../common/errors.js";
import type { ProxyContext } from "./context.js";
import { dialFrom } from "./dial.js";
import { forwardedFor } from "./headers.js";
import type { HboneInboundRequest, HboneInboundResult } from "./hbone/server.js";
import { normalizeIp } from "./ip.js";
import { observe } from "./observe.js";
import { planInboundHbone, planInboundPlaintext } from "./plan-inbound.js";
import { forwardTcp } from "./forward.js";
import type { WorkloadCert } from "./certs.js";
import type { Service, Workload } from "../model/workload.js";

/**
 * The Service a connection to `w`'s `port` most likely came through, for destination_service
 * labels on the destination side (the tunnel does not carry it): the one Service that has the
 * workload as endpoint and forwards to that port, if there is exactly one.
 */
function serviceFor(ctx: ProxyContext, w: Workload, port: number): Service | undefined {
  const hits: Service[] = [];
  for (const [key, mappings] of Object.entries(w.services)) {
    if (!mappings.some((m) => (m.targetPort || m.servicePort) === port)) continue;
    const s = ctx.state.serviceByKey(key);
    if (s) hits.push(s);
  }
  return hits.length === 1 ? hits[0] : undefined;
}

/** How often a tunnelled connection's byte counters are brought up to date. */
const LIVE_BYTES_INTERVAL_MS = 200;

function withService(ctx: ProxyContext, w: Workload, port: number): { service?: Service } {
  const service = serviceFor(ctx, w, port);
  return service ? { service } : {};
}

/** The certificate the HBONE server presents to a client that dialled `localIp`:15008. */
export async function certificateFor(ctx: ProxyContext, localIp: string): Promise<WorkloadCert | undefined> {
  const w = ctx.state.workloadByIp(normalizeIp(localIp));
  if (!w || w.node !== ctx.node || w.tunnelProtocol !== "HBONE") return undefined;
  return ctx.certs.get(w.identity);
}

export async function handleHboneConnect(
  ctx: ProxyContext,
  req: HboneInboundRequest,
): Promise<HboneInboundResult> {
  const peerAddress = normalizeIp(req.peerAddress);
  const claimed = forwardedFor(req.headers.forwarded);
  const plan = planInboundHbone(ctx.state, {
    node: ctx.node,
    authority: req.authority,
    peerIdentity: req.peerIdentity,
    outerDestinationIp: normalizeIp(req.localIp),
    ...(claimed ? { claimedSourceIp: claimed } : {}),
    peerAddress,
  });
  if (plan.kind === "reject") {
    // The claimed address only when it belongs to the authenticated source (as the plan trusts it).
    const trusted = claimed && plan.source?.addresses.includes(claimed) ? claimed : peerAddress;
    observe(ctx, {
      direction: "inbound",
      mode: "hbone",
      sourceAddr: trusted,
      destinationAddr: req.authority,
      sourceIdentity: req.peerIdentity,
      ...(plan.source ? { source: plan.source } : {}),
      ...(plan.destination ? { destination: plan.destination } : {}),
      security: "mutual_tls",
    }).refused(plan.reason, plan.decision?.decidedBy?.policy);
    return { ok: false, status: plan.status, reason: plan.reason };
  }
  const o = observe(ctx, {
    direction: "inbound",
    mode: "hbone",
    sourceAddr: plan.sourceIp,
    destinationAddr: `${plan.target.ip}:${plan.target.port}`,
    ...(plan.source ? { source: plan.source } : {}),
    destination: plan.destination,
    ...withService(ctx, plan.destination, plan.target.port),
    sourceIdentity: req.peerIdentity,
    destinationIdentity: plan.destination.identity,
    security: "mutual_tls",
    ...(plan.decision.decidedBy ? { policy: plan.decision.decidedBy.policy } : {}),
  });
  try {
    // A claim that was not verified (plan-inbound.ts: an enrolled workload with the tunnel's
    // identity) leaves sourceIp at the tunnel's peer (a node): never preserved.
    const from = plan.sourceIpFrom === "forwarded" ? plan.sourceIp : undefined;
    // The client's own ports towards this node must not be reused (ConnectionTable.portsFrom).
    const upstream = await dialFrom(ctx, plan.target, from, from ? ctx.connections.portsFrom(from) : []);
    // The HBONE server does the copying; follow the upstream socket's own counters so the
    // byte metrics move while a long connection is open, as they do on the outbound side.
    let seen = { written: 0, read: 0 };
    const tick = setInterval(() => {
      const now = { written: upstream.bytesWritten, read: upstream.bytesRead };
      if (now.written > seen.written) o.progress.onBytes?.("fromDownstream", now.written - seen.written);
      if (now.read > seen.read) o.progress.onBytes?.("fromUpstream", now.read - seen.read);
      seen = now;
    }, LIVE_BYTES_INTERVAL_MS);
    tick.unref();
    return {
      ok: true,
      upstream,
      onDone: (s) => {
        clearInterval(tick);
        o.done({
          fromDownstream: s.bytesFromClient,
          fromUpstream: s.bytesToClient,
          durationMs: s.durationMs,
          ...(s.error ? { error: s.error } : {}),
        });
      },
    };
  } catch (e) {
    o.failed(errorText(e));
    return { ok: false, status: 503, reason: errorText(e) };
  }
}

export async function handlePlaintextInbound(ctx: ProxyContext, socket: Socket): Promise<void> {
  socket.on("error", () => undefined);
  const sourceIp = normalizeIp(socket.remoteAddress ?? "");
  let dst;
  try {
    dst = ctx.originalDestination(socket);
  } catch (e) {
    ctx.log.warn({ src: sourceIp, err: errorText(e) }, "inbound connection without an original destination");
    socket.destroy();
    return;
  }
  const plan = planInboundPlaintext(ctx.state, {
    node: ctx.node,
    sourceIp,
    destinationIp: normalizeIp(dst.address),
    destinationPort: dst.port,
  });
  const base = {
    direction: "inbound" as const,
    mode: "plaintext" as const,
    sourceAddr: `${sourceIp}:${socket.remotePort ?? 0}`,
    destinationAddr: `${dst.address}:${dst.port}`,
    security: "none" as const,
  };
  if (plan.kind === "reject") {
    observe(ctx, {
      ...base,
      ...(plan.source ? { source: plan.source } : {}),
      ...(plan.destination ? { destination: plan.destination } : {}),
    }).refused(plan.reason, plan.decision?.decidedBy?.policy);
    socket.resetAndDestroy();
    return;
  }
  const o = observe(ctx, {
    ...base,
    ...(plan.source ? { source: plan.source } : {}),
    destination: plan.destination,
    ...withService(ctx, plan.destination, plan.target.port),
    destinationIdentity: plan.destination.identity,
    ...(plan.decision.decidedBy ? { policy: plan.decision.decidedBy.policy } : {}),
  });
  await forwardTcp(ctx, socket, plan.target, o, plan.sourceIp, ctx.connections.portsFrom(plan.sourceIp));
}
