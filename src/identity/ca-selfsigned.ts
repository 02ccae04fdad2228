/**
 * The self-signed root used when no plug-in CA is configured: created on first start, then
 * reused. Like istiod's self-signed CA (security/pkg/pki/ca/ca.go `NewSelfSignedIstioCAOptions`:
 * load the CA secret if present, otherwise generate and persist it), except that Ambit persists
 * to files: `<stateDir>/ca/root-cert.pem` and `<stateDir>/ca/ca-key.pem` (0600, directory 0700).
 * Defaults also follow istiod: 10-year root (SELF_SIGNED_CA_CERT_TTL), O=<trust domain>.
 * Ambit uses EC P-256 where istiod uses RSA 2048: smaller, faster, and what ztunnel uses.
 */
import { access } from "node:fs/promises";
import { join } from "node:path";
import { AmbitError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import {
  assembleMaterial,
  parseCertificates,
  parsePrivateKey,
  readRequiredFile,
  type CaMaterial,
} from "./ca-material.js";
import { writeFileAtomic } from "./files.js";
import { generateP256KeyPair } from "./keygen.js";
import { pemEncode } from "./pem.js";
import * as x509 from "./x509-encode.js";

export const ROOT_CERT_FILE = "root-cert.pem";
export const ROOT_KEY_FILE = "ca-key.pem";
const ROOT_TTL_MS = 10 * 365 * 24 * 3600 * 1000;
/** Backdating of the root itself, so peers with slow clocks accept it from the first second. */
const ROOT_BACKDATE_MS = 60 * 60 * 1000;

export function selfSignedCaDir(stateDir: string): string {
  return join(stateDir, "ca");
}

const exists = (f: string): Promise<boolean> =>
  access(f).then(
    () => true,
    () => false,
  );

export async function loadOrCreateSelfSignedCa(
  stateDir: string,
  trustDomain: string,
  now: Date,
  log: Logger,
): Promise<CaMaterial> {
  const dir = selfSignedCaDir(stateDir);
  const certFile = join(dir, ROOT_CERT_FILE);
  const keyFile = join(dir, ROOT_KEY_FILE);
  const [haveCert, haveKey] = await Promise.all([exists(certFile), exists(keyFile)]);
  if (haveCert !== haveKey) {
    // Never regenerate over half a CA: every issued certificate chains to the existing root.
    const missing = haveCert ? keyFile : certFile;
    throw new AmbitError(
      "CA_FILE_MISSING",
      `self-signed CA is incomplete: ${missing} is missing`,
      `restore it from backup, or move ${dir} away to create a new root (all workloads will then get new certificates)`,
    );
  }
  if (!haveCert) {
    await createRoot(certFile, keyFile, trustDomain, now);
    log.info({ certFile }, "created self-signed root CA");
  }
  const roots = parseCertificates(await readRequiredFile(certFile, "root certificate"), certFile);
  const key = parsePrivateKey(await readRequiredFile(keyFile, "root key"), keyFile);
  try {
    return assembleMaterial({
      signing: roots.slice(0, 1),
      key,
      keyFile,
      intermediates: [],
      roots: roots.slice(0, 1),
      now,
    });
  } catch (e) {
    if (e instanceof AmbitError && e.code === "CA_CERT_EXPIRED") {
      throw new AmbitError(e.code, e.message, `move ${dir} away to create a new root`, { cause: e });
    }
    throw e;
  }
}

async function createRoot(certFile: string, keyFile: string, trustDomain: string, now: Date): Promise<void> {
  const { privateKey, pkcs8Der, spkiDer: spki } = generateP256KeyPair();
  const name = x509.nameDer({ organization: trustDomain, commonName: "Ambit Root CA" });
  const keyId = x509.keyIdOfSpki(spki);
  const cert = x509.signCertificate(
    {
      serial: x509.randomSerial(),
      issuerDer: name,
      subjectDer: name,
      notBefore: new Date(now.getTime() - ROOT_BACKDATE_MS),
      notAfter: new Date(now.getTime() + ROOT_TTL_MS),
      spkiDer: spki,
      extensions: [
        x509.basicConstraints(true),
        x509.keyUsage([x509.KeyUsage.keyCertSign, x509.KeyUsage.cRLSign, x509.KeyUsage.digitalSignature]),
        x509.subjectKeyIdentifier(keyId),
      ],
    },
    x509.signerFor(privateKey),
  );
  // A crash between the two writes leaves a half CA, which the next start reports (see above).
  await writeFileAtomic(keyFile, pemEncode("PRIVATE KEY", pkcs8Der), 0o600);
  await writeFileAtomic(certFile, pemEncode("CERTIFICATE", cert), 0o644);
}
