/**
 * The CA's signing material, validated as one unit: signing certificate + key, the chain from
 * the signing certificate up to a trust anchor, and the trust bundle. Both the self-signed root
 * and an operator's plug-in CA end up here, so they pass the same checks.
 *
 * Checks follow what istiod does for plug-in certs (security/pkg/pki/util/keycertbundle.go
 * `verify` and security/pkg/pki/ca/ca.go `NewPluggedCertIstioCAOptions`): the signing cert
 * verifies to root-cert.pem through cert-chain.pem, the key matches the cert, and the cert is a
 * CA. Errors name the file at fault, because the operator fixes files, not structures.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { AmbitError } from "../common/errors.js";
import { certificatesDer, pemEncode } from "./pem.js";
import { KeyUsage, keyIdOfSpki, signerFor, type Signer } from "./x509-encode.js";
import { keyUsageBits, readCertificate, rethrowMalformed, subjectKeyId } from "./x509-decode.js";

export interface LoadedCert {
  der: Buffer;
  x509: X509Certificate;
  /** File it came from, for error messages. */
  file: string;
}

export interface CaMaterial {
  signer: Signer;
  signingCert: LoadedCert;
  /** Raw DER of the signing cert's subject: the issuer of everything we sign. */
  issuerDer: Buffer;
  /** Key identifier of the signing key, for the AuthorityKeyIdentifier of issued certs. */
  authorityKeyId: Buffer;
  /** PEMs following a leaf in a response: signing cert, intermediates, then the anchor root. */
  chainPems: string[];
  /** Every root in the trust bundle (root-cert.pem may hold several during a root rotation). */
  trustBundlePems: string[];
  /** Earliest expiry along the chain: nothing we issue may outlive it. */
  notAfter: Date;
}

const MAX_CHAIN_DEPTH = 8;

export async function readRequiredFile(file: string, what: string, hint?: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new AmbitError("CA_FILE_MISSING", `${what} file ${file} does not exist`, hint, { cause: e });
    }
    throw new AmbitError(
      "CA_FILE_UNREADABLE",
      `cannot read ${what} file ${file}: ${code ?? String(e)}`,
      undefined,
      {
        cause: e,
      },
    );
  }
}

export function parseCertificates(text: string, file: string): LoadedCert[] {
  let ders: Buffer[];
  try {
    ders = certificatesDer(text);
  } catch (e) {
    throw new AmbitError("CA_FILE_INVALID", `${file} is not valid PEM`, undefined, { cause: e });
  }
  if (ders.length === 0) {
    throw new AmbitError("CA_FILE_INVALID", `${file} contains no PEM "CERTIFICATE" block`);
  }
  return ders.map((der, i) => {
    try {
      return { der, x509: new X509Certificate(der), file };
    } catch (e) {
      throw new AmbitError(
        "CA_FILE_INVALID",
        `certificate #${i + 1} in ${file} cannot be parsed`,
        undefined,
        {
          cause: e,
        },
      );
    }
  });
}

export function parsePrivateKey(text: string, file: string): KeyObject {
  if (/ENCRYPTED/.test(text)) {
    throw new AmbitError(
      "CA_KEY_INVALID",
      `${file} holds an encrypted private key`,
      "provide the key unencrypted, readable only by Ambit (mode 0600)",
    );
  }
  try {
    return createPrivateKey({ key: text, format: "pem" });
  } catch (e) {
    throw new AmbitError("CA_KEY_INVALID", `${file} does not contain a PEM private key`, undefined, {
      cause: e,
    });
  }
}

const describe = (c: LoadedCert): string => `"${c.x509.subject.replace(/\n/g, ", ")}" (${c.file})`;

function checkValidity(c: LoadedCert, now: Date): void {
  const from = new Date(c.x509.validFrom);
  const to = new Date(c.x509.validTo);
  if (now < from) {
    throw new AmbitError(
      "CA_CERT_NOT_YET_VALID",
      `certificate ${describe(c)} is not valid before ${from.toISOString()}`,
    );
  }
  if (now > to) {
    throw new AmbitError("CA_CERT_EXPIRED", `certificate ${describe(c)} expired at ${to.toISOString()}`);
  }
}

