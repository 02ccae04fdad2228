/**
 * gRPC IstioCertificateService/CreateCertificate on the control plane's 15012 listener (shared
 * with xDS), wire-compatible with istiod's (security/pkg/server/ca/server.go):
 *
 *   1. authenticate: `authorization: Bearer <token>` → node, else UNAUTHENTICATED;
 *   2. decide the identity (identity/issuance-policy.ts): ImpersonatedIdentity or the CSR's
 *      URI SAN, for a workload on that node, else PERMISSION_DENIED / INVALID_ARGUMENT;
 *   3. sign and answer `cert_chain` leaf first, then the intermediates, then every root of the
 *      trust bundle, one PEM per entry with a trailing newline. istiod appends its whole
 *      root-cert.pem the same way, and ztunnel takes the roots at the end of the chain as its
 *      trust anchors (istio/ztunnel src/tls/certificate.rs), so during a root rotation a proxy
 *      learns the new root from its next certificate.
 *
 * Bad input never throws out of the handler; every failure is a gRPC status with a message an
 * operator can act on. Tokens, keys and CSRs are never logged.
 */
import * as grpc from "@grpc/grpc-js";
import { AmbitError, errorText } from "../common/errors.js";
import { createLogger, type Logger } from "../common/log.js";
import type { SignRequest, WorkloadCertificate } from "../identity/ca.js";
import {
  caServiceDefinition,
  IMPERSONATED_IDENTITY_KEY,
  type PbIstioCertificateRequest,
  type PbIstioCertificateResponse,
} from "../identity/ca-proto.js";
import { verifyCsr, type VerifiedCsr } from "../identity/csr-verify.js";
import { decideIssuance } from "../identity/issuance-policy.js";

type MaybePromise<T> = T | Promise<T>;

export interface CaServiceDeps {
  ca: { signCsr(csr: VerifiedCsr, req: SignRequest): WorkloadCertificate };
  /** Bearer token → node, or undefined when the token is unknown. */
  authenticate(token: string): MaybePromise<{ node: string } | undefined>;
  /** Whether a workload with this SPIFFE ID is scheduled on this node. */
  mayIssue(node: string, spiffeId: string): MaybePromise<boolean>;
  trustDomain: string;
  /** The CA's current trust bundle (PEM roots); without it the chain ends with its own root. */
  trustBundle?: () => readonly string[];
  log?: Logger;
}

