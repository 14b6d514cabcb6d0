import { alwaysKeptShare, logSection, samplingFor, samplingSection, volumeSection } from "../../apps/cost/telemetry";
import { dev, prod, queriesOf, results, s } from "./builders";

describe("the sampling percentage for a span budget", () => {
  test("400 spans/s, 20 % always kept, budget 120: (120/400 − 0.2) / 0.8 = 12.5 %, keeping 400 × (0.2 + 0.8 × 0.125) = 120", () => {
    const { percentage, kept, feasible } = samplingFor(400, 0.2, 120);
    expect([percentage, feasible]).toEqual([12.5, true]);
    expect(kept).toBeCloseTo(120, 10);
  });

  test("rounded down to 0.1 %, so the kept rate stays under the budget: 400, 20 %, budget 121 → 12.8 % (12.8125 exact)", () => {
    const { percentage, kept } = samplingFor(400, 0.2, 121);
    expect(percentage).toBe(12.8);
    expect(kept).toBeCloseTo(400 * (0.2 + 0.8 * 0.128), 10); // 120.96
    expect(kept).toBeLessThanOrEqual(121);
  });

  test("received within the budget needs no sampling (100 %); failed and slow traces alone over it cannot be met (0 %)", () => {
    expect(samplingFor(100, 0.2, 150)).toEqual({ percentage: 100, kept: 100, feasible: true });
    // 400 × 0.5 = 200 spans/s kept whatever the percentage, over a budget of 150
    expect(samplingFor(400, 0.5, 150)).toEqual({ percentage: 0, kept: 200, feasible: false });
  });

  test("always-kept share = (failed + slow) ÷ all, capped at 1; no traffic is unknown", () => {
    expect(alwaysKeptShare(10, 1, 9)).toBeCloseTo(0.2, 12); // (1 + (10 − 9)) / 10
    expect(alwaysKeptShare(10, undefined, 10)).toBe(0);
    expect(alwaysKeptShare(10, 8, 2)).toBe(1); // 8 + 8 = 16 > 10: a slow error counted twice, capped
    expect(alwaysKeptShare(10, 0, 10.2)).toBe(0); // a young bucket's rate read above its count: not −2 %
    expect(alwaysKeptShare(0, 0, 0)).toBeUndefined();
    expect(alwaysKeptShare(undefined)).toBeUndefined();
  });
});

describe("trace sampling section (f)", () => {
  const q = queriesOf(prod);
  const input = results(
    {
      spansReceivedPerSecond: [s({ service_name: "order" }, 300), s({ service_name: "user" }, 100)],
      spansKeptPerSecond: [s({ service_name: "order" }, 110), s({ service_name: "user" }, 40)],
      requests: [s({}, 10)],
      errorRequests: [s({}, 1)],
      fastRequests: [s({}, 9)],
    },
    prod,
  );

  test("with --trace-budget 120: set 12.5 % (prod now 10), 150 − 120 = 30 spans/s fewer, evidence from each query", () => {
    const section = samplingSection(input, q, prod, 120);
    expect(section.hints).toHaveLength(1);
    expect(section.hints[0]?.advice).toBe(
      "Set traces.samplingPercentage to 12.5 (now 10): about 120 spans/s kept, under the budget of 120.",
    );
    expect(section.hints[0]?.saving).toBe("30.0 spans/s fewer than the 150 kept now");
    expect(section.hints[0]?.evidence).toEqual([
      `\`${q.spansReceivedPerSecond}\` = 400 spans/s`,
      `\`${q.requests}\` = 10.0/s`,
      `\`${q.errorRequests}\` = 1.0/s`,
      `\`${q.fastRequests}\` = 9.0/s`,
      `\`${q.spansKeptPerSecond}\` = 150 spans/s kept now`,
    ]);
    expect(section.tables[0]?.rows.find((r) => r[0] === "always-kept share")?.[1]).toBe("20.0 %");
  });

  test("a budget under what failed and slow traces alone keep (400 × 20 % = 80 > 50): no percentage, said with the numbers", () => {
    const [hint] = samplingSection(input, q, prod, 50).hints;
    expect(hint?.advice).toBe(
      "No percentage keeps 50.0 spans/s: failed and slow traces alone are 80.0 spans/s (20.0 % of 400). Fix the errors and the latency, or raise the budget.",
    );
    expect(hint?.saving).toBe("at 0 %: 80.0 spans/s kept, 70.0 spans/s fewer than now");
  });

  test("without --trace-budget: the inputs and a note how to ask, no hint; without span data: a plain note", () => {
    const noBudget = samplingSection(input, q, prod);
    expect(noBudget.hints).toEqual([]);
    expect(noBudget.notes).toEqual([
      "Give --trace-budget <spans/s> for the percentage that keeps the kept spans under it.",
    ]);
    const noSpans = samplingSection(results({}, prod), q, prod, 120);
    expect(noSpans.hints).toEqual([]);
    expect(noSpans.notes[0]).toContain("No span rate");
  });
});

