/**
 * Pure: whether a forward upstream counts as failed for istio_dns_upstream_failures_total.
 *
 * ztunnel increments that counter whenever its forwarder returns an error (istio/ztunnel
 * src/dns/server.rs, Store::forward). Its forwarder is a hickory resolver lookup
 * (src/dns/forwarder.rs), which reports not only "no answer in time" as an error but also an
 * answer without records: NXDOMAIN, or NOERROR with an empty answer section (NoRecordsFound,
 * see its `not_found` test), and error RCODEs such as SERVFAIL or REFUSED. The client still gets
 * that RCODE; only the metric calls it a failure. We count the same cases, so dashboards built
 * for ztunnel read the same numbers here. A truncated reply (TC) is not a failure: the client
 * is meant to retry over TCP.
 */
import { RCODE } from "./wire.js";

export type UpstreamFailure = "no answer" | "error rcode" | "no records";

const HEADER_BYTES = 12;
const FLAG_TC = 1 << 9;

/** Why the upstream's reply (undefined: none arrived) is a failure, or undefined when it is not. */
export function upstreamFailure(reply: Buffer | undefined): UpstreamFailure | undefined {
  if (!reply || reply.length < HEADER_BYTES) return "no answer";
  const flags = reply.readUInt16BE(2);
  if ((flags & 0x000f) !== RCODE.NOERROR) return "error rcode";
  if (reply.readUInt16BE(6) === 0 && (flags & FLAG_TC) === 0) return "no records";
  return undefined;
}
