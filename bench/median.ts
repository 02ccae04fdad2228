/**
 * The median of a benchmark metric over its rounds: the middle value, the lower middle for an
 * even count (the L4 suite allows that; the control plane suite takes odd counts only).
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("no values to take the median of");
  const v = [...values].sort((a, b) => a - b);
  return v[Math.floor((v.length - 1) / 2)]!;
}
