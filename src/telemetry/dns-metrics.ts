/**
 * Istio ztunnel's DNS proxy metrics, on the proxy's own prom-client Registry (the one TcpMetrics
 * uses, so they come out of the same 15020 /stats/prometheus scrape).
 *
 * Names, types, labels and buckets follow istio/ztunnel src/dns/metrics.rs (Metrics::new and
 * DnsLabels), registered there under ztunnel's "istio" prefix (src/metrics.rs sub_registry), so
 * a Prometheus text scrape shows:
 *   istio_dns_requests_total                      counter   every query the resolver handled
 *   istio_dns_upstream_requests_total             counter   queries forwarded upstream
 *   istio_dns_upstream_failures_total             counter   forwards that failed
 *   istio_dns_upstream_request_duration_seconds   histogram time to get the upstream's answer
 * All four carry ztunnel's DnsLabels: request_query_type (lower case, "a", "aaaa"),
 * request_protocol ("udp" / "tcp"), source_canonical_service and source_canonical_revision
 * (of the asking workload, "unknown" when the proxy does not know it). When each one moves is
 * the DNS server's decision (src/ztunnel/dns/server.ts); this file only counts.
 */
import { Counter, Histogram, Registry } from "prom-client";
import { UNKNOWN } from "./labels.js";

export const DNS_METRIC_NAMES = {
  requests: "istio_dns_requests_total",
  upstreamRequests: "istio_dns_upstream_requests_total",
  upstreamFailures: "istio_dns_upstream_failures_total",
  upstreamDuration: "istio_dns_upstream_request_duration_seconds",
} as const;

/** In ztunnel's DnsLabels order; every DNS series carries exactly these. */
export const DNS_LABEL_NAMES = [
  "request_query_type",
  "request_protocol",
  "source_canonical_service",
  "source_canonical_revision",
] as const;

export type DnsLabelName = (typeof DNS_LABEL_NAMES)[number];
export type DnsLabels = Record<DnsLabelName, string>;

/**
 * ztunnel's bucket bounds for the upstream duration, in seconds. Its source lists them as
 * 0.005, 0.001, 0.01, 0.1, 1, 5; Prometheus bounds must ascend, so they are sorted here.
 */
export const DNS_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.1, 1, 5] as const;

/** The asking workload, as far as the labels need it; a model Workload fits as is. */
export interface DnsSource {
  canonicalName?: string;
  canonicalRevision?: string;
}

export interface DnsQueryFacts {
  /** dns-packet's type name ("A", "AAAA", "MX", "UNKNOWN_65"). */
  queryType: string;
  protocol: "udp" | "tcp";
  source?: DnsSource | undefined;
}

/** Pure: the label set of one query. */
export function dnsLabels(q: DnsQueryFacts): DnsLabels {
  return {
    request_query_type: q.queryType.toLowerCase(),
    request_protocol: q.protocol,
    source_canonical_service: q.source?.canonicalName || UNKNOWN,
    source_canonical_revision: q.source?.canonicalRevision || UNKNOWN,
  };
}

export class DnsMetrics {
  readonly registry: Registry;
  private readonly requestsTotal: Counter<DnsLabelName>;
  private readonly upstreamRequestsTotal: Counter<DnsLabelName>;
  private readonly upstreamFailuresTotal: Counter<DnsLabelName>;
  private readonly upstreamDuration: Histogram<DnsLabelName>;

  /** Pass the proxy's registry (TcpMetrics.registry) so one scrape shows both. */
  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const labelNames = [...DNS_LABEL_NAMES];
    const registers = [registry];
    // Help texts say what is counted in our words; ztunnel marks these series "(unstable)".
    this.requestsTotal = new Counter({
      name: DNS_METRIC_NAMES.requests,
      help: "DNS queries handled by the proxy's resolver, answered locally or forwarded (unstable)",
      labelNames,
      registers,
    });
    this.upstreamRequestsTotal = new Counter({
      name: DNS_METRIC_NAMES.upstreamRequests,
      help: "DNS queries sent on to the upstream resolvers (unstable)",
      labelNames,
      registers,
    });
    this.upstreamFailuresTotal = new Counter({
      name: DNS_METRIC_NAMES.upstreamFailures,
      help: "DNS queries forwarded upstream that got no usable answer (unstable)",
      labelNames,
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: DNS_METRIC_NAMES.upstreamDuration,
      help: "Seconds taken to get a DNS answer from the upstream resolvers (unstable)",
      labelNames,
      buckets: [...DNS_DURATION_BUCKETS],
      registers,
    });
  }

  /** A query reached the resolver (ztunnel: DnsRequest). */
  request(labels: DnsLabels): void {
    this.requestsTotal.inc(labels);
  }

  /** A query is being forwarded upstream (ztunnel: ForwardedRequest). */
  upstreamRequest(labels: DnsLabels): void {
    this.upstreamRequestsTotal.inc(labels);
  }

  /** A forward ended without a usable answer (ztunnel: ForwardedFailure). */
  upstreamFailure(labels: DnsLabels): void {
    this.upstreamFailuresTotal.inc(labels);
  }

  /** How long a forward took, success or not (ztunnel: ForwardedDuration). */
  upstreamDone(labels: DnsLabels, seconds: number): void {
    this.upstreamDuration.observe(labels, seconds);
  }
}
