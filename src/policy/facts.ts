/**
 * A connection digested once for evaluation: addresses parsed, the peer's principal and
 * namespace taken from its SPIFFE ID. Every rule object reads these facts, never the raw text.
 *
 * As ztunnel does (src/rbac.rs Authorization::matches and StringMatch::matches_principal):
 *   - principals are compared without "spiffe://" ("cluster.local/ns/x/sa/y"); an identity that
 *     does not start with "spiffe://", or no identity at all (plaintext), matches no principal,
 *     so `principals` never holds for it and `notPrincipals` always does;
 *   - the namespace is the identity's "/ns/<ns>/" segment, "" without identity, so `namespaces`
 *     ("x", "*", "x*", "*x") never holds for plaintext and `notNamespaces` does.
 */
import { ipBytes } from "./ip.js";
import type { ConnectionAttributes } from "./types.js";

const SPIFFE = "spiffe://";
// "<td>/ns/<ns>/sa/<sa>": Istio's identity path (pkg/spiffe ParseIdentity).
const ISTIO_PATH = /^[^/]+\/ns\/([^/]+)\/sa\/[^/]+$/;

export interface ConnectionFacts {
  readonly attributes: ConnectionAttributes;
  /** Principal without "spiffe://"; undefined when there is no SPIFFE identity. */
  readonly principal: string | undefined;
  /** Source identity's namespace; "" when unknown. */
  readonly namespace: string;
  readonly sourceIp: Uint8Array | undefined;
  readonly destinationIp: Uint8Array | undefined;
  readonly destinationPort: number;
}

export function connectionFacts(conn: ConnectionAttributes): ConnectionFacts {
  const id = conn.sourceIdentity;
  const principal = id?.startsWith(SPIFFE) ? id.slice(SPIFFE.length) : undefined;
  const namespace = principal ? (ISTIO_PATH.exec(principal)?.[1] ?? "") : "";
  return {
    attributes: conn,
    principal,
    namespace,
    sourceIp: ipBytes(conn.sourceIp),
    destinationIp: ipBytes(conn.destinationIp),
    destinationPort: conn.destinationPort,
  };
}
