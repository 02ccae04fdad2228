/**
 * Workload certificates of the pods on this node, as ztunnel's SecretManager keeps them
 * (istio/ztunnel src/identity/manager.rs):
 *
 *  - fetched on first use; concurrent callers for one identity share one CA request;
 *  - rotated in the background at half of the certificate's lifetime
 *    (src/tls/lib.rs `get_duration_until_refresh`: not_before + (not_after - not_before) / 2);
 *  - when the CA fails, retried with exponential backoff per identity (about 1 s doubling up to
 *    150 s, ±20 % jitter: manager.rs `CERT_REFRESH_FAILURE_RETRY_DELAY_MAX_INTERVAL`), and the
 *    current certificate keeps being served until it actually expires;
 *  - forgotten when the workload leaves the node.
 *
 * The roots at the end of each answer (tls.ts `rootsInChain`) are handed to `onCaRoots`: ztunnel
 * trusts exactly those for its peers (src/tls/certificate.rs), Ambit merges them into the node's
 * trust bundle (trust-bundle.ts), so a root the CA starts anchoring in is trusted without waiting
 * for the roots file. The answer must chain to the trust bundle or to those roots.
 *
 * The EC P-256 key is generated here and never leaves the process; only the CSR goes to the CA,
 * through `caSigner` (bottom of this file): Istio's CreateCertificate with the workload's identity
 * as ImpersonatedIdentity, authenticated with the node token.
 */
import * as grpc from "@grpc/grpc-js";
import { AmbitError, errorText, isAmbitError } from "../common/errors.js";
import { createLogger, type Logger } from "../common/log.js";
import { createCaClient, IMPERSONATED_IDENTITY_KEY, type CaClient } from "../identity/ca-proto.js";
import { generateKeyAndCsr } from "../identity/csr.js";
import { parseSpiffeId } from "../identity/spiffe.js";
import { rootsInChain, workloadCertFrom } from "./tls.js";

export interface WorkloadCert {
  identity: string;
  /** PKCS#8 PEM. Secret: never log it. */
  keyPem: string;
  /** PEM certificates, leaf first (as the CA returned them, one per entry). */
  chainPem: string[];
  notBefore: Date;
  notAfter: Date;
  /** Lowercase hex. */
  serial: string;
}

export type SignFunction = (req: {
  identity: string;
  csrPem: string;
  ttlSeconds: number;
}) => Promise<string[]>;

export interface CertStatus {
  identity: string;
  /** Available: a valid certificate is held (even while a rotation is failing; see `error`). */
  state: "Available" | "Pending" | "Unavailable";
  serial?: string;
  notBefore?: Date;
  notAfter?: Date;
  /** When the next fetch is planned: the half-life rotation, or the next retry after a failure. */
  rotatesAt?: Date;
  /** The last fetch's failure, until a fetch succeeds. */
  error?: string;
}

export interface WorkloadCertManagerOptions {
  sign: SignFunction;
  trustBundle: () => string[];
  /** The roots that came with an accepted CA answer (self-signed certificates of its chain). */
  onCaRoots?: (roots: string[]) => void;
  /** Milliseconds since the epoch; injected by tests. Default Date.now. */
  clock?: () => number;
  log?: Logger;
  /** Requested certificate lifetime. Default 86400 (Istio's DEFAULT_WORKLOAD_CERT_TTL). */
  ttlSeconds?: number;
  /** Retry backoff after a failed fetch. Defaults: 1000 ms initial, 150000 ms max (ztunnel's). */
  retry?: { initialMs?: number; maxMs?: number };
}

