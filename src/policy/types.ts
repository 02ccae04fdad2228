/**
 * What the L4 authorization evaluator reads and returns. The same shapes serve the node proxy
 * (decisions per connection) and `ambit authz check` / access logs (which policy and rule decided,
 * and why), so a decision always names what decided it.
 */
import type { AuthorizationAction } from "../model/authorization.js";

/** The facts about one connection the node proxy knows when it authorizes it. */
export interface ConnectionAttributes {
  /** Peer SPIFFE ID "spiffe://td/ns/x/sa/y"; undefined for a plaintext (unauthenticated) peer. */
  sourceIdentity?: string;
  sourceIp: string;
  destinationIp: string;
  /** The workload (target) port the connection is for. */
  destinationPort: number;
}

export interface DecidedBy {
  /** "<namespace>/<name>" of the policy. */
  policy: string;
  action: AuthorizationAction;
  /** Index of the matching rule in the policy's rules (spec.rules after conversion). */
  rule?: number;
}

export interface DryRunResult {
  policy: string;
  action: AuthorizationAction;
  /**
   * What this policy alone would do if enforced: DENY/CUSTOM -> false when it matches; ALLOW ->
   * true only when it matches; AUDIT -> always true. `AuthzDecision.dryRunAllowed` gives the
   * combined answer with every dry-run policy enforced.
   */
  wouldAllow: boolean;
  /** The rule that matched, if any. */
  rule?: number;
}

export interface AuthzDecision {
  allowed: boolean;
  /** The enforced policy that decided; absent when no policy did (no policies, or no ALLOW matched). */
  decidedBy?: DecidedBy;
  /** One sentence for logs and `ambit authz check`. */
  reason: string;
  /** Every dry-run (istio.io/dry-run) policy that applies, evaluated but not enforced. */
  dryRun: DryRunResult[];
  /**
   * The decision if the dry-run policies were enforced too; present only when some apply (the
   * "enforcing would block this connection" signal ztunnel logs, istio/ztunnel#1745).
   */
  dryRunAllowed?: boolean;
  /** "<ns>/<name>" of the enforced AUDIT policies with a matching rule. */
  audit: string[];
}
