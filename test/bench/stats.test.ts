import {
  changePct,
  lossPct,
  median,
  overheadPerCycle,
  percentileOfSorted,
  percentiles,
  spread,
} from "../../apps/bench/stats";

describe("percentiles (nearest rank)", () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  test("of 1..100 are the values themselves", () => {
    expect(percentiles(oneToHundred)).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
  });

  test("do not depend on the input order", () => {
    const shuffled = [...oneToHundred].sort((a, b) => ((a * 37) % 101) - ((b * 37) % 101));
    expect(percentiles(shuffled)).toEqual(percentiles(oneToHundred));
  });

  test("are always one of the measured values (no interpolation)", () => {
    expect(percentileOfSorted([10, 20, 30, 40], 50)).toBe(20);
    expect(percentileOfSorted([10, 20, 30, 40], 51)).toBe(30);
    expect(percentileOfSorted([10, 20, 30, 40], 99)).toBe(40);
    expect(percentileOfSorted([10, 20, 30, 40], 0)).toBe(10);
    expect(percentileOfSorted([10, 20, 30, 40], 100)).toBe(40);
  });

  test("p99 of ten values is the largest; of a single value is that value", () => {
    expect(percentiles([5, 1, 9, 3, 7, 2, 8, 4, 6, 10]).p99).toBe(10);
    expect(percentiles([42])).toEqual({ count: 1, p50: 42, p90: 42, p99: 42, max: 42 });
  });

  test("of nothing are NaN, with count 0", () => {
    const p = percentiles([]);
    expect(p.count).toBe(0);
    expect(p.p50).toBeNaN();
  });

  test("sort numerically, not as strings", () => {
    expect(percentiles([900, 1_000, 80]).p50).toBe(900);
  });
});

describe("median and spread", () => {
  test("median of odd and even counts", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  test("spread is median [min..max] of the finite values, with their count", () => {
    expect(spread([5, Number.NaN, 1, 3, Number.POSITIVE_INFINITY])).toEqual({ median: 3, min: 1, max: 5, n: 3 });
    expect(spread([])).toMatchObject({ n: 0 });
  });
});

describe("overhead against the baseline", () => {
  test("changePct and lossPct", () => {
    expect(changePct(110, 100)).toBeCloseTo(10);
    expect(changePct(90, 100)).toBeCloseTo(-10);
    expect(changePct(1, 0)).toBeNaN();
    expect(lossPct(75, 100)).toBeCloseTo(25);
    expect(lossPct(120, 100)).toBeCloseTo(-20);
    expect(Object.is(lossPct(100, 100), 0)).toBe(true);
  });

  test("is computed within each cycle, then summarised across cycles", () => {
    // the baseline drifts from cycle to cycle (background noise); the variant stays 10-30 % above it
    const baseline = new Map([
      [1, 100],
      [2, 200],
      [3, 150],
    ]);
    const variant = new Map([
      [1, 110],
      [2, 260],
      [3, 180],
    ]);
    const s = overheadPerCycle(variant, baseline);
    expect(s.n).toBe(3);
    expect(s.median).toBeCloseTo(20);
    expect(s.min).toBeCloseTo(10);
    expect(s.max).toBeCloseTo(30);
  });

  test("skips cycles the baseline does not have", () => {
    const s = overheadPerCycle(
      new Map([
        [1, 120],
        [2, 999],
      ]),
      new Map([[1, 100]]),
    );
    expect(s).toMatchObject({ n: 1 });
    expect(s.median).toBeCloseTo(20);
  });

  test("takes another measure of change, e.g. throughput lost", () => {
    const s = overheadPerCycle(new Map([[1, 600]]), new Map([[1, 800]]), lossPct);
    expect(s.median).toBeCloseTo(25);
  });
});
