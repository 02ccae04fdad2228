/**
 * Reading Prometheus text exposition the way a scraper does, for tests that assert on what a
 * user's Prometheus would store.
 */

/** Labels of one sample line ("name{k="v",...} value"), or undefined if `line` is not a sample of `metric`. */
function parseSample(
  line: string,
  metric: string,
): { labels: Record<string, string>; value: number } | undefined {
  if (!line.startsWith(`${metric}{`)) return undefined;
  const close = line.lastIndexOf("}");
  const body = line.slice(metric.length + 1, close);
  const labels = Object.fromEntries(
    [...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? "", m[2] ?? ""]),
  );
  return { labels, value: Number(line.slice(close + 1).trim()) };
}

/** Every sample of `metric` whose labels include all of `match`. */
export function samples(
  text: string,
  metric: string,
  match: Record<string, string> = {},
): { labels: Record<string, string>; value: number }[] {
  return text
    .split("\n")
    .flatMap((line) => {
      const s = parseSample(line, metric);
      return s ? [s] : [];
    })
    .filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** The value of the one sample of `metric` matching `match`; undefined when none does. */
export function sample(text: string, metric: string, match: Record<string, string> = {}): number | undefined {
  const found = samples(text, metric, match);
  if (found.length > 1)
    throw new Error(`${found.length} samples of ${metric} match ${JSON.stringify(match)}`);
  return found[0]?.value;
}
