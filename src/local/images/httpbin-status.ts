/**
 * `/status/{codes}` as httpbin answers it: one code, or a comma-separated list of `code` or
 * `code:weight` from which one is drawn at random by weight ("200,500" is a fair coin,
 * "200:0.9,503:0.1" mostly 200). Some codes carry the headers httpbin adds to them (a Location
 * for redirects, an authentication challenge for 401/407). An unparsable list is a 400.
 */

export interface StatusReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  contentType?: string;
}

interface Choice {
  code: number;
  weight: number;
}

/** Parses "200", "200,500" or "200:0.9,503:0.1"; undefined when any part is invalid. */
export function parseStatusChoices(spec: string): Choice[] | undefined {
  const out: Choice[] = [];
  for (const part of spec.split(",")) {
    const [codeText, weightText] = part.split(":", 2);
    if (!/^\d{3}$/.test(codeText ?? "")) return undefined;
    const code = Number(codeText);
    if (code < 200 || code > 599) return undefined;
    const weight = weightText === undefined ? 1 : Number(weightText);
    if (!Number.isFinite(weight) || weight < 0) return undefined;
    out.push({ code, weight });
  }
  return out.length > 0 ? out : undefined;
}

/** Draws one code by weight; `random` is in [0, 1) (Math.random by default). */
export function chooseStatus(choices: readonly Choice[], random: () => number = Math.random): number {
  const total = choices.reduce((s, c) => s + c.weight, 0);
  if (total <= 0) return choices[0]!.code;
  let r = random() * total;
  for (const c of choices) {
    if (r < c.weight) return c.code;
    r -= c.weight;
  }
  return choices[choices.length - 1]!.code;
}

const TEAPOT = "\n    I'm a teapot (RFC 2324): short and stout.\n";

/** The reply httpbin sends for a chosen status code. */
export function statusReply(code: number): StatusReply {
  switch (code) {
    case 301:
    case 302:
    case 303:
    case 305:
    case 307:
      return { status: code, headers: { location: "/redirect/1" }, body: "" };
    case 401:
      return { status: code, headers: { "www-authenticate": 'Basic realm="Fake Realm"' }, body: "" };
    case 407:
      return { status: code, headers: { "proxy-authenticate": 'Basic realm="Fake Realm"' }, body: "" };
    case 418:
      return {
        status: code,
        headers: { "x-more-info": "http://tools.ietf.org/html/rfc2324" },
        body: TEAPOT,
        contentType: "text/plain",
      };
    default:
      return { status: code, headers: {}, body: "" };
  }
}
