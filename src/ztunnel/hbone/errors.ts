/**
 * Why an HBONE tunnel could not be opened, as stable codes with an operator hint. This is the
 * one place that turns socket, TLS and HTTP/2 failures into those codes.
 */
import { constants as h2 } from "node:http2";
import { AmbitError } from "../../common/errors.js";

export type HboneErrorCode =
  "HBONE_CONNECT_FAILED" | "HBONE_TLS_FAILED" | "HBONE_IDENTITY_MISMATCH" | "HBONE_REFUSED" | "HBONE_TIMEOUT";

export class HboneError extends AmbitError {
  declare readonly code: HboneErrorCode;
  /** HTTP status of a refused CONNECT (HBONE_REFUSED), when the server answered with one. */
  readonly status: number | undefined;
  /** RST_STREAM code when the server reset the CONNECT stream instead of answering. */
  readonly resetCode: number | undefined;

  constructor(
    code: HboneErrorCode,
    message: string,
    hint: string,
    extra: { status?: number; resetCode?: number; cause?: unknown } = {},
  ) {
    super(code, message, hint, { cause: extra.cause });
    this.name = "HboneError";
    this.status = extra.status;
    this.resetCode = extra.resetCode;
  }
}

/** Thrown from checkServerIdentity; recognised by class so it is never confused with OpenSSL's. */
export class IdentityMismatch extends Error {
  constructor(
    readonly expected: string,
    readonly presented: readonly string[],
  ) {
    super(`peer presented ${presented.join(",") || "no URI SAN"}, expected ${expected}`);
  }
}

export function connectFailed(address: string, cause: unknown): HboneError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ETIMEDOUT") return timedOut(address, cause);
  return new HboneError(
    "HBONE_CONNECT_FAILED",
    `connection to ${address} failed${code ? ` (${code})` : ""}: ${(cause as Error | undefined)?.message ?? String(cause)}`,
    code === "ECONNREFUSED"
      ? "is the ztunnel on that node running and listening on the HBONE port?"
      : "is the destination node reachable (routes, firewall) from this node?",
    { cause },
  );
}

export function timedOut(address: string, cause?: unknown): HboneError {
  return new HboneError(
    "HBONE_TIMEOUT",
    `connection to ${address} timed out`,
    "is a NetworkPolicy or firewall blocking the HBONE port?",
    { cause },
  );
}

export function tlsFailed(address: string, cause: unknown, afterHandshake = false): HboneError {
  const e = cause as NodeJS.ErrnoException | undefined;
  const detail = e?.code ? `${e.code}: ${e.message}` : (e?.message ?? String(cause));
  return new HboneError(
    "HBONE_TLS_FAILED",
    afterHandshake
      ? `${address} closed the connection right after the TLS handshake (${detail})`
      : `TLS with ${address} failed (${detail})`,
    afterHandshake
      ? "the server refused this node's client certificate (trust domain, expiry or trust bundle); its ztunnel log says why"
      : "do both nodes trust the same root certificate, and are both certificates valid now (clocks)?",
    { cause },
  );
}

export function identityMismatch(address: string, m: IdentityMismatch): HboneError {
  return new HboneError(
    "HBONE_IDENTITY_MISMATCH",
    `${address} presented ${m.presented.join(",") || "no SPIFFE identity"}, expected ${m.expected}`,
    "the address may now belong to another workload, or this node's workload view is stale; compare `ambit ztunnel-config workloads` on both nodes",
    { cause: m },
  );
}

const STATUS_HINTS: Record<number, string> = {
  400: "the destination ztunnel rejected the request: is the address a workload on that node?",
  401: "an AuthorizationPolicy at the destination denied the connection; `ambit authz check` says which",
  403: "an AuthorizationPolicy at the destination denied the connection; `ambit authz check` says which",
  405: "the peer is not an HBONE server (it accepts only CONNECT)",
  431: "the CONNECT request headers are larger than the destination accepts",
  503: "the destination ztunnel could not connect to the workload: is it listening on that port?",
};

export function refused(address: string, authority: string, status: number): HboneError {
  return new HboneError(
    "HBONE_REFUSED",
    `${address} refused the tunnel to ${authority} with HTTP ${status}`,
    STATUS_HINTS[status] ?? "see the destination ztunnel's log for the reason",
    { status },
  );
}

/** RFC 9113 §7 error codes, for messages. */
const RESET_NAMES = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
];

export function reset(address: string, authority: string, code: number): HboneError {
  const name = RESET_NAMES[code] ?? `code ${code}`;
  return new HboneError(
    "HBONE_REFUSED",
    `${address} reset the tunnel to ${authority} (${name})`,
    code === h2.NGHTTP2_ENHANCE_YOUR_CALM || code === h2.NGHTTP2_REFUSED_STREAM
      ? "the destination refused the stream: request headers too large, or too many streams on one connection"
      : "see the destination ztunnel's log for the reason",
    { resetCode: code },
  );
}
