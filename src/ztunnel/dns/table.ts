/**
 * What the node proxy's DNS server knows and answers with. Deliberately small and independent of
 * the proxy's state store: anything that can list services (the ztunnel's ProxyState, a test
 * fixture) is a DnsTable. Model `Service` objects fit DnsService structurally.
 */
import type { DnsSource } from "../../telemetry/dns-metrics.js";

/** A name the mesh answers for: a Kubernetes Service or a ServiceEntry host. */
export interface DnsService {
  /** "<name>.<ns>.svc.<suffix>" for a Service; any host (possibly "*.example.com") for a ServiceEntry. */
  hostname: string;
  namespace: string;
  /** VIPs, IPv4 and/or IPv6. Empty for a headless Service (see DnsTable.endpointAddresses). */
  addresses: readonly string[];
}

export interface DnsTable {
  /** Cluster domain, e.g. "cluster.local". */
  domainSuffix: string;
  services(): Iterable<DnsService>;
  /**
   * Workload IPs behind a Service without a VIP. Like ztunnel, only Services under
   * ".svc.<suffix>" are answered this way; a VIP-less ServiceEntry is left to the upstream.
   */
  endpointAddresses?(service: DnsService): readonly string[];
  /**
   * The namespace of the pod at a source IP, when known. It enables the per-pod forms ztunnel
   * understands: "<svc>" alone, and stripping "<ns>.svc.<suffix>" appended by the stub resolver.
   */
  clientNamespace?(ip: string): string | undefined;
  /**
   * The workload at a source IP, when known: its canonical service and revision become the
   * source_* labels of the DNS metrics (as ztunnel labels them). It does not change answers.
   */
  clientWorkload?(ip: string): DnsSource | undefined;
}

/** Record types are dns-packet's names ("A", "AAAA", "MX", "UNKNOWN_65", ...). */
export interface DnsQuestion {
  name: string;
  type: string;
}

export interface DnsRecord {
  /** Owner name, as the client spelled it (no trailing dot). */
  name: string;
  type: "A" | "AAAA" | "CNAME";
  /** An IP for A/AAAA, the target name for CNAME. */
  data: string;
}

/** What the server sends for one question; the wire encoding adds TTLs, flags and EDNS. */
export interface DnsAnswer {
  /** NOERROR, possibly without records (NODATA: the name exists, not with this type). */
  rcode: "NOERROR" | "NXDOMAIN";
  /** AA bit: true when the mesh's registry is the source of truth for the name. */
  authoritative: boolean;
  records: DnsRecord[];
  /**
   * True when a configured upstream should answer instead (ztunnel forwards what it does not
   * serve). With no upstream, this answer is sent as is.
   */
  forward: boolean;
  /** Why, for the DNS debug log: "served", "no records", "unsupported type", "unknown name". */
  result: "served" | "no records" | "unsupported type" | "unknown name";
}
