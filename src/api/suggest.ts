/** "Did you mean" help for misspelled field names, kinds and enum values. */

/** Levenshtein distance, bounded work: inputs are field names, not documents. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `input`, if it is close enough to be a plausible typo: within a third
 * of the length (at least 2 edits), or equal ignoring case, or a case-insensitive prefix.
 */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  let bestRaw = Infinity;
  for (const c of candidates) {
    const cl = c.toLowerCase();
    const raw = editDistance(lower, cl);
    let score = raw;
    if (cl === lower) score = 0;
    else if (cl.startsWith(lower) || lower.startsWith(cl)) score = Math.min(score, 1);
    // Ties go to the smaller raw distance, so "HTTPS2" suggests "HTTPS", not the prefix "HTTP".
    if (score < bestScore || (score === bestScore && raw < bestRaw)) {
      bestScore = score;
      bestRaw = raw;
      best = c;
    }
  }
  const limit = Math.max(2, Math.floor(input.length / 3));
  return bestScore <= limit ? best : undefined;
}

/** ` (did you mean "x"?)` or "" */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const c = closest(input, candidates);
  return c === undefined ? "" : ` (did you mean "${c}"?)`;
}
