import { ServiceMetrics } from "../../apps/lib/metrics";
import { bucketQuantile, parseExposition, serviceStage, snapshot } from "../../apps/loadtest/service-metrics";
import { HTTP_DURATION_BUCKETS, LABELS, METRICS } from "../../contract";

const H = METRICS.serverDuration;
const BOUNDS = [...HTTP_DURATION_BUCKETS.map(String), "+Inf"];

/** One histogram series in prom-client's layout, from cumulative counts per bound (the last one is +Inf). */
function series(route: string, status: number, cumulative: number[]): string {
  const labels = `service_name="order",${LABELS.method}="GET",${LABELS.route}="${route}",${LABELS.status}="${status}"`;
  return [
    ...BOUNDS.map((le, i) => `${H}_bucket{le="${le}",${labels}} ${cumulative[i] ?? cumulative.at(-1)}`),
    `${H}_sum{${labels}} 1.5`,
    `${H}_count{${labels}} ${cumulative.at(-1)}`,
  ].join("\n");
}

/** Cumulative counts per HTTP_DURATION_BUCKETS bound (+Inf last) from "n observations at or under bound". */
function cumulativeOf(placed: Record<string, number>): number[] {
  let total = 0;
  return BOUNDS.map((le) => (total += placed[le] ?? 0));
}

function exposition(parts: {
  api: number[];
  errors?: number[];
  probes?: number[];
  cpu: number;
  rss: number;
  logBytes: number;
}) {
  return [
    "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.",
    "# TYPE process_cpu_seconds_total counter",
    `process_cpu_seconds_total{service_name="order"} ${parts.cpu}`,
    `process_resident_memory_bytes{service_name="order"} ${parts.rss}`,
    `nodejs_heap_size_used_bytes{service_name="order"} ${parts.rss / 4}`,
    `${METRICS.logBytes}{log_kind="access",service_name="order"} ${parts.logBytes}`,
    `${METRICS.logBytes}{log_kind="event",service_name="order"} 100`,
    `# TYPE ${H} histogram`,
    series("/orders/:id", 200, parts.api),
    series("/orders/:id", 503, parts.errors ?? [0]),
    series("/healthz", 200, parts.probes ?? [0]),
    "",
  ].join("\n");
}

