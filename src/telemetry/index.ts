/** Telemetry shared by the proxies: Istio's TCP and DNS metrics, access logs, the metrics/readiness listeners. */
export {
  TCP_LABEL_NAMES,
  RESPONSE_FLAGS,
  UNKNOWN,
  connectionLabels,
  type ConnectionPeers,
  type PeerWorkload,
  type Reporter,
  type SecurityPolicy,
  type ServiceRef,
  type TcpLabelName,
  type TcpLabels,
} from "./labels.js";
export { TcpMetrics, ConnectionTracker, TCP_METRIC_NAMES, type ByteCounts } from "./tcp-metrics.js";
export {
  DnsMetrics,
  dnsLabels,
  DNS_DURATION_BUCKETS,
  DNS_LABEL_NAMES,
  DNS_METRIC_NAMES,
  type DnsLabelName,
  type DnsLabels,
  type DnsQueryFacts,
  type DnsSource,
} from "./dns-metrics.js";
export {
  AccessLog,
  accessLogRecord,
  type AccessLogEntry,
  type AccessLogPeer,
  type AccessLogRecord,
} from "./access-log.js";
export {
  startTelemetryServer,
  READY_PATH,
  type TelemetryServer,
  type TelemetryServerOptions,
} from "./server.js";
