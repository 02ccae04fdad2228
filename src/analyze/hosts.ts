/**
 * Hostnames as Istio resolves them in routing and policy documents: a short name ("reviews") is
 * a Service in the document's own namespace, "reviews.<ns>.svc.<domain>" (Istio:
 * pkg/config/analysis/analyzers/util ConvertHostToFQDN); anything with a dot is taken as written.
 * A ServiceEntry host may be a wildcard ("*.example.com") and then covers the names under it.
 */
import { hostCovers } from "../api/kinds/networking-common.js";
import { closest } from "../api/suggest.js";
import type { AnalysisContext, ServiceHost } from "./context.js";

export function toFqdn(host: string, namespace: string, domainSuffix: string): string {
  const h = host.toLowerCase();
  if (h.includes(".") || h.startsWith("*")) return h;
  return `${h}.${namespace}.svc.${domainSuffix}`;
}

/** The services a (resolved) host names; a wildcard host names every service it covers. */
export function servicesForHost(ctx: AnalysisContext, host: string): ServiceHost[] {
  const h = host.toLowerCase();
  return ctx.hosts.filter(
    (s) =>
      s.host === h ||
      (s.host.startsWith("*") && hostCovers(s.host, h)) ||
      (h.startsWith("*") && hostCovers(h, s.host)),
  );
}

export const isIpAddress = (h: string): boolean => /^[0-9.]+$/.test(h) || h.includes(":");

/**
 * ` (did you mean "x"?)` naming a known host whose first label is (close to) the first label of
 * `host` — the same namespace's first, so "reviwes" finds reviews and "payments" in the wrong
 * namespace finds the namespace that has it — or "".
 */
export function hostHint(ctx: AnalysisContext, host: string): string {
  const [first = "", ...rest] = host.split(".");
  const label = closest(
    first,
    ctx.hosts.map((s) => s.host.split(".")[0] ?? ""),
  );
  if (label === undefined) return "";
  const candidates = ctx.hosts.filter((s) => s.host.split(".")[0] === label).map((s) => s.host);
  const suffix = rest.join(".");
  const pick = candidates.find((c) => c.endsWith(`.${suffix}`)) ?? candidates.sort()[0];
  return pick === undefined || pick === host ? "" : ` (did you mean "${pick}"?)`;
}
