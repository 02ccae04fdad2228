/**
 * The node proxy's trust bundle: the roots it verifies HBONE peers (both directions) and the
 * control plane's gRPC certificate with. It follows two sources at runtime and trusts their union:
 *
 *  - the roots file (`--roots`), which the operator or local mode rewrites when the CA's roots
 *    change. ztunnel reads the same kind of file (the istio-ca-root-cert ConfigMap mounted as
 *    root-cert.pem) for its control plane connection (src/tls/control.rs `RootCert::File`), and
 *    istio-agent watches it and re-dials istiod when it changes (istio/istio#36813);
 *  - the roots that come back with each CreateCertificate answer (certs.ts `onCaRoots`), which is
 *    where ztunnel takes the roots it verifies workload peers with (src/tls/certificate.rs
 *    `WorkloadCertificate::new`). Only the latest answer's roots count, so a root the CA no longer
 *    anchors in leaves the bundle once the file drops it too.
 *
 * During a plug-in CA root rotation (docs/identity.md) the operator first publishes a
 * root-cert.pem holding both roots: from then on the file carries both, and peers signed by
 * either root are accepted; traffic never depends on every proxy switching at the same moment.
 *
 * The bundle is also a gRPC CertificateProvider (CA certificates only), so the xDS and CA
 * channels verify the control plane against the current bundle on every new connection.
 */
import { EventEmitter } from "node:events";
import { X509Certificate } from "node:crypto";
import type { experimental } from "@grpc/grpc-js";
import { AmbitError } from "../common/errors.js";
import { splitPem } from "./tls.js";

export type RootSource = "file" | "ca";

/** What the config dump shows of a root: public facts only. */
export interface RootInfo {
  subject: string;
  issuer: string;
  serial: string;
  /** SHA-256 of the DER, colon-separated hex (openssl x509 -fingerprint -sha256). */
  fingerprint256: string;
  notBefore: string;
  notAfter: string;
  /** Where the proxy learned it. */
  sources: RootSource[];
}

export interface TrustBundleEvents {
  /** The merged roots changed (PEM, one per root). */
  change: [string[]];
}

/**
 * Parses a roots file: one or more PEM certificates, every one a CA certificate. Throws
 * ROOTS_INVALID naming `what` otherwise (an empty file included), so the caller keeps its last
 * good bundle.
 */
export function parseRoots(text: string, what: string): string[] {
  let pems: string[];
  try {
    pems = splitPem(text);
  } catch (e) {
    throw new AmbitError("ROOTS_INVALID", `${what} is not valid PEM: ${(e as Error).message}`);
  }
  if (pems.length === 0)
    throw new AmbitError(
      "ROOTS_INVALID",
      `${what} holds no PEM certificate`,
      "write the control plane's trust bundle (PEM roots) to it",
    );
  pems.forEach((pem, i) => {
    let c: X509Certificate;
    try {
      c = new X509Certificate(pem);
    } catch {
      throw new AmbitError("ROOTS_INVALID", `certificate #${i + 1} in ${what} cannot be parsed`);
    }
    if (!c.ca)
      throw new AmbitError(
        "ROOTS_INVALID",
        `certificate #${i + 1} in ${what} ("${dn(c.subject)}") is not a CA certificate`,
        "a trust bundle holds root certificates (basicConstraints CA:TRUE)",
      );
  });
  return unique(pems);
}

/** A distinguished name on one line; "" when the certificate has none (Node gives undefined). */
function dn(text: string | undefined): string {
  return (text ?? "").replace(/\n/g, ", ");
}

function unique(pems: readonly string[]): string[] {
  return [...new Set(pems)];
}

export class TrustBundle extends EventEmitter<TrustBundleEvents> implements experimental.CertificateProvider {
  private fileRoots: string[];
  private caRoots: string[] = [];
  // file roots first, then what only the CA announced; the same array until a change
  private merged: string[] = [];
  private readonly caListeners = new Set<experimental.CaCertificateUpdateListener>();
  private changedAt = new Date();

  /** `initial`: the roots the proxy starts with (PEM text, one or more certificates). */
  constructor(initial: string) {
    super();
    this.fileRoots = unique(splitPem(initial));
    this.merged = this.fileRoots;
  }

  /** The current roots, one PEM per root. Hot path: no copy, the same array until a change. */
  roots(): string[] {
    return this.merged;
  }

  /** Replaces the roots file's part; returns whether the merged bundle changed. */
  setFileRoots(pems: readonly string[]): boolean {
    this.fileRoots = unique(pems.flatMap((p) => splitPem(p)));
    return this.recompute();
  }

  /** Replaces the CA-announced part with the roots of the latest answer. */
  setCaRoots(pems: readonly string[]): boolean {
    this.caRoots = unique(pems.flatMap((p) => splitPem(p)));
    return this.recompute();
  }

  /** When the merged bundle last changed (or the proxy started). */
  updatedAt(): Date {
    return this.changedAt;
  }

  describe(): RootInfo[] {
    return this.merged.map((pem) => {
      const c = new X509Certificate(pem);
      const sources: RootSource[] = [];
      if (this.fileRoots.includes(pem)) sources.push("file");
      if (this.caRoots.includes(pem)) sources.push("ca");
      return {
        subject: dn(c.subject),
        issuer: dn(c.issuer),
        serial: c.serialNumber.toLowerCase(),
        fingerprint256: c.fingerprint256,
        notBefore: new Date(c.validFrom).toISOString(),
        notAfter: new Date(c.validTo).toISOString(),
        sources,
      };
    });
  }

  // ---- grpc CertificateProvider: CA certificates only (the proxy presents no client cert) ----

  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    // Synchronously: a channel asks for its context right after subscribing.
    listener(this.caUpdate());
  }

  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(): void {}

  removeIdentityCertificateListener(): void {}

  private caUpdate(): experimental.CaCertificateUpdate | null {
    return this.merged.length > 0 ? { caCertificate: Buffer.from(this.merged.join("")) } : null;
  }

  private recompute(): boolean {
    const next = unique([...this.fileRoots, ...this.caRoots]);
    // An empty bundle would refuse every peer; keep the last one (parseRoots already refuses an
    // empty file, and the CA part only grows the union).
    if (next.length === 0) return false;
    if (next.length === this.merged.length && next.every((p, i) => p === this.merged[i])) return false;
    this.merged = next;
    this.changedAt = new Date();
    const update = this.caUpdate();
    for (const l of this.caListeners) l(update);
    this.emit("change", next);
    return true;
  }
}
