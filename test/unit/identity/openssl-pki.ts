/**
 * Test helper: an operator's PKI made with the openssl CLI (as an operator following Istio's
 * "Plug in CA Certificates" task would), and `openssl verify` as the real peer that judges
 * what Ambit issues. Not a test file itself.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type KeyKind = "ec" | "rsa";

export interface CertAndKey {
  certFile: string;
  keyFile: string;
  certPem: string;
}

const newKeyArgs = (kind: KeyKind): string[] =>
  kind === "rsa" ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

function openssl(args: string[], cwd?: string): string {
  return execFileSync("openssl", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export function makeRoot(dir: string, name: string, kind: KeyKind = "ec"): CertAndKey {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, `${name}-cert.pem`);
  const keyFile = join(dir, `${name}-key.pem`);
  openssl([
    "req",
    "-x509",
    ...newKeyArgs(kind),
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "3650",
    "-subj",
    `/O=Acme/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return { certFile, keyFile, certPem: readFileSync(certFile, "utf8") };
}

/** A CA (or, with `ca: false`, a leaf-like) certificate signed by `issuer`. */
export function makeSigned(
  dir: string,
  name: string,
  issuer: CertAndKey,
  opts: { kind?: KeyKind; ca?: boolean; days?: number } = {},
): CertAndKey {
  const certFile = join(dir, `${name}-cert.pem`);
  const keyFile = join(dir, `${name}-key.pem`);
  const csrFile = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  const ca = opts.ca ?? true;
  writeFileSync(
    extFile,
    ca
      ? "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n" +
          "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
      : "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n",
  );
  openssl([
    "req",
    "-new",
    ...newKeyArgs(opts.kind ?? "ec"),
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    csrFile,
    "-subj",
    `/O=Acme/CN=${name}`,
  ]);
  openssl([
    "x509",
    "-req",
    "-in",
    csrFile,
    "-CA",
    issuer.certFile,
    "-CAkey",
    issuer.keyFile,
    "-set_serial",
    `0x${randomBytes(8).toString("hex")}`,
    "-days",
    String(opts.days ?? 365),
    "-extfile",
    extFile,
    "-out",
    certFile,
  ]);
  return { certFile, keyFile, certPem: readFileSync(certFile, "utf8") };
}

/** Writes Istio's cacerts layout into `dir`. */
export function writeCacerts(dir: string, signing: CertAndKey, chain: string[], roots: string[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "ca-cert.pem"), signing.certPem);
  writeFileSync(join(dir, "ca-key.pem"), readFileSync(signing.keyFile, "utf8"), { mode: 0o600 });
  writeFileSync(join(dir, "cert-chain.pem"), chain.join(""));
  writeFileSync(join(dir, "root-cert.pem"), roots.join(""));
}

export interface VerifyResult {
  ok: boolean;
  output: string;
}

/**
 * `openssl verify -CAfile roots [-untrusted intermediates] -purpose ... leaf`, run against the
 * chain exactly as Ambit returned it (leaf first, root last).
 */
export function opensslVerify(
  dir: string,
  rootsPem: string,
  chain: string[],
  purpose: "sslclient" | "sslserver" = "sslclient",
): VerifyResult {
  const tag = randomBytes(4).toString("hex");
  const roots = join(dir, `verify-roots-${tag}.pem`);
  const leaf = join(dir, `verify-leaf-${tag}.pem`);
  const untrusted = join(dir, `verify-untrusted-${tag}.pem`);
  writeFileSync(roots, rootsPem);
  writeFileSync(leaf, chain[0]!);
  const intermediates = chain.slice(1, -1);
  const args = ["verify", "-CAfile", roots, "-purpose", purpose];
  if (intermediates.length > 0) {
    writeFileSync(untrusted, intermediates.join(""));
    args.push("-untrusted", untrusted);
  }
  args.push(leaf);
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}