function checkIsCa(c: LoadedCert, role: string): void {
  let bits: Set<number> | undefined;
  try {
    bits = keyUsageBits(readCertificate(c.der).extensions);
  } catch (e) {
    rethrowMalformed(e, "CA_FILE_INVALID", `certificate ${describe(c)} has malformed extensions`);
  }
  if (!c.x509.ca || (bits && !bits.has(KeyUsage.keyCertSign))) {
    throw new AmbitError(
      "CA_CERT_NOT_CA",
      `${role} ${describe(c)} is not a CA certificate (basicConstraints CA:TRUE and keyUsage keyCertSign required)`,
      "the signing certificate must be a CA (usually an intermediate issued by your root)",
    );
  }
}

const issuedBy = (child: LoadedCert, parent: LoadedCert): boolean =>
  child.x509.checkIssued(parent.x509) && child.x509.verify(parent.x509.publicKey);

export interface MaterialInput {
  signing: LoadedCert[]; // first is the signing cert; extra certs act as intermediates
  key: KeyObject;
  keyFile: string;
  intermediates: LoadedCert[];
  roots: LoadedCert[];
  now: Date;
}

/** Validates and assembles; throws AmbitError naming the offending file. */
export function assembleMaterial(input: MaterialInput): CaMaterial {
  const [signing, ...extra] = input.signing;
  if (!signing) throw new AmbitError("CA_FILE_INVALID", "no signing certificate");
  checkIsCa(signing, "signing certificate");
  if (!signing.x509.checkPrivateKey(input.key)) {
    throw new AmbitError(
      "CA_KEY_MISMATCH",
      `private key ${input.keyFile} does not match certificate ${signing.file}`,
      "ca-key.pem must be the key of the certificate in ca-cert.pem",
    );
  }
  let signer: Signer;
  try {
    signer = signerFor(input.key);
  } catch (e) {
    throw new AmbitError(
      "CA_KEY_UNSUPPORTED",
      `${input.keyFile}: ${(e as Error).message}`,
      (e as AmbitError).hint,
    );
  }
  for (const r of input.roots) checkIsCa(r, "root certificate");

  // Walk up from the signing cert until a root of the trust bundle issues the current cert.
  const pool = [...extra, ...input.intermediates];
  const path: LoadedCert[] = [];
  let current = signing;
  let anchor: LoadedCert | undefined;
  for (let depth = 0; depth <= MAX_CHAIN_DEPTH && !anchor; depth++) {
    anchor = input.roots.find((r) => r.der.equals(current.der) || issuedBy(current, r));
    if (anchor) break;
    const selfSigned = issuedBy(current, current);
    const parent = selfSigned
      ? undefined
      : pool.find((p) => !path.includes(p) && p !== current && issuedBy(current, p));
    if (selfSigned) {
      throw new AmbitError(
        "CA_CHAIN_INVALID",
        `${signing.file} chains to root ${describe(current)}, which is not in ${input.roots[0]?.file ?? "the root bundle"}`,
        "root-cert.pem must hold the root that issued your intermediate (add it next to any other roots)",
      );
    }
    if (!parent) {
      const files = [...new Set([signing.file, ...input.intermediates.map((c) => c.file)])].join(", ");
      throw new AmbitError(
        "CA_CHAIN_INVALID",
        `certificate ${describe(current)} is not issued by any certificate in ${input.roots[0]?.file ?? "the root bundle"} ` +
          `(searched ${files})`,
        "cert-chain.pem must hold the intermediates from ca-cert.pem up to a root in root-cert.pem",
      );
    }
    checkIsCa(parent, "intermediate certificate");
    path.push(current);
    current = parent;
  }
  if (!anchor)
    throw new AmbitError(
      "CA_CHAIN_INVALID",
      `chain from ${describe(signing)} is longer than ${MAX_CHAIN_DEPTH}`,
    );
  if (!anchor.der.equals(current.der)) path.push(current);
  for (const c of [...path, anchor]) checkValidity(c, input.now);

  const fields = readCertificate(signing.der);
  const notAfter = new Date(Math.min(...[...path, anchor].map((c) => Date.parse(c.x509.validTo))));
  return {
    signer,
    signingCert: signing,
    issuerDer: fields.subjectDer,
    authorityKeyId: subjectKeyId(fields.extensions) ?? keyIdOfSpki(fields.spkiDer),
    chainPems: [...path, anchor].map((c) => pemEncode("CERTIFICATE", c.der)),
    trustBundlePems: input.roots.map((c) => pemEncode("CERTIFICATE", c.der)),
    notAfter,
  };
}
