import { analyze } from "../../apps/bench/analyze";
import { reportFileName } from "../../apps/bench/cli";
import { performanceMarkdown } from "../../apps/bench/docs";
import { parseOptions } from "../../apps/bench/options";
import { latencyChart, overheadChart } from "../../apps/bench/plots";
import type { RunResult, SliceRecord } from "../../apps/bench/run";
import { renderMarkdown, renderText } from "../../apps/bench/table";
import { formatPctSpread, reportTables } from "../../apps/bench/tables";
import { VARIANT_NAMES, type VariantName } from "../../apps/bench/variants";

function tinyRun(): RunResult {
  const records: SliceRecord[] = [];
  for (const cycle of [1, 2]) {
    for (const [i, variant] of VARIANT_NAMES.entries()) {
      const base = {
        cycle,
        variant,
        position: i,
        startS: 0,
        durationS: 1,
        activeCpuUs: 0,
        deferredCpuUs: 0,
        deferredS: 0,
        idleUsPerS: 3_000,
        answered: 10,
        ok: 10,
        errors: 0,
        errorSamples: [],
        logBytes: 1_000,
        exportBytes: 0,
        exports: 0,
        scraped: false,
        rssBytes: 2 ** 26,
      };
      const latency = Array.from({ length: 10 }, (_, k) => (k + 1) * 100 * (1 + i / 10));
      records.push({ ...base, phase: "orders", cpuUs: 10_000 * (1 + i / 10), latencyUs: { "POST /orders": latency } });
      records.push({
        ...base,
        phase: "mix",
        cpuUs: 5_000 * (1 + i / 10),
        latencyUs: { "POST /orders": latency, "GET /products": latency.map((x) => x / 2) },
      });
      records.push({ ...base, phase: "saturation", ok: 1_000 - i * 50, answered: 1_000 - i * 50, cpuUs: 900_000 });
    }
  }
  const scrapes = Object.fromEntries(VARIANT_NAMES.map((v) => [v, 1])) as Record<VariantName, number>;
  return { startedAt: "2025-03-04T05:06:07.890Z", finishedAt: "2025-03-04T05:12:07.890Z", records, scrapes };
}

const machine = {
  cpus: 2,
  cpuModel: "test cpu",
  memoryGiB: 4,
  node: "v24.0.0",
  platform: "linux x64",
  kernel: "6.1",
  loadAverageStart: [0.5, 0.4, 0.3],
  loadAverageEnd: [1, 0.9, 0.8],
};
const report = analyze(tinyRun(), { ...parseOptions([]), cycles: 2 }, machine);

describe("the report", () => {
  test("tables: each scenario, the mix per endpoint, saturation, tracing alone and the goals", () => {
    const titles = reportTables(report).map((t) => t.title);
    expect(titles).toEqual([
      expect.stringMatching(/^Fixed rate: orders/),
      expect.stringMatching(/^Fixed rate: mix — /),
      expect.stringMatching(/^Fixed rate: mix — p50 \/ p99/),
      expect.stringMatching(/^Saturation/),
      expect.stringMatching(/^Tracing alone/),
      expect.stringMatching(/^Where the overhead comes from/),
      expect.stringMatching(/^Goals/),
    ]);
    const text = reportTables(report).map(renderText).join("\n\n");
    for (const v of VARIANT_NAMES) expect(text).toContain(v);
    expect(text).toContain("≤ 10%");
  });

  test("text tables are aligned, markdown tables well-formed", () => {
    const table = {
      title: "T",
      headers: ["name", "value"],
      rows: [
        ["a", "1"],
        ["bbbb", "1,000"],
      ],
    };
    expect(renderText(table).split("\n")).toEqual(["T", "name  value", "----  -----", "a         1", "bbbb  1,000"]);
    expect(renderMarkdown({ ...table, rows: [["a|b", "1"]] })).toBe(
      "### T\n\n| name | value |\n| :-- | --: |\n| a\\|b | 1 |",
    );
  });

  test("overheads are printed as median [min..max] with signs", () => {
    expect(formatPctSpread({ median: 12.34, min: -1, max: 20, n: 3 })).toBe("+12.3% [−1.0..+20.0]");
    expect(formatPctSpread({ median: 0, min: 0, max: 0, n: 1 })).toBe("±0.0% [±0.0..±0.0]");
    expect(formatPctSpread(undefined)).toBe("–");
  });

  test("docs/performance.md: the tables, the plots, the method and the machine", () => {
    const md = performanceMarkdown(report);
    expect(md).toMatch(/^# Performance: what the telemetry costs/);
    expect(md).toContain("| variant | requests | errors |");
    expect(md.indexOf("### Goals")).toBeLessThan(md.indexOf("### Fixed rate"));
    expect(md).toContain("![CPU per request of each variant vs none](img/telemetry-overhead.png)");
    expect(md).toContain("![p50, p90 and p99 latency per variant](img/telemetry-latency.png)");
    expect(md).toContain("## Method");
    expect(md).toContain("OTEL_TRACES_SAMPLER_ARG=0.1");
    expect(md).toContain("2 cores (test cpu), 4 GiB memory");
    expect(md).toContain("Node v24.0.0");
    expect(md).toContain("0.5, 0.4, 0.3 at the start");
    expect(md).not.toMatch(/\/(home|tmp|work|root|Users)\//);
  });

  test("plot specifications carry every variant's numbers", () => {
    const overhead = overheadChart(report) as { data: { values: { variant: string; scenario: string }[] } };
    // every variant but none (the baseline) × two scenarios
    expect(overhead.data.values).toHaveLength((VARIANT_NAMES.length - 1) * 2);
    const latency = latencyChart(report) as { data: { values: { variant: string; percentile: string }[] } };
    expect(latency.data.values).toHaveLength(VARIANT_NAMES.length * 3 * 2); // three percentiles × two scenarios
  });

  test("the JSON file is named after the start time", () => {
    expect(reportFileName("2025-03-04T05:06:07.890Z")).toBe("telemetry-2025-03-04T05-06-07Z.json");
  });
});
