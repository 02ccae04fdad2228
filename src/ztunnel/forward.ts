/**
 * Plain TCP forwarding from this node: dial the target, then relay. Used for passthrough
 * (outbound to a destination outside the mesh) and for admitted plaintext inbound connections.
 * Only the latter pass `sourceIp` (the connection's own TCP peer), to be preserved towards the
 * local pod; passthrough and egress never do, so the proxy never sends from a client's address
 * anywhere but to a pod on its own node.
 */
import type { Socket } from "node:net";
import { errorText } from "../common/errors.js";
import type { ProxyContext } from "./context.js";
import { dialFrom } from "./dial.js";
import type { Observation } from "./observe.js";
import { relay } from "./relay.js";

export async function forwardTcp(
  ctx: ProxyContext,
  downstream: Socket,
  target: { ip: string; port: number },
  o: Observation,
  sourceIp?: string,
  avoidPorts: readonly number[] = [],
): Promise<void> {
  let upstream: Socket;
  try {
    upstream = await dialFrom(ctx, target, sourceIp, avoidPorts);
  } catch (e) {
    o.failed(errorText(e));
    downstream.resetAndDestroy();
    return;
  }
  o.done(await relay(downstream, upstream, o.progress));
}
