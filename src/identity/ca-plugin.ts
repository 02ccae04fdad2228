/**
 * Operator-provided ("plug-in") CA from a directory laid out like Istio's `cacerts` secret
 * (istio.io docs "Plug in CA Certificates"; pilot/pkg/bootstrap/istio_ca.go):
 *
 *   ca-cert.pem     signing certificate, usually an intermediate
 *   ca-key.pem      its private key (RSA or EC)
 *   root-cert.pem   trust anchor(s); several roots during a root rotation
 *   cert-chain.pem  chain from ca-cert.pem up to the root (the root itself may be included)
 *
 * As in istiod (`checkCABundleCompleteness`), all four files are required: a partial bundle is
 * an error, never a silent fallback to another CA.
 */
import { join } from "node:path";
import {
  assembleMaterial,
  parseCertificates,
  parsePrivateKey,
  readRequiredFile,
  type CaMaterial,
} from "./ca-material.js";

export const PLUGIN_FILES = {
  signingCert: "ca-cert.pem",
  signingKey: "ca-key.pem",
  rootCert: "root-cert.pem",
  certChain: "cert-chain.pem",
} as const;

const LAYOUT_HINT =
  "a plug-in CA directory holds ca-cert.pem, ca-key.pem, root-cert.pem and cert-chain.pem (Istio's cacerts layout)";

export async function loadPluginCa(dir: string, now: Date): Promise<CaMaterial> {
  const file = (name: string): string => join(dir, name);
  const [certText, keyText, rootText, chainText] = await Promise.all([
    readRequiredFile(file(PLUGIN_FILES.signingCert), "plug-in CA signing certificate", LAYOUT_HINT),
    readRequiredFile(file(PLUGIN_FILES.signingKey), "plug-in CA key", LAYOUT_HINT),
    readRequiredFile(file(PLUGIN_FILES.rootCert), "plug-in CA root certificate", LAYOUT_HINT),
    readRequiredFile(file(PLUGIN_FILES.certChain), "plug-in CA certificate chain", LAYOUT_HINT),
  ]);
  return assembleMaterial({
    signing: parseCertificates(certText, file(PLUGIN_FILES.signingCert)),
    key: parsePrivateKey(keyText, file(PLUGIN_FILES.signingKey)),
    keyFile: file(PLUGIN_FILES.signingKey),
    intermediates: parseCertificates(chainText, file(PLUGIN_FILES.certChain)),
    roots: parseCertificates(rootText, file(PLUGIN_FILES.rootCert)),
    now,
  });
}
