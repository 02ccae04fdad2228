/**
 * Source metadata a client node proxy puts on the HBONE CONNECT request (product.md):
 *  - `forwarded: for=<client ip>` (RFC 7239; IPv6 quoted and bracketed). The receiving proxy
 *    trusts it only when the workload at that IP has the identity the tunnel authenticated.
 *  - `baggage` (W3C Baggage) with the source workload's coordinates, the keys Istio's proxies
 *    use for peer metadata (k8s.cluster.name, k8s.namespace.name, k8s.<kind>.name,
 *    service.name, service.version), so the destination can label metrics.
 *  - `traceparent` (W3C Trace Context): a new unsampled trace per connection.
 */
import { randomBytes } from "node:crypto";
import type { Workload } from "../model/workload.js";

export function hboneHeaders(
  sourceIp: string,
  source: Workload,
  clusterId = "Kubernetes",
): Record<string, string> {
  const forwardedFor = sourceIp.includes(":") ? `"[${sourceIp}]"` : sourceIp;
  const baggage = [
    `k8s.cluster.name=${clusterId}`,
    `k8s.namespace.name=${source.namespace}`,
    `k8s.deployment.name=${source.workloadName}`,
    `service.name=${source.canonicalName}`,
    `service.version=${source.canonicalRevision}`,
  ].join(",");
  return {
    forwarded: `for=${forwardedFor}`,
    baggage,
    traceparent: `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-00`,
  };
}

/** The client IP of a `forwarded` header's first element, if it has a well-formed `for=`. */
export function forwardedFor(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const first = header.split(",")[0] ?? "";
  for (const part of first.split(";")) {
    const [k, v] = part.trim().split("=", 2);
    if (k?.toLowerCase() !== "for" || !v) continue;
    const unquoted = v.replace(/^"(.*)"$/, "$1");
    const ip = unquoted.startsWith("[") ? unquoted.slice(1, unquoted.indexOf("]")) : unquoted;
    return /^[0-9a-fA-F.:]+$/.test(ip) ? ip : undefined;
  }
  return undefined;
}
