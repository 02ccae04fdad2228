/**
 * SPIFFE IDs in Istio's form: `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`.
 *
 * Syntax follows the SPIFFE ID spec (SPIFFE-ID.md §2): lowercase scheme and trust domain made of
 * [a-z0-9.-_], path segments of [A-Za-z0-9.-_] that are neither empty nor "." / "..", no query,
 * fragment, port or userinfo, at most 2048 bytes. On top, like Istio's `spiffe.ParseIdentity`
 * (pkg/spiffe), the path must be exactly `/ns/<ns>/sa/<sa>`; namespace and service account are
 * Kubernetes names (RFC 1123 label / subdomain), which is what Ambit's config accepts for them.
 */
import { DNS_LABEL, DNS_SUBDOMAIN_LOOSE } from "../common/dns-names.js";
import { AmbitError } from "../common/errors.js";

export interface SpiffeId {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

const SCHEME = "spiffe://";
const MAX_ID_BYTES = 2048;
const MAX_TRUST_DOMAIN = 255;
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;

function invalid(id: string, why: string): AmbitError {
  return new AmbitError(
    "SPIFFE_ID_INVALID",
    `"${id.slice(0, 300)}" is not a valid workload identity: ${why}`,
    "expected spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>",
  );
}

/** Trust domain validity on its own (mesh config, CA options). */
export function checkTrustDomain(td: string): void {
  if (td.length === 0 || td.length > MAX_TRUST_DOMAIN || !TRUST_DOMAIN.test(td)) {
    throw new AmbitError(
      "TRUST_DOMAIN_INVALID",
      `trust domain "${td.slice(0, 300)}" is invalid`,
      "use lowercase letters, digits, '.', '-' and '_' only, e.g. cluster.local",
    );
  }
}

/** Parses and validates; throws AmbitError SPIFFE_ID_INVALID saying what is wrong. */
export function parseSpiffeId(id: string): SpiffeId {
  if (Buffer.byteLength(id, "utf8") > MAX_ID_BYTES) throw invalid(id, `longer than ${MAX_ID_BYTES} bytes`);
  if (!id.startsWith(SCHEME)) throw invalid(id, 'it must start with "spiffe://"');
  const rest = id.slice(SCHEME.length);
  if (/[?#]/.test(rest)) throw invalid(id, "query and fragment are not allowed");
  const slash = rest.indexOf("/");
  const td = slash < 0 ? rest : rest.slice(0, slash);
  if (td.length === 0) throw invalid(id, "the trust domain is empty");
  if (/[@:]/.test(td)) throw invalid(id, "userinfo and port are not allowed in the trust domain");
  if (td.length > MAX_TRUST_DOMAIN || !TRUST_DOMAIN.test(td)) {
    throw invalid(id, "the trust domain may contain only lowercase letters, digits, '.', '-' and '_'");
  }
  if (slash < 0) throw invalid(id, "the path /ns/<namespace>/sa/<service-account> is missing");
  const segments = rest.slice(slash + 1).split("/");
  if (segments.length !== 4 || segments[0] !== "ns" || segments[2] !== "sa") {
    throw invalid(id, "the path must be /ns/<namespace>/sa/<service-account>");
  }
  const [, ns, , sa] = segments as [string, string, string, string];
  if (!isNamespaceName(ns)) throw invalid(id, `namespace "${ns}" is not a valid Kubernetes namespace name`);
  if (!DNS_SUBDOMAIN_LOOSE.test(sa)) {
    throw invalid(id, `service account "${sa}" is not a valid Kubernetes service account name`);
  }
  return { trustDomain: td, namespace: ns, serviceAccount: sa };
}

/** Whether `ns` is a valid Kubernetes namespace name (an RFC 1123 label). */
export function isNamespaceName(ns: string): boolean {
  return DNS_LABEL.test(ns);
}

/** Formats after validating the parts, so a formatted ID always parses back. */
export function formatSpiffeId(parts: SpiffeId): string {
  const id = `${SCHEME}${parts.trustDomain}/ns/${parts.namespace}/sa/${parts.serviceAccount}`;
  parseSpiffeId(id);
  return id;
}

export function isSpiffeId(id: string): boolean {
  try {
    parseSpiffeId(id);
    return true;
  } catch {
    return false;
  }
}
