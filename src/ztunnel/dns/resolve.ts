/**
 * The DNS decision, pure: a question and the table in, the answer out. Socket code (server.ts)
 * only encodes it, or forwards the query upstream when the answer says so.
 *
 * Semantics follow istio/ztunnel src/dns/server.rs (Store::lookup), with one deliberate change
 * for local mode, where the node proxy *is* the cluster's DNS (there is no kube-dns behind it):
 *  - A and AAAA for a known name are served from the table, authoritatively (AA). A name with
 *    addresses of the other family only gets NOERROR with no records (NODATA), never NXDOMAIN.
 *  - Known names: Service hostnames "<svc>.<ns>.svc.<suffix>", and any ServiceEntry host,
 *    including wildcards ("*.example.com" answers "www.example.com" with the entry's VIPs).
 *    Partial names ("<svc>.<ns>", "<svc>.<ns>.svc", "<svc>" with a known client namespace) and
 *    names with a search domain appended are understood as ztunnel does (see names.ts).
 *  - When several namespaces define the same host, the client's namespace wins, else the first.
 *  - Services without a VIP: a headless Service (under ".svc.<suffix>") answers with its
 *    endpoints' IPs; any other VIP-less host is left to the upstream.
 *  - Unknown names and other record types: ztunnel forwards them upstream. Here too, except
 *    for names under the cluster domain, which get an authoritative NXDOMAIN (or NODATA for a
 *    known name) because no upstream could know them better.
 */
import { isIPv4, isIPv6 } from "node:net";
import { aliases, isUnder, normalizeName, wildcards, type Alias } from "./names.js";
import type { DnsAnswer, DnsQuestion, DnsRecord, DnsService, DnsTable } from "./table.js";

export interface ResolveContext {
  /** Namespace of the asking pod, when the server knows it (enables per-pod search forms). */
  clientNamespace?: string;
}

interface Match {
  service: DnsService;
  /** The table hostname (or wildcard) that matched. */
  matched: string;
  alias: Alias;
}

export function resolve(table: DnsTable, question: DnsQuestion, ctx: ResolveContext = {}): DnsAnswer {
  const suffix = normalizeName(table.domainSuffix);
  const requested = question.name.replace(/\.+$/, "");
  const name = normalizeName(requested);
  const inCluster = isUnder(name, suffix);
  const byHost = indexHosts(table, suffix);
  const match = findService(byHost, name, suffix, ctx.clientNamespace);
  if (!match) {
    // An empty non-terminal ("default.svc.cluster.local" when a service lives below it) exists:
    // NXDOMAIN would tell caches that nothing below it does (RFC 8020), so answer NODATA.
    if ([...byHost.keys()].some((host) => host.endsWith(`.${name}`))) {
      return {
        rcode: "NOERROR",
        authoritative: true,
        records: [],
        forward: !inCluster,
        result: "no records",
      };
    }
    return {
      rcode: "NXDOMAIN",
      authoritative: inCluster,
      records: [],
      forward: !inCluster,
      result: "unknown name",
    };
  }
  const type = question.type.toUpperCase();
  if (type !== "A" && type !== "AAAA") {
    return {
      rcode: "NOERROR",
      authoritative: true,
      records: [],
      forward: !inCluster,
      result: "unsupported type",
    };
  }
  const family = type === "A" ? isIPv4 : isIPv6;
  const addresses = addressesOf(table, match.service, suffix).filter((a) => family(a));
  if (addresses.length === 0) {
    return { rcode: "NOERROR", authoritative: true, records: [], forward: false, result: "no records" };
  }
  const records: DnsRecord[] = [];
  let owner = requested;
  // Found by stripping a search domain: tell the client the canonical name it stands for, as
  // ztunnel does (not for wildcard matches, whose canonical name would be "*.something").
  if (match.alias.stripped !== undefined && !match.matched.startsWith("*.")) {
    records.push({ name: requested, type: "CNAME", data: match.alias.stripped });
    owner = match.alias.stripped;
  }
  for (const ip of addresses) records.push({ name: owner, type, data: ip });
  return { rcode: "NOERROR", authoritative: true, records, forward: false, result: "served" };
}

/** normalized hostname -> services carrying it, in table order */
type HostIndex = Map<string, DnsService[]>;

function indexHosts(table: DnsTable, suffix: string): HostIndex {
  const byHost: HostIndex = new Map();
  const headlessDomain = `.svc.${suffix}`;
  for (const s of table.services()) {
    const host = normalizeName(s.hostname);
    // No VIP and not a Kubernetes Service: not ours to answer (ztunnel forwards these).
    if (s.addresses.length === 0 && !host.endsWith(headlessDomain)) continue;
    const list = byHost.get(host);
    if (list) list.push(s);
    else byHost.set(host, [s]);
  }
  return byHost;
}

function findService(
  byHost: HostIndex,
  name: string,
  suffix: string,
  clientNamespace: string | undefined,
): Match | undefined {
  for (const alias of aliases(name, suffix, clientNamespace)) {
    for (const candidate of wildcards(alias.name)) {
      const found = byHost.get(candidate);
      if (!found) continue;
      const service = found.find((s) => s.namespace === clientNamespace) ?? found[0];
      if (service) return { service, matched: candidate, alias };
    }
  }
  return undefined;
}

function addressesOf(table: DnsTable, service: DnsService, suffix: string): readonly string[] {
  if (service.addresses.length > 0) return service.addresses;
  const host = normalizeName(service.hostname);
  return host.endsWith(`.svc.${suffix}`) ? (table.endpointAddresses?.(service) ?? []) : [];
}
