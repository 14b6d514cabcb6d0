import { parse } from "yaml";
import { dropList, dropRegex, jobSummaries, unusedMetrics, unusedSection } from "../../apps/cost/unused";
import { anchoredRegex } from "../../infra/preflight/checks/scraping/jobs";
import { metricReads } from "../../infra/queries/used-metrics";
import { dev, queriesOf, results, s } from "./builders";

const series = (name: string, job: string | undefined, count: number) =>
  s({ __name__: name, ...(job ? { job } : {}) }, count);

// 1000 series in all: order's 600 (three read, three not), Prometheus' own 150 (one read), 250 recorded or generated
const seriesByName = [
  series("http_server_request_duration_seconds_bucket", "order", 300),
  series("http_server_request_duration_seconds_count", "order", 20),
  series("http_server_request_duration_seconds_sum", "order", 20),
  series("nodejs_gc_duration_seconds_bucket", "order", 200),
  series("nodejs_heap_space_size_total_bytes", "order", 50),
  series("log_bytes_total", "order", 10),
  series("prometheus_http_requests_total", "prometheus", 100),
  series("prometheus_tsdb_head_series", "prometheus", 50),
  series("up", "order", 1),
  series("scrape_samples_scraped", "order", 1),
  series("service:http_server_requests:rate5m", undefined, 3),
  series("service:active_series:sum", "order", 245),
];
const reads = metricReads([
  {
    source: "rule",
    expr: "sum(rate(http_server_request_duration_seconds_bucket[5m])) / sum(rate(http_server_request_duration_seconds_count[5m]))",
  },
  { source: "rule", expr: "rate(log_bytes_total[5m])" },
  { source: "dashboard", expr: 'max({__name__="prometheus_tsdb_head_series"})' },
]);
const recorded = new Set(["service:http_server_requests:rate5m", "service:active_series:sum"]);
const intervals = new Map([
  ["order", 10],
  ["prometheus", 30],
]);

test("unused: scraped names no query reads, per job, largest first; samples/s = series ÷ the job's scrape interval", () => {
  expect(unusedMetrics(seriesByName, reads, recorded, intervals)).toEqual([
    { job: "order", name: "nodejs_gc_duration_seconds_bucket", series: 200, samplesPerSecond: 20 },
    { job: "prometheus", name: "prometheus_http_requests_total", series: 100, samplesPerSecond: 100 / 30 },
    { job: "order", name: "nodejs_heap_space_size_total_bytes", series: 50, samplesPerSecond: 5 },
    { job: "order", name: "http_server_request_duration_seconds_sum", series: 20, samplesPerSecond: 2 },
  ]);
});

test("never listed: what a query reads (by name or __name__), up and scrape_* (Prometheus writes them), recorded names, series without a job", () => {
  const listed = unusedMetrics(seriesByName, reads, recorded, intervals).map((u) => u.name);
  for (const name of [
    "http_server_request_duration_seconds_bucket",
    "prometheus_tsdb_head_series",
    "up",
    "scrape_samples_scraped",
    "service:active_series:sum",
    "service:http_server_requests:rate5m",
  ]) {
    expect(listed).not.toContain(name);
  }
});

test("a __name__ regex in a query protects every name it matches, anchored as Prometheus anchors it", () => {
  const byPattern = metricReads([{ source: "dashboard", expr: 'sum({__name__=~"nodejs_gc_.*"})' }]);
  const listed = unusedMetrics(seriesByName, byPattern, new Set(), intervals).map((u) => u.name);
  expect(listed).not.toContain("nodejs_gc_duration_seconds_bucket");
  expect(listed).toContain("nodejs_heap_space_size_total_bytes"); // "nodejs_gc_.*" does not match it
});

