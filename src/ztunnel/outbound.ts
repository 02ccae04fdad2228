/**
 * The outbound listener (15001): a pod's TCP connection, redirected by the node agent's rules,
 * arrives here with its original destination recoverable (SO_ORIGINAL_DST). Decide with the pure
 * planOutbound(), then carry the plan out: HBONE to the destination's node proxy, plain TCP for
 * destinations outside the mesh, or a reset.
 */
import type { Socket } from "node:net";
import { errorText } from "../common/errors.js";
import { HboneError } from "./hbone/errors.js";
import type { ProxyContext } from "./context.js";
import { hboneHeaders } from "./headers.js";
import { normalizeIp } from "./ip.js";
import { observe } from "./observe.js";
import { planOutbound } from "./plan-outbound.js";
import { relay } from "./relay.js";
import { forwardTcp } from "./forward.js";

export async function handleOutbound(ctx: ProxyContext, socket: Socket): Promise<void> {
  socket.on("error", () => undefined); // reported by relay() or below
  const sourceIp = normalizeIp(socket.remoteAddress ?? "");
  let dst;
  try {
    dst = ctx.originalDestination(socket);
  } catch (e) {
    ctx.log.warn(
      { src: sourceIp, err: errorText(e) },
      "outbound connection without an original destination; was it redirected by the node agent?",
    );
    socket.destroy();
    return;
  }
  const plan = planOutbound(
    ctx.state,
    {
      node: ctx.node,
      sourceIp,
      destinationIp: normalizeIp(dst.address),
      destinationPort: dst.port,
    },
    { hbonePort: ctx.hbonePort },
  );
  const destination = `${dst.address}:${dst.port}`;

  if (plan.kind === "reject") {
    observe(ctx, {
      direction: "outbound",
      mode: "passthrough",
      sourceAddr: `${sourceIp}:${socket.remotePort ?? 0}`,
      destinationAddr: destination,
      security: "unknown",
    }).refused(plan.reason, undefined);
    socket.resetAndDestroy();
    return;
  }

  if (plan.kind === "passthrough") {
    const o = observe(ctx, {
      direction: "outbound",
      mode: "passthrough",
      sourceAddr: `${sourceIp}:${socket.remotePort ?? 0}`,
      destinationAddr: `${plan.target.ip}:${plan.target.port}`,
      ...(plan.source ? { source: plan.source } : {}),
      ...(plan.service ? { service: plan.service } : {}),
      security: "unknown",
    });
    await forwardTcp(ctx, socket, plan.target, o);
    return;
  }

  const o = observe(ctx, {
    direction: "outbound",
    mode: "hbone",
    sourceAddr: `${sourceIp}:${socket.remotePort ?? 0}`,
    destinationAddr: plan.authority,
    hboneAddr: `${plan.hbone.ip}:${plan.hbone.port}`,
    source: plan.source,
    destination: plan.destination,
    ...(plan.service ? { service: plan.service } : {}),
    sourceIdentity: plan.source.identity,
    destinationIdentity: plan.destinationIdentity,
    security: "mutual_tls",
  });
  let tunnel;
  try {
    tunnel = await ctx.pool.open({
      sourceIdentity: plan.source.identity,
      destinationIdentity: plan.destinationIdentity,
      hbone: plan.hbone,
      authority: plan.authority,
      headers: hboneHeaders(sourceIp, plan.source),
    });
  } catch (e) {
    // The destination's proxy refusing the tunnel by policy is a denial, not an upstream failure.
    if (e instanceof HboneError && (e.status === 401 || e.status === 403)) o.refused(errorText(e), undefined);
    else o.failed(errorText(e));
    socket.resetAndDestroy();
    return;
  }
  o.done(await relay(socket, tunnel, o.progress));
}