interface Entry {
  identity: string;
  cert?: WorkloadCert;
  fetching?: Promise<WorkloadCert>;
  error?: AmbitError;
  /** Consecutive failed fetches; drives the backoff. */
  failures: number;
  /** Next planned background fetch (epoch ms). */
  nextAt?: number;
  timer?: NodeJS.Timeout;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class WorkloadCertManager {
  // identity -> what we hold and plan for it
  private readonly entries = new Map<string, Entry>();
  private readonly clock: () => number;
  private readonly log: Logger;
  private readonly ttlSeconds: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private closed = false;

  constructor(private readonly opts: WorkloadCertManagerOptions) {
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log ?? createLogger("ztunnel-certs");
    this.ttlSeconds = opts.ttlSeconds ?? 86_400;
    this.retryInitialMs = opts.retry?.initialMs ?? 1_000;
    this.retryMaxMs = opts.retry?.maxMs ?? 150_000;
  }

  /** The current certificate for `identity`, fetching it first if there is none. */
  get(identity: string): Promise<WorkloadCert> {
    if (this.closed) {
      return Promise.reject(new AmbitError("CERT_MANAGER_CLOSED", "the certificate manager is closed"));
    }
    try {
      parseSpiffeId(identity);
    } catch (e) {
      return Promise.reject(e);
    }
    let e = this.entries.get(identity);
    if (!e) {
      e = { identity, failures: 0 };
      this.entries.set(identity, e);
      return this.fetch(e);
    }
    const now = this.clock();
    if (e.cert && now < e.cert.notAfter.getTime()) {
      if (!e.fetching && e.nextAt !== undefined && now >= e.nextAt) void this.fetch(e).catch(() => undefined);
      return Promise.resolve(e.cert);
    }
    if (e.fetching) return e.fetching;
    // No valid certificate. Within the backoff after a failure, answer with that failure rather
    // than hammering an unreachable CA once per connection attempt.
    if (e.error && e.nextAt !== undefined && now < e.nextAt) return Promise.reject(e.error);
    return this.fetch(e);
  }

  /** Stops managing `identity` (its workload left the node). An in-flight fetch is discarded. */
  forget(identity: string): void {
    const e = this.entries.get(identity);
    if (!e) return;
    clearTimeout(e.timer);
    this.entries.delete(identity);
    this.log.info({ identity }, "workload certificate forgotten");
  }

  /** One row per identity, for `ambit ztunnel-config certificates`. */
  list(): CertStatus[] {
    const now = this.clock();
    return [...this.entries.values()]
      .map((e): CertStatus => {
        const valid = e.cert !== undefined && now < e.cert.notAfter.getTime();
        const state = valid ? "Available" : e.fetching && !e.error ? "Pending" : "Unavailable";
        const error =
          e.error?.message ??
          (e.cert && !valid ? `certificate expired at ${e.cert.notAfter.toISOString()}` : undefined);
        return {
          identity: e.identity,
          state,
          ...(e.cert
            ? { serial: e.cert.serial, notBefore: e.cert.notBefore, notAfter: e.cert.notAfter }
            : {}),
          ...(e.nextAt !== undefined ? { rotatesAt: new Date(e.nextAt) } : {}),
          ...(error !== undefined ? { error } : {}),
        };
      })
      .sort((a, b) => a.identity.localeCompare(b.identity));
  }

  /**
   * Re-evaluates every identity against the clock now and starts the fetches that are due.
   * The timers do this on their own; this is for a clock jump (suspend/resume) and for tests with
   * an injected clock. Resolves when the fetches it started have settled.
   */
  async checkNow(): Promise<void> {
    const started: Promise<unknown>[] = [];
    for (const e of this.entries.values()) {
      if (e.fetching) started.push(e.fetching.catch(() => undefined));
      else if (e.nextAt !== undefined && this.clock() >= e.nextAt) {
        started.push(this.fetch(e).catch(() => undefined));
      }
    }
    await Promise.all(started);
  }

  /** Stops every timer; also closes the signer when it has a close() (caSigner's does). */
  close(): void {
    this.closed = true;
    for (const e of this.entries.values()) clearTimeout(e.timer);
    this.entries.clear();
    (this.opts.sign as Partial<{ close(): void }>).close?.();
  }

  private fetch(e: Entry): Promise<WorkloadCert> {
    clearTimeout(e.timer);
    const attempt = (async () => {
      const { keyPem, csrPem } = generateKeyAndCsr(e.identity);
      const chain = await this.opts.sign({ identity: e.identity, csrPem, ttlSeconds: this.ttlSeconds });
      const caRoots = rootsInChain(chain);
      const cert = workloadCertFrom(e.identity, keyPem, chain, [...this.opts.trustBundle(), ...caRoots]);
      // Before the certificate is used, so its first TLS context already trusts these roots.
      if (caRoots.length > 0) this.opts.onCaRoots?.(caRoots);
      return cert;
    })();
    const settled = attempt.then(
      (cert) => {
        this.issued(e, cert);
        return cert;
      },
      (err: unknown) => {
        throw this.failed(e, err);
      },
    );
    e.fetching = settled;
    return settled;
  }

  private issued(e: Entry, cert: WorkloadCert): void {
    e.fetching = undefined;
    if (this.entries.get(e.identity) !== e) return; // forgotten meanwhile
    const rotatesAt = Math.round(
      cert.notBefore.getTime() + (cert.notAfter.getTime() - cert.notBefore.getTime()) / 2,
    );
    e.cert = cert;
    e.error = undefined;
    e.failures = 0;
    this.schedule(e, rotatesAt);
    this.log.info(
      {
        identity: e.identity,
        serial: cert.serial,
        notAfter: cert.notAfter.toISOString(),
        rotatesAt: new Date(rotatesAt).toISOString(),
      },
      "workload certificate issued",
    );
  }

  private failed(e: Entry, cause: unknown): AmbitError {
    e.fetching = undefined;
    const err = new AmbitError(
      "CERT_UNAVAILABLE",
      `no certificate for ${e.identity}: ${isAmbitError(cause) ? cause.message : errorText(cause)}`,
      isAmbitError(cause) && cause.hint
        ? cause.hint
        : "check that the control plane (CA) is reachable from this node",
      { cause },
    );
    if (this.entries.get(e.identity) !== e) return err;
    e.failures++;
    e.error = err;
    const base = Math.min(this.retryMaxMs, this.retryInitialMs * 2 ** (e.failures - 1));
    const delay = Math.round(base * (0.8 + 0.4 * Math.random()));
    const now = this.clock();
    const valid = e.cert && now < e.cert.notAfter.getTime() ? e.cert : undefined;
    // Retry no later than the current certificate's expiry, so the gap is as short as possible.
    const retryAt = valid ? Math.min(now + delay, valid.notAfter.getTime()) : now + delay;
    this.schedule(e, retryAt);
    const fields = { identity: e.identity, error: errorText(cause), attempt: e.failures };
    if (valid) {
      this.log.warn(
        { ...fields, keptUntil: valid.notAfter.toISOString(), retryAt: new Date(retryAt).toISOString() },
        "certificate renewal failed; still serving the current certificate until it expires",
      );
    } else {
      this.log.warn(
        { ...fields, retryAt: new Date(retryAt).toISOString() },
        "certificate fetch failed and no valid certificate is held; connections of this workload fail until it succeeds",
      );
    }
    return err;
  }

  private schedule(e: Entry, at: number): void {
    clearTimeout(e.timer);
    e.nextAt = at;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - this.clock()));
    e.timer = setTimeout(() => this.onTimer(e), delay);
    e.timer.unref();
  }

  private onTimer(e: Entry): void {
    if (this.closed || this.entries.get(e.identity) !== e || e.fetching || e.nextAt === undefined) return;
    // A long delay is capped by the timer limit, and an injected clock may differ from timers.
    if (this.clock() < e.nextAt) return this.schedule(e, e.nextAt);
    void this.fetch(e).catch(() => undefined);
  }
}

