/**
 * Keeps the control plane's own TLS certificate (port 15012) fresh for @grpc/grpc-js: a
 * CertificateProvider that issues a serving certificate from the CA, re-issues it when two
 * thirds of its lifetime have passed and whenever the CA reloads (plug-in CA rotation), and
 * pushes each new key pair to the server without a restart. istiod does the same for its DNS
 * certificate (`updateRootCertAndGenKeyCert` after a cacerts change).
 *
 *   const provider = new ServingCertProvider(ca, { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
 *   const creds = grpc.experimental.createCertificateProviderServerCredentials(provider, null, false);
 *   ... server.bindAsync(addr, creds, cb) ...; provider.close() on shutdown.
 */
import type { experimental } from "@grpc/grpc-js";
import { errorText } from "../common/errors.js";
import { createLogger, type Logger } from "../common/log.js";
import type { CertificateAuthority, ServingCertRequest, ServingCertificate } from "./ca.js";

type IdentityListener = experimental.IdentityCertificateUpdateListener;
type CaListener = experimental.CaCertificateUpdateListener;

/** Re-issue after this fraction of the lifetime (ztunnel and istio-agent renew at ~half to 2/3). */
const RENEW_AT = 2 / 3;
const RETRY_MS = 10_000;

export class ServingCertProvider implements experimental.CertificateProvider {
  private current: ServingCertificate | undefined;
  private readonly identityListeners = new Set<IdentityListener>();
  private readonly caListeners = new Set<CaListener>();
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(
    private readonly ca: Pick<CertificateAuthority, "issueServingCert" | "onChange">,
    private readonly request: ServingCertRequest,
    options: { log?: Logger; now?: () => number } = {},
  ) {
    this.log = options.log ?? createLogger("serving-cert");
    this.now = options.now ?? Date.now;
    this.unsubscribe = ca.onChange(() => this.renew());
    this.renew();
  }

  /** The certificate in use (for tests and `ambit` diagnostics). */
  certificate(): ServingCertificate | undefined {
    return this.current;
  }

  private renew(): void {
    if (this.timer) clearTimeout(this.timer);
    let delay = RETRY_MS;
    try {
      const cert = this.ca.issueServingCert(this.request);
      this.current = cert;
      const lifetime = cert.notAfter.getTime() - this.now();
      delay = Math.max(1000, Math.min(lifetime * RENEW_AT, 2 ** 31 - 1));
      this.log.info(
        { serial: cert.serial, notAfter: cert.notAfter.toISOString() },
        "serving certificate issued",
      );
      for (const l of this.identityListeners) l(this.identityUpdate(cert));
      for (const l of this.caListeners) l({ caCertificate: Buffer.from(cert.rootsPem) });
    } catch (e) {
      this.log.error({ error: errorText(e) }, "serving certificate renewal failed; retrying");
    }
    this.timer = setTimeout(() => this.renew(), delay);
    this.timer.unref();
  }

  private identityUpdate(cert: ServingCertificate): experimental.IdentityCertificateUpdate {
    return { certificate: Buffer.from(cert.certChainPem), privateKey: Buffer.from(cert.keyPem) };
  }

  /**
   * The current certificate is delivered on a microtask, not synchronously: grpc-js subscribes
   * to the provider before it registers its own server watcher (server-credentials.ts
   * `_addWatcher`), so a synchronous first update would be lost and the listener would drop
   * every connection until the next renewal.
   */
  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => {
      if (this.current && this.identityListeners.has(listener)) listener(this.identityUpdate(this.current));
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  /** Trust bundle updates, for a server that verifies client certificates against our roots. */
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    queueMicrotask(() => {
      if (this.current && this.caListeners.has(listener))
        listener({ caCertificate: Buffer.from(this.current.rootsPem) });
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe();
  }
}
