/**
 * Who may get a certificate for which identity — decided before anything is signed.
 *
 * Follows Istio ambient (security/pkg/server/ca/server.go `CreateCertificate` and
 * node_auth.go): a node proxy asks on behalf of a workload by putting the workload's SPIFFE ID
 * under "ImpersonatedIdentity" in the request metadata, and may do so only for workloads
 * scheduled on its own node. Without impersonation, Istio issues for the caller's own identity;
 * Ambit's callers are nodes (bearer tokens), so the identity is the CSR's single URI SAN, which
 * passes the same node check. A URI SAN that disagrees with the identity is refused rather
 * than silently replaced, so a confused client learns about it.
 */
import { AmbitError } from "../common/errors.js";
import { parseSpiffeId } from "./spiffe.js";

export interface IssuanceInput {
  /** Authenticated caller (a node name). */
  node: string;
  /** "ImpersonatedIdentity" from the request metadata, if any. */
  impersonatedIdentity: string | undefined;
  /** URI SANs in the CSR. */
  csrUriSans: string[];
  trustDomain: string;
  /** Whether a workload with this identity runs on this node. */
  mayIssue: (node: string, spiffeId: string) => boolean | Promise<boolean>;
}

export type IssuanceDecision =
  | { allow: true; identity: string; impersonated: boolean }
  | { allow: false; reason: "invalid" | "denied"; message: string };

const invalid = (message: string): IssuanceDecision => ({ allow: false, reason: "invalid", message });
const denied = (message: string): IssuanceDecision => ({ allow: false, reason: "denied", message });

export async function decideIssuance(input: IssuanceInput): Promise<IssuanceDecision> {
  const { node, impersonatedIdentity, csrUriSans } = input;
  if (csrUriSans.length > 1) {
    return invalid(
      `CSR has ${csrUriSans.length} URI SANs; a workload certificate carries exactly one SPIFFE ID`,
    );
  }
  const identity = impersonatedIdentity || csrUriSans[0];
  if (!identity) {
    return invalid(
      "no identity requested: the CSR has no URI SAN and the request has no ImpersonatedIdentity",
    );
  }
  if (csrUriSans[0] !== undefined && csrUriSans[0] !== identity) {
    return invalid(`CSR URI SAN ${csrUriSans[0]} does not match the requested identity ${identity}`);
  }
  let trustDomain: string;
  try {
    trustDomain = parseSpiffeId(identity).trustDomain;
  } catch (e) {
    return invalid(e instanceof AmbitError ? e.message : String(e));
  }
  if (trustDomain !== input.trustDomain) {
    return denied(
      `node ${node} may not obtain a certificate for ${identity}: the mesh trust domain is ${input.trustDomain}`,
    );
  }
  if (!(await input.mayIssue(node, identity))) {
    return denied(
      `node ${node} may not obtain a certificate for ${identity}: no workload with that identity is scheduled on node ${node}`,
    );
  }
  return { allow: true, identity, impersonated: Boolean(impersonatedIdentity) };
}
