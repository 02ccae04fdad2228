/**
 * One place where a connection becomes telemetry: the live connection table (admin API), the
 * istio_tcp_* counters (opened at start, bytes as they flow, closed with the response flag) and
 * one access-log line when it ends. Handlers call observe() once they know who talks to whom.
 */
import type { Service, Workload } from "../model/workload.js";
import { RESPONSE_FLAGS, connectionLabels, type SecurityPolicy } from "../telemetry/index.js";
import type { ProxyContext } from "./context.js";
import type { RelayProgress, RelayResult } from "./relay.js";

export interface ObserveInput {
  direction: "outbound" | "inbound";
  mode: "hbone" | "passthrough" | "plaintext";
  sourceAddr: string;
  destinationAddr: string;
  hboneAddr?: string;
  source?: Workload;
  destination?: Workload;
  service?: Service;
  /** Verified by mTLS (inbound) or the identity this proxy presents for the source (outbound). */
  sourceIdentity?: string;
  destinationIdentity?: string;
  security: SecurityPolicy;
  /** The policy that allowed the connection, if one did. */
  policy?: string;
}

export interface Observation {
  progress: RelayProgress;
  /** The relay finished. */
  done(r: RelayResult): void;
  /** Could not reach the upstream. */
  failed(reason: string, flags?: string): void;
  /** Refused by policy or by the plan. */
  refused(reason: string, policy: string | undefined, flags?: string): void;
}

export function observe(ctx: ProxyContext, o: ObserveInput): Observation {
  const labels = connectionLabels({
    reporter: o.direction === "outbound" ? "source" : "destination",
    ...(o.source ? { source: o.source } : {}),
    ...(o.destination ? { destination: o.destination } : {}),
    ...(o.sourceIdentity ? { sourcePrincipal: o.sourceIdentity } : {}),
    ...(o.destinationIdentity ? { destinationPrincipal: o.destinationIdentity } : {}),
    ...(o.service ? { service: o.service } : {}),
    securityPolicy: o.security,
  });
  const tracker = ctx.metrics.track(labels);
  const info = ctx.connections.open({
    direction: o.direction,
    mode: o.mode,
    source: o.sourceAddr,
    destination: o.destinationAddr,
    ...(o.source ? { sourceWorkload: `${o.source.namespace}/${o.source.name}` } : {}),
    ...(o.destination ? { destinationWorkload: `${o.destination.namespace}/${o.destination.name}` } : {}),
    ...(o.sourceIdentity ? { sourceIdentity: o.sourceIdentity } : {}),
    ...(o.destinationIdentity ? { destinationIdentity: o.destinationIdentity } : {}),
  });
  const started = Date.now();
  const finish = (
    decision: "allow" | "deny",
    extra: { reason?: string; error?: string; policy?: string; flags?: string },
  ) => {
    ctx.connections.close(info.id);
    const bytes = tracker.close(extra.flags ? { responseFlags: extra.flags } : {});
    ctx.accessLog.record({
      direction: o.direction,
      src: {
        addr: o.sourceAddr,
        ...(o.source ? { workload: o.source.name, namespace: o.source.namespace } : {}),
        ...(o.sourceIdentity ? { identity: o.sourceIdentity } : {}),
      },
      dst: {
        addr: o.destinationAddr,
        ...(o.hboneAddr ? { hboneAddr: o.hboneAddr } : {}),
        ...(o.service ? { service: o.service.hostname } : {}),
        ...(o.destination ? { workload: o.destination.name, namespace: o.destination.namespace } : {}),
        ...(o.destinationIdentity ? { identity: o.destinationIdentity } : {}),
      },
      bytes,
      durationMs: Date.now() - started,
      decision,
      ...((extra.policy ?? o.policy) ? { policy: (extra.policy ?? o.policy)! } : {}),
      ...(extra.reason ? { reason: extra.reason } : {}),
      ...(extra.error ? { error: extra.error } : {}),
    });
  };
  return {
    progress: {
      onBytes: (dir, n) => {
        if (dir === "fromDownstream") {
          info.bytesSent += n;
          tracker.addBytes({ received: n });
        } else {
          info.bytesReceived += n;
          tracker.addBytes({ sent: n });
        }
      },
    },
    done: (r) => {
      // Bytes a relay reports without live progress (the HBONE server counts its own).
      const seen = tracker.bytes;
      tracker.addBytes({
        received: Math.max(0, r.fromDownstream - seen.received),
        sent: Math.max(0, r.fromUpstream - seen.sent),
      });
      finish("allow", r.error ? { error: r.error } : {});
    },
    failed: (reason, flags = RESPONSE_FLAGS.connectFailure) => finish("allow", { error: reason, flags }),
    refused: (reason, policy, flags = RESPONSE_FLAGS.denied) =>
      finish("deny", { reason, flags, ...(policy ? { policy } : {}) }),
  };
}