export interface CaSignerOptions {
  /** "host:port" or "unix:/path" of the control plane's gRPC port (15012). */
  address: string;
  credentials: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
  /** The node token, read at each request so a replaced token is picked up. Secret. */
  token: () => string;
  /** This node's name, for error messages. */
  node: string;
  /** Per-request deadline. Default 10 s. */
  timeoutMs?: number;
}

export type CertSigner = SignFunction & { close(): void };

/**
 * The `sign` function for WorkloadCertManager, on the control plane's CA: the node proxy asks on
 * behalf of a workload on its node by naming it under ImpersonatedIdentity, as ztunnel does
 * (src/identity/caclient.rs); the CA checks that the workload is scheduled on this node.
 */
export function caSigner(opts: CaSignerOptions): CertSigner {
  let client: CaClient | undefined; // created on first use, so a signer costs nothing until then
  const sign = (req: { identity: string; csrPem: string; ttlSeconds: number }): Promise<string[]> =>
    new Promise((resolve, reject) => {
      client ??= createCaClient(opts.address, opts.credentials, opts.channelOptions);
      const md = new grpc.Metadata();
      md.set("authorization", `Bearer ${opts.token()}`);
      client.CreateCertificate(
        {
          csr: req.csrPem,
          validityDuration: String(req.ttlSeconds),
          metadata: { fields: { [IMPERSONATED_IDENTITY_KEY]: { stringValue: req.identity } } },
        },
        md,
        { deadline: Date.now() + (opts.timeoutMs ?? 10_000) },
        (err, res) => {
          if (err) return reject(caError(err, opts, req.identity));
          const chain = res?.certChain ?? [];
          if (chain.length === 0) {
            return reject(
              new AmbitError(
                "CERT_REQUEST_FAILED",
                `the CA at ${opts.address} returned no certificate for ${req.identity}`,
              ),
            );
          }
          resolve(chain);
        },
      );
    });
  return Object.assign(sign, { close: () => client?.close() });
}

function caError(err: grpc.ServiceError, opts: CaSignerOptions, identity: string): AmbitError {
  const what = `certificate request for ${identity} to ${opts.address} failed: ${err.details || err.message}`;
  switch (err.code) {
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
      return new AmbitError(
        "CA_UNREACHABLE",
        what,
        `is the control plane running and reachable from node ${opts.node}?`,
      );
    case grpc.status.UNAUTHENTICATED:
      return new AmbitError(
        "CA_UNAUTHENTICATED",
        what,
        `the node token was not accepted; create one with \`ambit node-token create ${opts.node}\``,
      );
    case grpc.status.PERMISSION_DENIED:
      return new AmbitError(
        "CERT_REFUSED",
        what,
        `the CA issues certificates only for workloads scheduled on the caller's node; is this workload on ${opts.node}?`,
      );
    default:
      return new AmbitError("CERT_REQUEST_FAILED", what);
  }
}
