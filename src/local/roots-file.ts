/**
 * Local mode's counterpart of istiod's `istio-ca-root-cert` ConfigMap: the control plane's trust
 * bundle written to <state>/local/roots.pem, which every node proxy follows (`ambit ztunnel
 * --roots`, src/ztunnel/roots-file.ts). istiod's namespace controller rewrites that ConfigMap
 * whenever its CA bundle changes (pilot/pkg/serviceregistry/kube/controller/namespacecontroller.go,
 * fed by the keycertbundle watcher); here the file is rewritten on every CA reload.
 *
 * The file is replaced atomically (write a temporary file, rename it over), so a proxy never
 * reads half a bundle.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { errorText } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { CertificateAuthority } from "../identity/index.js";

export function rootsFileText(roots: readonly string[]): string {
  return `${roots.map((r) => r.trimEnd()).join("\n")}\n`;
}

/** Writes `roots` to `file` unless it already holds exactly that; true when it wrote. */
export function writeRootsFile(file: string, roots: readonly string[]): boolean {
  const text = rootsFileText(roots);
  try {
    if (readFileSync(file, "utf8") === text) return false;
  } catch {
    // absent or unreadable: write it
  }
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, file);
  return true;
}

/**
 * Writes the CA's trust bundle now and again after every reload of the CA; returns the function
 * that stops following it.
 */
export function publishRoots(
  ca: Pick<CertificateAuthority, "trustBundle" | "onChange">,
  file: string,
  log: Logger,
): () => void {
  writeRootsFile(file, ca.trustBundle());
  return ca.onChange(() => {
    try {
      if (writeRootsFile(file, ca.trustBundle()))
        log.info({ file, roots: ca.trustBundle().length }, "trust bundle changed; roots file rewritten");
    } catch (e) {
      log.error(
        { file, error: errorText(e) },
        "could not rewrite the roots file; node proxies keep the previous trust bundle",
      );
    }
  });
}
