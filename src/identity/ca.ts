/**
 * The control plane's certificate authority: signs workload CSRs for identities the caller has
 * already authorized, issues the control plane's own serving certificate, and publishes the
 * trust bundle. Signing material comes from a self-signed root kept in the state directory or
 * from an operator's plug-in CA directory (Istio `cacerts` layout), which can be rotated.
 *
 * Signing is synchronous CPU work (~0.1 ms: one ECDSA verify, one sign, some DER), so callers
 * need no queue; it reads the current material once, so a concurrent reload never mixes chains.
 */
import { AmbitError, errorText } from "../common/errors.js";
import { createLogger, type Logger } from "../common/log.js";
import type { CaMaterial } from "./ca-material.js";
import { issueLeaf, type IssuedCertificate } from "./ca-issue.js";
import { loadPluginCa } from "./ca-plugin.js";
import { loadOrCreateSelfSignedCa } from "./ca-selfsigned.js";
import { verifyCsr, type VerifiedCsr } from "./csr-verify.js";
import { watchDirectory, type DirWatch } from "./dir-watch.js";
import { generateP256KeyPair } from "./keygen.js";
import { pemEncode } from "./pem.js";
import { checkTrustDomain, parseSpiffeId } from "./spiffe.js";

/** Istio's DEFAULT_WORKLOAD_CERT_TTL. */
export const DEFAULT_WORKLOAD_TTL_SECONDS = 24 * 3600;
/** Istio's MAX_WORKLOAD_CERT_TTL. */
export const DEFAULT_MAX_WORKLOAD_TTL_SECONDS = 90 * 24 * 3600;
const DEFAULT_BACKDATE_SECONDS = 60;
const DEFAULT_SERVING_TTL_SECONDS = 30 * 24 * 3600;

export interface CertificateAuthorityOptions {
  trustDomain: string;
  /** Ambit's state directory; the self-signed root lives in `<stateDir>/ca/`. */
  stateDir: string;
  /** Operator CA directory (ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem). */
  pluginCertsDir?: string;
  defaultTtlSeconds?: number;
  maxTtlSeconds?: number;
  /** notBefore is set this far in the past, for peers whose clocks lag. */
  backdateSeconds?: number;
  now?: () => Date;
  log?: Logger;
}

export interface SignRequest {
  /** SPIFFE ID to put in the URI SAN, already authorized by the caller. */
  identity: string;
  /** Requested lifetime; 0 or absent means the default, above the maximum means the maximum. */
  ttlSeconds?: number;
}

export interface WorkloadCertificate extends IssuedCertificate {
  identity: string;
}

export interface ServingCertRequest {
  dnsNames?: string[];
  ipAddresses?: string[];
  spiffeId?: string;
  ttlSeconds?: number;
}

export interface ServingCertificate {
  /** PKCS#8 PEM. Secret: never log it. */
  keyPem: string;
  /** Leaf and intermediates, PEM, what a TLS server sends. */
  certChainPem: string;
  /** Trust bundle PEM, what a client of this server trusts. */
  rootsPem: string;
  serial: string;
  notAfter: Date;
}

export type CaMode = "self-signed" | "plugin";

export class CertificateAuthority {
  readonly trustDomain: string;
  readonly mode: CaMode;
  private material: CaMaterial;
  private readonly opts: Required<Omit<CertificateAuthorityOptions, "pluginCertsDir">> & {
    pluginCertsDir?: string;
  };
  private readonly listeners = new Set<() => void>();
  private reloading: Promise<void> = Promise.resolve();

  private constructor(opts: CertificateAuthority["opts"], material: CaMaterial) {
    this.opts = opts;
    this.trustDomain = opts.trustDomain;
    this.mode = opts.pluginCertsDir ? "plugin" : "self-signed";
    this.material = material;
  }

  static async open(options: CertificateAuthorityOptions): Promise<CertificateAuthority> {
    checkTrustDomain(options.trustDomain);
    // Field by field, so an explicit `undefined` still gets the default.
    const opts = {
      trustDomain: options.trustDomain,
      stateDir: options.stateDir,
      pluginCertsDir: options.pluginCertsDir,
      defaultTtlSeconds: options.defaultTtlSeconds ?? DEFAULT_WORKLOAD_TTL_SECONDS,
      maxTtlSeconds: options.maxTtlSeconds ?? DEFAULT_MAX_WORKLOAD_TTL_SECONDS,
      backdateSeconds: options.backdateSeconds ?? DEFAULT_BACKDATE_SECONDS,
      now: options.now ?? (() => new Date()),
      log: options.log ?? createLogger("ca"),
    };
    if (!(opts.defaultTtlSeconds > 0 && opts.maxTtlSeconds >= opts.defaultTtlSeconds)) {
      throw new AmbitError("CA_CONFIG_INVALID", "certificate TTLs must satisfy 0 < default ≤ max");
    }
    const material = await load(opts);
    const ca = new CertificateAuthority(opts, material);
    opts.log.info(
      { mode: ca.mode, signer: material.signingCert.x509.subject, notAfter: material.notAfter },
      "CA ready",
    );
    return ca;
  }

