/** Small, exact statistics for the benchmark: nearest-rank percentiles, medians and spreads. */

/** The nearest-rank percentile (the smallest value with at least p% of the values at or below it) of sorted values. */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0] as number;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  return {
    count: list.length,
    p50: percentileOfSorted(list, 50),
    p90: percentileOfSorted(list, 90),
    p99: percentileOfSorted(list, 99),
    max: list.length ? (list[list.length - 1] as number) : Number.NaN,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A value measured once per cycle: its median and the range it covered. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many cycles it is based on. */
  n: number;
}

export function spread(values: readonly number[]): Spread {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

/** (value - base) / base in percent; NaN when the base is missing or zero. */
export function changePct(value: number, base: number): number {
  if (!Number.isFinite(value) || !Number.isFinite(base) || base === 0) return Number.NaN;
  return ((value - base) / base) * 100;
}

/**
 * A variant's change against a baseline, computed within each cycle (both measured under the same
 * background) and then summarised across cycles. Cycles where either value is missing are skipped.
 */
export function overheadPerCycle(
  variant: ReadonlyMap<number, number>,
  baseline: ReadonlyMap<number, number>,
  change: (value: number, base: number) => number = changePct,
): Spread {
  const changes: number[] = [];
  for (const [cycle, value] of variant) {
    const base = baseline.get(cycle);
    if (base !== undefined) changes.push(change(value, base));
  }
  return spread(changes);
}

/** Throughput lost against a baseline, in percent (positive: fewer requests per second than the baseline). */
export function lossPct(value: number, base: number): number {
  const change = changePct(value, base);
  return change === 0 ? 0 : -change;
}
