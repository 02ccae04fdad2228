/**
 * Plain TCP forwarding from this node: dial the target, then relay. Used for passthrough
 * (outbound to a destination outside the mesh) and for admitted plaintext inbound connections.
 */
import type { Socket } from "node:net";
import { errorText } from "../common/errors.js";
import type { ProxyContext } from "./context.js";
import { dial } from "./dial.js";
import type { Observation } from "./observe.js";
import { relay } from "./relay.js";

export async function forwardTcp(
  ctx: ProxyContext,
  downstream: Socket,
  target: { ip: string; port: number },
  o: Observation,
): Promise<void> {
  let upstream: Socket;
  try {
    upstream = await dial(ctx.connect, target.ip, target.port, ctx.connectTimeoutMs);
  } catch (e) {
    o.failed(errorText(e));
    downstream.resetAndDestroy();
    return;
  }
  o.done(await relay(downstream, upstream, o.progress));
}