  /** Root certificates (PEM) that peers must trust to verify what this CA issues. */
  trustBundle(): string[] {
    return [...this.material.trustBundlePems];
  }

  /**
   * Signs a workload certificate. The caller has authenticated and authorized the identity;
   * this still refuses identities outside the trust domain (defence in depth).
   */
  signCsr(csr: string | VerifiedCsr, req: SignRequest): WorkloadCertificate {
    const id = parseSpiffeId(req.identity);
    if (id.trustDomain !== this.trustDomain) {
      throw new AmbitError(
        "IDENTITY_FOREIGN_TRUST_DOMAIN",
        `identity ${req.identity} is outside trust domain ${this.trustDomain}`,
      );
    }
    const verified = typeof csr === "string" ? verifyCsr(csr) : csr;
    const issued = issueLeaf(this.material, {
      spkiDer: verified.spkiDer,
      sans: { uris: [req.identity] },
      ttlMs: this.resolveTtlSeconds(req.ttlSeconds) * 1000,
      backdateMs: this.opts.backdateSeconds * 1000,
      now: this.opts.now(),
    });
    return { ...issued, identity: req.identity };
  }

  /** Requested TTL → effective TTL: 0/absent = default, capped at the maximum. */
  resolveTtlSeconds(requested: number | undefined): number {
    if (requested === undefined || requested === 0) return this.opts.defaultTtlSeconds;
    if (!Number.isFinite(requested) || requested < 0) {
      throw new AmbitError(
        "CERT_TTL_INVALID",
        `requested validity ${requested}s is not a positive number of seconds`,
      );
    }
    return Math.min(requested, this.opts.maxTtlSeconds);
  }

  /** Key and certificate for the control plane's own TLS listener (xDS + CA, port 15012). */
  issueServingCert(req: ServingCertRequest): ServingCertificate {
    if (req.spiffeId) parseSpiffeId(req.spiffeId);
    const names = {
      dnsNames: req.dnsNames ?? [],
      ipAddresses: req.ipAddresses ?? [],
      uris: req.spiffeId ? [req.spiffeId] : [],
    };
    if (names.dnsNames.length + names.ipAddresses.length + names.uris.length === 0) {
      throw new AmbitError(
        "SERVING_CERT_NO_NAMES",
        "a serving certificate needs at least one DNS name, IP or SPIFFE ID",
      );
    }
    const { pkcs8Der, spkiDer } = generateP256KeyPair();
    const issued = issueLeaf(this.material, {
      spkiDer,
      sans: names,
      ttlMs: (req.ttlSeconds ?? DEFAULT_SERVING_TTL_SECONDS) * 1000,
      backdateMs: this.opts.backdateSeconds * 1000,
      now: this.opts.now(),
    });
    return {
      keyPem: pemEncode("PRIVATE KEY", pkcs8Der),
      certChainPem: issued.chain.slice(0, -1).join(""),
      rootsPem: this.material.trustBundlePems.join(""),
      serial: issued.serial,
      notAfter: issued.notAfter,
    };
  }

  /**
   * Re-reads the signing material (the plug-in directory, or the self-signed root). On failure
   * the previous material stays in use and the error is thrown to the caller.
   */
  reload(): Promise<void> {
    const run = async (): Promise<void> => {
      const next = await load(this.opts);
      const old = this.material;
      const keptRoots = old.trustBundlePems.every((r) => next.trustBundlePems.includes(r));
      if (!keptRoots) {
        // istiod refuses a root change unless one bundle contains the other (MultiRootMesh);
        // Ambit applies it, but says loudly what it breaks and how to avoid that.
        this.opts.log.warn(
          "trust bundle no longer contains the previous root: workloads holding certificates from the old root " +
            "cannot connect to workloads with new ones until all have rotated; to avoid that, first publish a " +
            "root-cert.pem holding both roots, then switch the signing certificate",
        );
      }
      this.material = next;
      this.opts.log.info({ signer: next.signingCert.x509.subject, notAfter: next.notAfter }, "CA reloaded");
      for (const l of this.listeners) l();
    };
    // Serialize reloads so two overlapping ones cannot finish out of order.
    const p = this.reloading.then(run, run);
    this.reloading = p.catch(() => undefined);
    return p;
  }

  /** Watches the plug-in directory and reloads on change; a failed reload keeps the old CA. */
  watch(options: { debounceMs?: number } = {}): DirWatch {
    const dir = this.opts.pluginCertsDir;
    if (!dir) return { close: () => undefined };
    return watchDirectory(dir, options.debounceMs ?? 500, () => {
      this.reload().catch((e: unknown) =>
        this.opts.log.error(
          { dir, error: errorText(e) },
          "plug-in CA reload failed; still signing with the previous CA",
        ),
      );
    });
  }

  /** Called after every successful reload (re-issue serving certs, push the trust bundle). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function load(opts: CertificateAuthority["opts"]): Promise<CaMaterial> {
  const now = opts.now();
  return opts.pluginCertsDir
    ? loadPluginCa(opts.pluginCertsDir, now)
    : loadOrCreateSelfSignedCa(opts.stateDir, opts.trustDomain, now, opts.log);
}
