// Latency percentiles and per-interval counts: the two shapes every figure of the bench takes.

export interface Percentiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
}

/** The quantiles the report plots, with the key each is stored under. */
export const PLOTTED_QUANTILES: readonly [keyof Percentiles, number][] = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p99', 0.99],
  ['p999', 0.999],
  ['max', 1],
];

const round = (x: number): number => Math.round(x * 100) / 100;

/** Exact percentiles of a sample (nearest rank), in the sample's unit. */
export function percentiles(values: number[]): Percentiles {
  if (values.length === 0)
    return { count: 0, p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): number =>
    round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
    max: round(sorted[sorted.length - 1]!),
    mean: round(sum / sorted.length),
  };
}

/** Counts of events per fixed interval from `origin`, as a rate per second. */
export function ratePerSecond(
  times: number[],
  origin: number,
  end: number,
  intervalMs: number,
): number[] {
  const buckets = new Array<number>(Math.max(1, Math.ceil((end - origin) / intervalMs))).fill(0);
  for (const t of times) {
    const i = Math.floor((t - origin) / intervalMs);
    if (i >= 0 && i < buckets.length) buckets[i]!++;
  }
  return buckets.map((n) => round((n * 1000) / intervalMs));
}

/** Events per second between two times (whole events: a bench rate has no meaningful decimals). */
export const perSecond = (count: number, fromMs: number, toMs: number): number =>
  toMs > fromMs ? Math.round((count * 1000) / (toMs - fromMs)) : 0;