test("per job: unused count of the job's metrics, its series and samples/s (order: 270 of 600 series, 27 samples/s)", () => {
  const jobs = jobSummaries(seriesByName, unusedMetrics(seriesByName, reads, recorded, intervals));
  expect(
    jobs.map((j) => [j.job, j.unused.length, j.metrics, j.unusedSeries, j.series, j.unusedSamplesPerSecond]),
  ).toEqual([
    // order: 200 + 50 + 20 = 270 unused of 300+20+20+200+50+10+1+1+245 = 847 series; 20 + 5 + 2 = 27 samples/s
    ["order", 3, 9, 270, 847, 27],
    ["prometheus", 1, 2, 100, 150, 100 / 30],
  ]);
});

test("the drop list is a metricRelabelings entry whose anchored regex matches exactly the listed names", () => {
  const names = ["nodejs_heap_space_size_total_bytes", "nodejs_gc_duration_seconds_bucket"];
  const list = parse(dropList(names)) as {
    metricRelabelings: { sourceLabels: string[]; regex: string; action: string }[];
  };
  expect(list.metricRelabelings).toEqual([
    {
      sourceLabels: ["__name__"],
      regex: "nodejs_gc_duration_seconds_bucket|nodejs_heap_space_size_total_bytes",
      action: "drop",
    },
  ]);
  const regex = anchoredRegex(dropRegex(names)) as RegExp;
  expect(names.every((n) => regex.test(n))).toBe(true);
  // a longer or shorter name sharing a prefix stays
  expect(
    [
      "nodejs_gc_duration_seconds_bucket_extra",
      "nodejs_gc_duration_seconds",
      "nodejs_heap_space_size_total_bytes_x",
    ].some((n) => regex.test(n)),
  ).toBe(false);
});

describe("unused-metrics section (c)", () => {
  const q = queriesOf(dev);
  const loadedRules = { rules: { groups: 0, queries: [], records: new Set<string>() } };
  const inputs = { reads, recorded, loadedRules, intervals, unreadRecords: [], currency: "USD" };

  test("saving in money = Prometheus' monthly cost × the share of series dropped (0.1/h × 730 × 270/1000 = 19.71)", () => {
    const section = unusedSection(results({ seriesByName, prometheusHourly: [s({}, 0.1)] }), q, inputs, 10);
    expect(section.tables[0]?.rows).toEqual([
      ["order", "3 of 9", "270", "31.9 %", "27.0", "19.71 USD"],
      ["prometheus", "1 of 2", "100", "66.7 %", "3.3", "7.30 USD"],
    ]);
    const order = section.hints[0];
    expect(order?.advice).toBe("Drop the 3 metrics of job `order` nothing reads (its drop list below).");
    expect(order?.saving).toBe(
      "270 series (27.0 % of Prometheus' series), 27.0 samples/s, ≈ 19.71 USD a month of Prometheus' cost",
    );
    expect(order?.evidence).toEqual([
      `\`${q.seriesByName}\` = 270 series of job order in 3 unread metrics, of 1000 series in all`,
    ]);
    expect(section.code?.map((c) => c.text.split("\n")[0])).toEqual([
      "# job order: into the ServiceMonitor endpoint, PodMonitor or Probe that scrapes it",
      "# job prometheus: into the ServiceMonitor endpoint, PodMonitor or Probe that scrapes it",
    ]);
  });

  test("without a cost series for Prometheus the saving is in series only, and a note says why", () => {
    const section = unusedSection(results({ seriesByName }), q, inputs, 10);
    expect(section.tables[0]?.rows[0]?.[5]).toBe("—");
    expect(section.hints[0]?.saving).toBe("270 series (27.0 % of Prometheus' series), 27.0 samples/s");
    expect(section.notes.join(" ")).toContain("No cost series for Prometheus itself");
  });

  test("records nothing reads are listed with their series (245 of service:active_series:sum)", () => {
    const section = unusedSection(
      results({ seriesByName }),
      q,
      { ...inputs, unreadRecords: ["service:active_series:sum", "never:recorded:here"] },
      10,
    );
    const unread = section.hints.find((h) => h.advice.startsWith("Recording rules whose output nothing reads"));
    expect(unread?.advice).toContain("`service:active_series:sum`");
    expect(unread?.advice).not.toContain("never:recorded:here");
    expect(unread?.evidence).toEqual(['`count({__name__="service:active_series:sum"})` = 245']);
  });
});
