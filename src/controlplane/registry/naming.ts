/**
 * Deterministic names for the pods a Deployment expands to, shaped like Kubernetes's:
 * "<deployment>-<pod-template-hash>-<5 chars>". Kubernetes hashes the pod template with FNV-1a
 * (32 bit) and spells the number with rand.SafeEncodeString's alphabet (no vowels, no 0/1/3, so
 * no words and no look-alikes); it draws the 5-char suffix at random. Here the suffix is derived
 * from the template hash and the replica index instead, so recomputing gives the same names and
 * an unchanged Deployment keeps its pods, while a changed template gives new ones (a rollout).
 */

// Kubernetes apimachinery util/rand: the characters SafeEncodeString maps bytes onto.
const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Each character of `text` replaced by the alphabet letter at (char code mod 27), as Kubernetes does. */
export function safeEncode(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) out += SAFE_ALPHABET[text.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/** JSON with object keys sorted, so equal values always hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The pod-template-hash label value of a template (up to 10 characters). */
export function podTemplateHash(template: unknown): string {
  return safeEncode(String(fnv32a(canonicalJson(template))));
}

/** A 5-character suffix derived from `seed` (27^5 values). */
export function podSuffix(seed: string): string {
  let n = fnv32a(seed);
  let out = "";
  for (let i = 0; i < 5; i++) {
    out += SAFE_ALPHABET[n % SAFE_ALPHABET.length];
    n = Math.floor(n / SAFE_ALPHABET.length);
  }
  return out;
}
