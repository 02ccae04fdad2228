/**
 * Small TLS helpers shared by the certificate manager and HBONE: reading a workload
 * certificate's identity and validity, and building (cached) OpenSSL contexts for mutual TLS 1.3.
 *
 * Identities are read from the certificate's URI SANs with the project's DER reader rather than
 * from Node's `subjectaltname` text, so a comparison is exact byte for byte (ztunnel compares
 * parsed SPIFFE identities the same way: src/tls/workload.rs `IdentityVerifier::verify_full_san`).
 */
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { createSecureContext, type SecureContext } from "node:tls";
import { AmbitError } from "../common/errors.js";
import { certificatesDer, pemEncode } from "../identity/pem.js";
import { readCertificate, subjectAltNames } from "../identity/x509-decode.js";
import type { WorkloadCert } from "./certs.js";

/** URI SANs of a DER certificate; empty when it has none or cannot be parsed. */
export function uriSans(certDer: Buffer): string[] {
  try {
    return subjectAltNames(readCertificate(certDer).extensions).uris;
  } catch {
    return [];
  }
}

/**
 * Checks what a CA returned for `identity` and turns it into a WorkloadCert: the leaf carries
 * exactly that URI SAN, matches our key, and chains (through the returned intermediates) to a
 * root of the trust bundle. A CA that answers with something else is treated as a failed fetch.
 */
export function workloadCertFrom(
  identity: string,
  keyPem: string,
  chainPem: readonly string[],
  trustBundle: readonly string[],
): WorkloadCert {
  const fail = (why: string) =>
    new AmbitError(
      "CERT_INVALID_FROM_CA",
      `the CA answered for ${identity} with an unusable certificate: ${why}`,
      "check that the node proxy and the control plane agree on the trust domain and root certificate",
    );
  const pems = chainPem.flatMap((p) => splitPem(p));
  if (pems.length === 0) throw fail("the certificate chain is empty");
  const certs = pems.map((p) => new X509Certificate(p));
  const leaf = certs[0]!;
  if (!uriSans(leaf.raw).includes(identity))
    throw fail(`its URI SAN is ${uriSans(leaf.raw).join(",") || "missing"}`);
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw fail("the private key does not parse");
  }
  if (!leaf.checkPrivateKey(key)) throw fail("it does not match the key this node generated");
  const roots = trustBundle.flatMap((p) => splitPem(p)).map((p) => new X509Certificate(p));
  if (!chainsToRoot(certs, roots)) throw fail("it does not chain to the trust bundle");
  return {
    identity,
    keyPem,
    chainPem: pems,
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    serial: leaf.serialNumber.toLowerCase(),
  };
}

/**
 * The roots that came with a CA answer: its self-signed certificates. istiod appends its whole
 * root-cert.pem to `cert_chain`, one certificate per entry (security/pkg/server/ca/server.go
 * CreateCertificate), and ztunnel verifies peers against the roots at the end of the chain
 * (src/tls/certificate.rs `WorkloadCertificate::new`: "the last one is the root", possibly
 * several). Ambit's CA ends the chain with the root that anchors it. Taking the self-signed
 * certificates, not blindly the last entry, never makes an intermediate a trust anchor.
 */
export function rootsInChain(chainPem: readonly string[]): string[] {
  const out: string[] = [];
  for (const pem of chainPem.flatMap((p) => splitPem(p))) {
    let c: X509Certificate;
    try {
      c = new X509Certificate(pem);
    } catch {
      continue;
    }
    if (c.ca && c.checkIssued(c) && c.verify(c.publicKey) && !out.includes(pem)) out.push(pem);
  }
  return out;
}

/** One PEM string per certificate (a CA may return a concatenated bundle in one entry). */
export function splitPem(text: string): string[] {
  return certificatesDer(text).map((der) => pemEncode("CERTIFICATE", der));
}

function chainsToRoot(chain: readonly X509Certificate[], roots: readonly X509Certificate[]): boolean {
  // Walk leaf -> issuer, using the chain's own intermediates, until a trust bundle root signs.
  let cur = chain[0]!;
  for (let hop = 0; hop < chain.length + 1; hop++) {
    const root = roots.find((r) => cur.checkIssued(r) && cur.verify(r.publicKey));
    if (root) return true;
    const next = chain.find((c) => c !== cur && cur.checkIssued(c) && cur.verify(c.publicKey));
    if (!next) return false;
    cur = next;
  }
  return false;
}

/** What a TLS endpoint sends: the leaf and intermediates, not the roots the peer already has. */
export function presentedChain(cert: WorkloadCert, trustBundle: readonly string[]): string {
  const roots = new Set(trustBundle.flatMap((p) => splitPem(p)));
  return cert.chainPem.filter((p, i) => i === 0 || !roots.has(p)).join("");
}

/**
 * OpenSSL contexts are built once per (certificate, trust bundle) and reused: parsing the key
 * and the roots costs more than a TLS 1.3 handshake's own crypto on small machines. The bundle is
 * part of the key, so a rotated trust bundle (trust-bundle.ts) gets fresh contexts on the next
 * connection while established connections keep theirs; contexts of an old bundle age out.
 */
export class SecureContextCache {
  // "<serial>|<bundle>" -> context; Map order = insertion order, the oldest is evicted first.
  private readonly cache = new Map<string, SecureContext>();

  constructor(private readonly max = 256) {}

  get(cert: WorkloadCert, trustBundle: readonly string[]): SecureContext {
    const bundle = trustBundle.join("");
    const key = `${cert.identity}|${cert.serial}|${bundle}`;
    let ctx = this.cache.get(key);
    if (!ctx) {
      ctx = createSecureContext({
        key: cert.keyPem,
        cert: presentedChain(cert, trustBundle),
        ca: bundle,
        // HBONE is TLS 1.3 only (ztunnel src/tls/lib.rs: TLS_VERSIONS_13_ONLY unless TLS 1.2 is
        // explicitly enabled for compliance).
        minVersion: "TLSv1.3",
        maxVersion: "TLSv1.3",
      });
      if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, ctx);
    }
    return ctx;
  }
}