describe("reading /metrics", () => {
  test("parses names, labels (escapes included), ±Inf, NaN (prom-client writes Nan) and values; skips comments and blank lines", () => {
    const samples = parseExposition(
      [
        "# HELP x a metric",
        'x{a="1",b="say \\"hi\\"\\n",c="back\\\\slash"} 2.5',
        "",
        'y_bucket{le="+Inf"} 7',
        "z 3 1700000000000",
        "w{} -Inf",
        'lag{service_name="product"} Nan',
      ].join("\n"),
    );
    expect(samples).toEqual([
      { name: "x", labels: { a: "1", b: 'say "hi"\n', c: "back\\slash" }, value: 2.5 },
      { name: "y_bucket", labels: { le: "+Inf" }, value: 7 },
      { name: "z", labels: {}, value: 3 },
      { name: "w", labels: {}, value: Number.NEGATIVE_INFINITY },
      { name: "lag", labels: { service_name: "product" }, value: Number.NaN },
    ]);
  });

  test.each([
    ['x{a="1"', /line 1 .*unterminated label set/],
    ["x{a=1} 2", /label without a quoted value/],
    ["x", /no value/],
    ["x{} abc", /no numeric value/],
  ])("refuses the malformed line %j, naming it", (line, message) => {
    expect(() => parseExposition(line)).toThrow(message);
  });

  test("reads what prom-client renders for the services' own metrics", async () => {
    const metrics = new ServiceMetrics("product", { defaultMetrics: true });
    metrics.observeServer("GET", "/products", 200, 0.003);
    metrics.observeServer("GET", "/products/:id", 500, 0.3);
    metrics.observeServer("GET", "/metrics", 200, 0.001);
    const { body } = await metrics.render("text/plain");
    const snap = snapshot(parseExposition(body));
    expect(snap).toMatchObject({ requests: 2, errors5xx: 1 });
    expect(snap.buckets.get(0.005)).toBe(1);
    expect(snap.buckets.get(0.5)).toBe(2);
    expect(snap.buckets.get(Number.POSITIVE_INFINITY)).toBe(2);
    expect(snap.cpuSeconds).toBeGreaterThan(0);
    expect(snap.rssBytes).toBeGreaterThan(0);
    expect(snap.heapUsedBytes).toBeGreaterThan(0);
    expect(snap.series).toBe(body.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#")).length);
  });

  test("a snapshot counts API requests only (probes and scrapes excluded) and 5xx among them", () => {
    const snap = snapshot(
      parseExposition(exposition({ api: [4, 10], errors: [0, 2], probes: [50], cpu: 1, rss: 100, logBytes: 900 })),
    );
    expect(snap.requests).toBe(12);
    expect(snap.errors5xx).toBe(2);
    expect(snap.buckets.get(0.005)).toBe(4);
    expect(snap.buckets.get(Number.POSITIVE_INFINITY)).toBe(12);
    expect(snap.logBytes).toBe(1_000);
  });
});

describe("the 99th percentile from histogram buckets", () => {
  const hist = (entries: [number, number][]) => new Map(entries);

  test("is the upper bound of the bucket holding the nearest-rank 99th observation", () => {
    // 100 observations: 90 ≤ 5 ms, 8 more ≤ 10 ms, 1 more ≤ 25 ms, 1 more ≤ 50 ms. Rank 99 → the 25 ms bucket.
    const h = hist([
      [0.005, 90],
      [0.01, 98],
      [0.025, 99],
      [0.05, 100],
      [Number.POSITIVE_INFINITY, 100],
    ]);
    expect(bucketQuantile(h, 99)).toBe(0.025);
    expect(bucketQuantile(h, 50)).toBe(0.005);
    expect(bucketQuantile(h, 100)).toBe(0.05);
  });

  test("at the edge: exactly 990 of 1000 at or under 100 ms gives 100 ms; 989 gives the next bucket", () => {
    const inf = Number.POSITIVE_INFINITY;
    expect(
      bucketQuantile(
        hist([
          [0.1, 990],
          [0.25, 1_000],
          [inf, 1_000],
        ]),
        99,
      ),
    ).toBe(0.1);
    expect(
      bucketQuantile(
        hist([
          [0.1, 989],
          [0.25, 1_000],
          [inf, 1_000],
        ]),
        99,
      ),
    ).toBe(0.25);
  });

  test("is Infinity in the +Inf bucket and null without observations", () => {
    const inf = Number.POSITIVE_INFINITY;
    expect(
      bucketQuantile(
        hist([
          [10, 98],
          [inf, 100],
        ]),
        99,
      ),
    ).toBe(inf);
    expect(
      bucketQuantile(
        hist([
          [10, 0],
          [inf, 0],
        ]),
        99,
      ),
    ).toBeNull();
    expect(bucketQuantile(new Map(), 99)).toBeNull();
  });
});

describe("one service over a stage (bucket deltas)", () => {
  const options = { durationS: 10, latencyThresholdSeconds: 0.5 };

  test("requests, 5xx, p99, fast share, CPU, memory, series and log bytes from two scrapes", () => {
    // before: 100 API requests, all ≤ 5 ms. During the stage: 200 more, of which 190 ≤ 5 ms, 7 ≤ 0.5 s,
    // 3 ≤ 1 s (2 of those are 503s); and 40 probes, which must not count.
    const before = exposition({ api: cumulativeOf({ "0.005": 100 }), cpu: 2, rss: 1_000, logBytes: 10_000 });
    const after = exposition({
      api: cumulativeOf({ "0.005": 290, "0.5": 7, "1": 1 }),
      errors: cumulativeOf({ "1": 2 }),
      probes: cumulativeOf({ "0.005": 40 }),
      cpu: 2.5,
      rss: 3_000,
      logBytes: 60_000,
    });
    const { stage, p99AboveBuckets } = serviceStage(
      snapshot(parseExposition(before)),
      snapshot(parseExposition(after)),
      options,
    );
    expect(p99AboveBuckets).toBe(false);
    expect(stage).toEqual({
      processes: 1,
      requests: 200,
      requestsPerSecond: 20,
      errors5xx: 2,
      // rank ceil(0.99 × 200) = 198: 190 ≤ 5 ms, 197 ≤ 0.5 s, 200 ≤ 1 s → the 1 s bucket
      p99Seconds: 1,
      fastShare: 197 / 200,
      cpuSeconds: 0.5,
      cpuSecondsPerRequest: 0.5 / 200,
      rssBytes: 3_000,
      activeSeries: parseExposition(after).length,
      logBytesPerRequest: 50_000 / 200,
    });
  });

  test("without requests: null p99, fast share and per-request numbers, zero counts", () => {
    const same = snapshot(
      parseExposition(exposition({ api: cumulativeOf({ "0.005": 5 }), cpu: 1, rss: 9, logBytes: 1 })),
    );
    const { stage } = serviceStage(same, same, options);
    expect(stage).toMatchObject({
      requests: 0,
      errors5xx: 0,
      p99Seconds: null,
      fastShare: null,
      cpuSecondsPerRequest: null,
      logBytesPerRequest: null,
    });
  });

  test("a p99 beyond the largest finite bucket is null and flagged, not mistaken for 'no requests'", () => {
    const before = snapshot(parseExposition(exposition({ api: [0], cpu: 1, rss: 1, logBytes: 0 })));
    const after = snapshot(
      parseExposition(exposition({ api: cumulativeOf({ "0.005": 90, "+Inf": 10 }), cpu: 2, rss: 1, logBytes: 0 })),
    );
    const { stage, p99AboveBuckets } = serviceStage(before, after, options);
    expect([stage.requests, stage.p99Seconds, p99AboveBuckets]).toEqual([100, null, true]);
  });

  test("an exposition without process_cpu_seconds_total gives no CPU per request, not 0 ms (it is not measured)", () => {
    const withoutCpu = (api: number[]) =>
      snapshot(
        parseExposition(exposition({ api, cpu: 0, rss: 1, logBytes: 0 })).filter(
          (sample) => sample.name !== "process_cpu_seconds_total",
        ),
      );
    const { stage } = serviceStage(withoutCpu([0]), withoutCpu(cumulativeOf({ "0.005": 50 })), options);
    expect([stage.requests, stage.cpuSecondsPerRequest]).toEqual([50, null]);
  });

  test("a restarted process (counters went down) counts from zero instead of going negative", () => {
    const before = snapshot(
      parseExposition(exposition({ api: cumulativeOf({ "0.005": 500 }), cpu: 30, rss: 1, logBytes: 9_000 })),
    );
    const after = snapshot(
      parseExposition(exposition({ api: cumulativeOf({ "0.005": 20 }), cpu: 0.4, rss: 1, logBytes: 2_000 })),
    );
    expect(serviceStage(before, after, options).stage).toMatchObject({
      requests: 20,
      cpuSeconds: 0.4,
      logBytesPerRequest: 105,
    });
  });

  test("a latency threshold that is not a bucket boundary is an error, not a silent 0", () => {
    const before = snapshot(parseExposition(exposition({ api: [0], cpu: 1, rss: 1, logBytes: 0 })));
    const after = snapshot(
      parseExposition(exposition({ api: cumulativeOf({ "0.005": 3 }), cpu: 1, rss: 1, logBytes: 0 })),
    );
    expect(() => serviceStage(before, after, { durationS: 1, latencyThresholdSeconds: 0.3 })).toThrow(
      /no histogram bucket at the SLO latency threshold \(0.3 s\)/,
    );
  });
});
