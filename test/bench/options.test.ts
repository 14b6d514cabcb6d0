import { estimateSeconds, parseOptions, UsageError } from "../../apps/bench/options";
import { VARIANT_NAMES } from "../../apps/bench/variants";

describe("benchmark flags", () => {
  test("defaults: a moderate fixed rate, short slices, several cycles, docs written", () => {
    const o = parseOptions([]);
    expect(o).toMatchObject({ rate: 100, sliceS: 2.5, cycles: 10, smoke: false, docs: true, outDir: undefined });
    expect(o.scenarios).toEqual(["orders", "mix"]);
    expect(o.saturation).toEqual({ connections: 16, sliceS: 3, cycles: 4, warmupSliceS: 1 });
  });

  test("the default run stays under twelve minutes", () => {
    expect(estimateSeconds(parseOptions([]), VARIANT_NAMES.length)).toBeLessThan(12 * 60);
  });

  test("--smoke: two cycles of 0.5 s slices, a small saturation run, and no docs", () => {
    const o = parseOptions(["--smoke"]);
    expect(o).toMatchObject({ smoke: true, sliceS: 0.5, cycles: 2, docs: false });
    expect(o.saturation).toMatchObject({ cycles: 1, sliceS: 0.5, connections: 4 });
    expect(estimateSeconds(o, VARIANT_NAMES.length)).toBeLessThan(90);
  });

  test("explicit flags win over the smoke settings", () => {
    expect(parseOptions(["--smoke", "--cycles", "3", "--rate", "50"])).toMatchObject({
      cycles: 3,
      rate: 50,
      smoke: true,
    });
  });

  test("every flag", () => {
    const o = parseOptions([
      "--rate=250",
      "--slice",
      "3",
      "--cycles",
      "6",
      "--scenarios",
      "mix",
      "--connections",
      "32",
      "--sat-slice",
      "2",
      "--sat-cycles",
      "0",
      "--scrape",
      "0",
      "--no-docs",
      "--out",
      "somewhere",
    ]);
    expect(o).toMatchObject({ rate: 250, sliceS: 3, cycles: 6, scenarios: ["mix"], scrapeIntervalS: 0, docs: false });
    expect(o.outDir).toBe("somewhere");
    expect(o.saturation).toMatchObject({ connections: 32, sliceS: 2, cycles: 0 });
  });

  test.each([
    [["--rate", "0"], /--rate must be a number from 1/],
    [["--rate", "fast"], /--rate/],
    [["--cycles", "2.5"], /--cycles must be an integer/],
    [["--slice", "0.05"], /--slice/],
    [["--scenarios", "orders,checkout"], /--scenarios/],
    [["--out", ""], /--out/],
    [["--unknown"], /Unknown option/],
    [["positional"], /positional/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(UsageError);
    expect(() => parseOptions(argv)).toThrow(message);
  });
});