describe("telemetry volume (d)", () => {
  const q = queriesOf(dev);

  test("each column reads its record when present, else the raw metric (per job), and the notes say which", () => {
    const section = volumeSection(
      results({
        activeSeries: [s({ service_name: "order" }, 1200)],
        rawActiveSeries: [s({ job: "user" }, 999)],
        samplesPerSecond: [s({ service_name: "order" }, 240)],
        rawLogBytesPerSecond: [s({ service_name: "order" }, 2048), s({ service_name: "user" }, 512)],
      }),
      q,
    );
    expect(section.tables[0]?.rows).toEqual([
      ["order", "1200", "240", "2.0 KiB/s", "—", "—"],
      ["user", "—", "—", "512 B/s", "—", "—"],
    ]);
    expect(section.notes).toEqual([
      `active series: \`${q.activeSeries}\`.`,
      `samples/s: \`${q.samplesPerSecond}\`.`,
      `log bytes/s: \`${q.rawLogBytesPerSecond}\` (raw: the record is absent).`,
      `spans/s received: no data (\`${q.spansReceivedPerSecond}\` nor \`${q.rawSpansReceivedPerSecond}\`).`,
      `spans/s kept: no data (\`${q.spansKeptPerSecond}\`).`,
    ]);
  });
});

describe("noisiest log producers (e)", () => {
  // prod keeps 10 % of traces; with access lines not sampled, 90 % of order's access bytes could go
  const unsampled = { ...prod, logs: { ...prod.logs, sampleAccessLogs: false } };
  const q = queriesOf(unsampled);
  const input = results({
    logBytesPerSecond: [s({ service_name: "user" }, 1024), s({ service_name: "order" }, 2048)],
    accessLogBytesPerSecond: [s({ service_name: "order" }, 1536)],
  });

  test("largest first with bytes per day (2048 × 86400 = 168.75 MiB), share of all and the access lines' share", () => {
    const section = logSection(input, q, unsampled, 10);
    expect(section.tables[0]?.rows).toEqual([
      ["order", "2.0 KiB", "168.8 MiB", "66.7 %", "75.0 %"],
      ["user", "1.0 KiB", "84.4 MiB", "33.3 %", "—"],
    ]);
  });

  test("the hint for the noisiest: sampling its access lines (75 % of 2048 B/s) at 10 % saves 1536 × 0.9 × 86400 B = 113.9 MiB a day", () => {
    const [hint] = logSection(input, q, unsampled, 10).hints;
    expect(hint?.advice).toContain("order writes the most logs: 168.8 MiB a day, 66.7 % of all.");
    expect(hint?.advice).toContain("Set logs.sampleAccessLogs: true");
    expect(hint?.saving).toBe(
      "up to 113.9 MiB a day (its bytes × the access lines' share × 90 %; errors and slow requests stay)",
    );
    expect(hint?.evidence).toEqual([
      `\`${q.logBytesPerSecond}\` = 2.0 KiB/s for order`,
      `\`${q.accessLogBytesPerSecond}\` = 1.5 KiB/s of access lines (75.0 %)`,
    ]);
  });

  test("services that wrote nothing in the window: a note, no table and no hint (no 0 ÷ 0 share)", () => {
    const quiet = logSection(results({ logBytesPerSecond: [s({ service_name: "order" }, 0)] }), q, unsampled, 10);
    expect([quiet.tables, quiet.hints]).toEqual([[], []]);
    expect(quiet.notes).toEqual([`No log bytes written over the last 300 s (\`${q.logBytesPerSecond}\` is 0).`]);
  });

  test("the access share compares raw with raw (same window) when the raw total is there, capped at 100 %", () => {
    const mixed = results({
      logBytesPerSecond: [s({ service_name: "order" }, 2048)],
      rawLogBytesPerSecond: [s({ service_name: "order" }, 3072)],
      accessLogBytesPerSecond: [s({ service_name: "order" }, 1536)],
    });
    expect(logSection(mixed, q, unsampled, 10).tables[0]?.rows[0]?.[4]).toBe("50.0 %"); // 1536 / 3072
    const young = results({
      logBytesPerSecond: [s({ service_name: "order" }, 1000)],
      accessLogBytesPerSecond: [s({ service_name: "order" }, 1100)],
    });
    expect(logSection(young, q, unsampled, 10).tables[0]?.rows[0]?.[4]).toBe("100.0 %");
  });

  test("prod as configured (access lines already sampled) does not suggest sampling them again", () => {
    const [hint] = logSection(input, queriesOf(prod), prod, 10).hints;
    expect(hint?.advice).not.toContain("sampleAccessLogs");
    expect(hint?.saving).toBe(
      "access lines are already sampled at 10 %; a lower traces.samplingPercentage lowers them further",
    );
  });
});
