/**
 * PEM (RFC 7468) framing: base64 DER between BEGIN/END lines. Only the framing lives here;
 * what the DER means is for x509-decode.ts and node:crypto.
 */
import { AmbitError } from "../common/errors.js";

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

export interface PemBlock {
  label: string;
  der: Buffer;
}

/** Every PEM block in `text`, in order. Text outside blocks (openssl's comments) is ignored. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const body = m[2]!.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) {
      throw new AmbitError("PEM_INVALID", `PEM block "${m[1]}" is not valid base64`);
    }
    out.push({ label: m[1]!, der: Buffer.from(body, "base64") });
  }
  return out;
}

export function pemEncode(label: string, der: Buffer): string {
  const b64 = der.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** DER of every CERTIFICATE block in a bundle (a chain file or a multi-root trust bundle). */
export function certificatesDer(text: string): Buffer[] {
  return pemBlocks(text)
    .filter((b) => b.label === "CERTIFICATE")
    .map((b) => b.der);
}
