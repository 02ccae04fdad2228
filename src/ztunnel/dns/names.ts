/**
 * Pure name arithmetic for the DNS server, following istio/ztunnel src/dns/server.rs
 * (get_aliases, to_kube_fqdns, get_wildcards). Names here are normalized: lower case (DNS
 * matching is case-insensitive, RFC 4343), no trailing dot.
 */

export function normalizeName(name: string): string {
  return name.replace(/\.+$/, "").toLowerCase();
}

export function labelCount(name: string): number {
  return name === "" ? 0 : name.split(".").length;
}

/** True when `name` is `suffix` or ends in ".<suffix>" (label boundary). */
export function isUnder(name: string, suffix: string): boolean {
  return name === suffix || name.endsWith(`.${suffix}`);
}

/** `name` without ".<suffix>"; undefined when it does not end so or nothing would be left. */
export function trimSuffix(name: string, suffix: string): string | undefined {
  return name.endsWith(`.${suffix}`) ? name.slice(0, -suffix.length - 1) : undefined;
}

/**
 * The name itself, then wildcards of decreasing specificity, as ztunnel matches ServiceEntry
 * hosts: "a.b.example.com" -> [a.b.example.com, *.b.example.com, *.example.com, *.com].
 */
export function wildcards(name: string): string[] {
  const out = [name];
  let rest = name.split(".");
  while (rest.length > 1) {
    out.push(["*", ...rest.slice(1)].join("."));
    rest = rest.slice(1);
  }
  return out;
}

/**
 * Kubernetes FQDNs a partial name may stand for (ztunnel's to_kube_fqdns):
 *   <svc>              -> <svc>.<client-ns>.svc.<suffix>            (needs the client namespace)
 *   <svc>.<ns>         -> <svc>.<ns>.svc.<suffix>, and the pod form <a>.<b>.<client-ns>.svc.<suffix>
 *   <svc>.<ns>.svc     -> <svc>.<ns>.svc.<suffix>;  <a>.<b>.<c>  -> <a>.<b>.<c>.svc.<suffix>
 *   <a>.<b>.<ns>.svc   -> <a>.<b>.<ns>.svc.<suffix>
 * Anything longer is already an FQDN or not a Kubernetes name.
 */
export function kubeExpansions(name: string, suffix: string, clientNamespace?: string): string[] {
  const svcDomain = `svc.${suffix}`;
  const nsDomain = clientNamespace ? `${clientNamespace}.${svcDomain}` : undefined;
  const endsInSvc = name.endsWith(".svc");
  const out: string[] = [];
  switch (labelCount(name)) {
    case 1:
      if (nsDomain) out.push(`${name}.${nsDomain}`);
      break;
    case 2:
      out.push(`${name}.${svcDomain}`);
      if (nsDomain) out.push(`${name}.${nsDomain}`);
      break;
    case 3:
      if (endsInSvc) out.push(`${name}.${suffix}`);
      out.push(`${name}.${svcDomain}`);
      break;
    case 4:
      if (endsInSvc) out.push(`${name}.${suffix}`);
      break;
  }
  return out;
}

/** The search list Kubernetes gives a pod: "<ns>.svc.<suffix> svc.<suffix> <suffix>". */
export function searchDomains(suffix: string, clientNamespace?: string): string[] {
  const svcDomain = `svc.${suffix}`;
  return clientNamespace ? [`${clientNamespace}.${svcDomain}`, svcDomain, suffix] : [svcDomain, suffix];
}

/** A name that the name above was found under. `stripped` is set when a search domain was removed. */
export interface Alias {
  name: string;
  stripped?: string;
}

/**
 * Every name the requested one may stand for, most specific first (ztunnel's get_aliases): the
 * name itself, its Kubernetes expansions, then for each search domain the name with that domain
 * stripped and the stripped name's expansions. The stub resolver appends search domains before
 * trying a name as is (ndots:5), so "api.example.com.default.svc.cluster.local" is answered for
 * "api.example.com" in one round trip, with a CNAME.
 */
export function aliases(name: string, suffix: string, clientNamespace?: string): Alias[] {
  const out: Alias[] = [];
  const seen = new Set<string>();
  const add = (a: Alias) => {
    if (seen.has(a.name)) return;
    seen.add(a.name);
    out.push(a);
  };
  add({ name });
  for (const fqdn of kubeExpansions(name, suffix, clientNamespace)) add({ name: fqdn });
  for (const domain of searchDomains(suffix, clientNamespace)) {
    const stripped = trimSuffix(name, domain);
    if (stripped === undefined) continue;
    add({ name: stripped, stripped });
    for (const fqdn of kubeExpansions(stripped, suffix, clientNamespace)) add({ name: fqdn, stripped });
  }
  return out;
}