class Refusal extends Error {
  constructor(
    readonly status: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

function bearerToken(md: grpc.Metadata): string {
  const values = md.get("authorization");
  if (values.length === 0)
    throw new Refusal(grpc.status.UNAUTHENTICATED, "missing authorization metadata (Bearer token)");
  const m = /^Bearer\s+(\S+)\s*$/i.exec(String(values[0]));
  if (values.length > 1 || !m) {
    throw new Refusal(
      grpc.status.UNAUTHENTICATED,
      "authorization metadata must be a single 'Bearer <token>'",
    );
  }
  return m[1]!;
}

function impersonatedIdentity(req: PbIstioCertificateRequest): string | undefined {
  const v = req.metadata?.fields?.[IMPERSONATED_IDENTITY_KEY];
  if (v === undefined) return undefined;
  if (typeof v.stringValue !== "string" || (v.kind !== undefined && v.kind !== "stringValue")) {
    throw new Refusal(grpc.status.INVALID_ARGUMENT, `metadata ${IMPERSONATED_IDENTITY_KEY} must be a string`);
  }
  return v.stringValue;
}

function requestedTtlSeconds(raw: unknown): number {
  const text = String(raw ?? "0");
  if (!/^\d+$/.test(text)) {
    throw new Refusal(
      grpc.status.INVALID_ARGUMENT,
      `validity_duration ${text} is not a non-negative number of seconds`,
    );
  }
  // Anything beyond 2^53 is far above every maximum; the CA caps it.
  return Number(BigInt(text) > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : text);
}

function statusOf(e: AmbitError): grpc.status {
  if (/^(CSR_|SPIFFE_ID_|CERT_TTL_)/.test(e.code)) return grpc.status.INVALID_ARGUMENT;
  if (e.code === "IDENTITY_FOREIGN_TRUST_DOMAIN") return grpc.status.PERMISSION_DENIED;
  return grpc.status.INTERNAL;
}

export function addCaService(server: grpc.Server, deps: CaServiceDeps): void {
  const log = deps.log ?? createLogger("ca-service");

  async function handle(call: grpc.ServerUnaryCall<PbIstioCertificateRequest, PbIstioCertificateResponse>) {
    const token = bearerToken(call.metadata);
    const caller = await deps.authenticate(token);
    if (!caller)
      throw new Refusal(grpc.status.UNAUTHENTICATED, "bearer token not recognised (revoked or never issued)");
    const req = call.request;
    const ttlSeconds = requestedTtlSeconds(req.validityDuration);
    const impersonated = impersonatedIdentity(req);
    let csr: VerifiedCsr;
    try {
      csr = verifyCsr(typeof req.csr === "string" ? req.csr : "");
    } catch (e) {
      throw new Refusal(grpc.status.INVALID_ARGUMENT, errorText(e));
    }
    const decision = await decideIssuance({
      node: caller.node,
      impersonatedIdentity: impersonated,
      csrUriSans: csr.uriSans,
      trustDomain: deps.trustDomain,
      mayIssue: deps.mayIssue,
    });
    if (!decision.allow) {
      log.warn({ node: caller.node, reason: decision.message, peer: call.getPeer() }, "certificate refused");
      const status =
        decision.reason === "denied" ? grpc.status.PERMISSION_DENIED : grpc.status.INVALID_ARGUMENT;
      throw new Refusal(status, decision.message);
    }
    const cert = deps.ca.signCsr(csr, { identity: decision.identity, ttlSeconds });
    log.info(
      {
        node: caller.node,
        identity: cert.identity,
        serial: cert.serial,
        notAfter: cert.notAfter.toISOString(),
      },
      "certificate issued",
    );
    return { certChain: responseChain(cert.chain, deps.trustBundle?.() ?? []) };
  }

  server.addService(caServiceDefinition(), {
    CreateCertificate(
      call: grpc.ServerUnaryCall<PbIstioCertificateRequest, PbIstioCertificateResponse>,
      callback: grpc.sendUnaryData<PbIstioCertificateResponse>,
    ): void {
      handle(call).then(
        (res) => callback(null, res),
        (e: unknown) => {
          if (e instanceof Refusal) return callback({ code: e.status, details: e.message });
          if (e instanceof AmbitError) {
            const code = statusOf(e);
            if (code === grpc.status.INTERNAL)
              log.error({ error: e.describe() }, "certificate signing failed");
            return callback({
              code,
              details: code === grpc.status.INTERNAL ? "certificate signing failed" : e.message,
            });
          }
          log.error({ error: errorText(e) }, "certificate signing failed");
          callback({ code: grpc.status.INTERNAL, details: "certificate signing failed" });
        },
      );
    },
  });
}

/**
 * Leaf and intermediates of `chain` (its last entry is the root that anchors it), then every
 * root of `bundle`; the anchoring root too when the bundle lacks it, so the chain stays
 * complete.
 */
export function responseChain(chain: readonly string[], bundle: readonly string[]): string[] {
  const withNewline = (pem: string) => (pem.endsWith("\n") ? pem : `${pem}\n`);
  const roots = bundle.length > 0 ? bundle : chain.slice(-1);
  const out = [...chain.slice(0, -1), ...roots].map(withNewline);
  const anchor = chain.at(-1);
  if (anchor && !out.includes(withNewline(anchor))) out.push(withNewline(anchor));
  return out;
}
