import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";
import { runCli } from "../../apps/cost/cli";
import { httpPrometheus, type Sample } from "../../apps/cost/prometheus";
import { gatherResults } from "../../apps/cost/report";
import { dropList, type UnusedMetric, unusedMetrics } from "../../apps/cost/unused";
import { type MonitoringStack, startMonitoringStack } from "../../apps/demo/monitoring-stack";
import { COST_RECORDS, LABELS, LOG_KINDS, METRICS } from "../../contract";
import { alertmanagerConfig } from "../../infra/alerting/alertmanager";
import { KPS_POD_OWNER_RECORD } from "../../infra/alerting/cost-rules";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { loadStackConfig } from "../../infra/config/stack-file";
import { stackDashboards } from "../../infra/dashboards/dashboards";
import { namespaces, PLATFORM_SERVICES } from "../../infra/platform/naming";
import { reportQueries } from "../../infra/queries/cost-report-queries";
import { projectReads, recordedNames, toolQueries } from "../../infra/queries/used-metrics";
import { tableRows } from "../docs/markdown";
import { freePort, waitFor } from "../support/http";
import { type ServiceProcess, startAll, stopAll } from "../support/services";
import { toolAvailable } from "../support/tools";
import { E2E_ADMIN_TOKEN, orderLoad } from "./live-support";

/*
 * `npm run cost-report`'s analyses against real Prometheus servers: (1) the unused-metrics analysis on a
 * Prometheus scraping the three real services with the dev stack's rules, and on one that also loads a rule file
 * outside the project's rule set (as a cluster's loads kube-prometheus-stack's own); (2) the whole report, end to end,
 * on a Prometheus whose TSDB holds recorded cost series backfilled with promtool, against a hand calculation.
 */

const ready = toolAvailable("prometheus") && toolAvailable("prometheus-alertmanager") && toolAvailable("promtool");
const describeLive = ready ? describe : describe.skip;

const config = loadStackConfig("dev");
const ns = namespaces(config);
const groups = ruleGroupsFor(config, ns);

/** A bare Prometheus on a loopback port: the given config, the given TSDB folder. */
async function startPrometheus(dir: string, promConfig: object) {
  const port = await freePort();
  writeFileSync(path.join(dir, "prometheus.yaml"), stringify(promConfig));
  const logs: string[] = [];
  const child: ChildProcess = spawn(
    "prometheus",
    [
      `--config.file=${path.join(dir, "prometheus.yaml")}`,
      `--storage.tsdb.path=${path.join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.on("data", (c) => logs.push(String(c)));
  child.stderr?.on("data", (c) => logs.push(String(c)));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  await waitFor(
    "Prometheus to be ready",
    async () => {
      if (child.exitCode !== null) throw new Error(logs.join(""));
      return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
    },
    30_000,
  );
  return { url, stop };
}

/** Metrics the stack reads that the scrapes of the test's Prometheus must hold. */
const READ_METRICS = [
  `${METRICS.serverDuration}_bucket`,
  `${METRICS.serverDuration}_count`,
  METRICS.logBytes,
  "process_cpu_seconds_total",
  "prometheus_tsdb_head_series",
];

/** Whether a name appears as a whole metric name anywhere in a text (a rule, a dashboard's JSON, a tool's query). */
const mentions = (text: string, name: string) => new RegExp(`(?<![\\w:])${name}(?![\\w:])`).test(text);

describeLive("live (1): metrics the real services expose that no rule, dashboard or tool of the project reads", () => {
  let services: Record<"order" | "product" | "user", ServiceProcess>;
  let stack: MonitoringStack;
  let load: ReturnType<typeof orderLoad>;
  let seriesByName: Sample[];
  let unused: UnusedMetric[];

  beforeAll(async () => {
    services = await startAll({ ADMIN_TOKEN: E2E_ADMIN_TOKEN, OTEL_SDK_DISABLED: "true", LOG_LEVEL: "warn" });
    stack = await startMonitoringStack({
      targets: Object.fromEntries(Object.entries(services).map(([name, p]) => [name, `127.0.0.1:${p.port}`])),
      namespaces: ns,
      rules: groups,
      alertmanagerConfig: alertmanagerConfig({}),
    });
    // some traffic, so the request and log counters exist as they would in a cluster
    load = orderLoad({ order: services.order.url, product: services.product.url, user: services.user.url }, () => 5);
    await waitFor(
      "every service's request series",
      async () =>
        (await stack.query(`count by (job) (${METRICS.serverDuration}_count)`)).length === 3 ? true : undefined,
      30_000,
    );
    // and every metric the last test expects, Prometheus' own included: its self-scrape may lag the services'
    await waitFor(
      "the metrics the stack reads",
      async () =>
        (await stack.query(`group by (__name__) ({__name__=~"${READ_METRICS.join("|")}"})`)).length ===
        READ_METRICS.length
          ? true
          : undefined,
      30_000,
    );
    const client = httpPrometheus(stack.prometheusUrl);
    const queries = reportQueries(config, ns);
    const results = await gatherResults(client, queries);
    seriesByName = results.seriesByName;
    unused = unusedMetrics(
      seriesByName,
      projectReads(config, groups, queries),
      recordedNames(groups),
      await client.scrapeIntervals(),
    );
  }, 90_000);

  afterAll(async () => {
    await load?.stop();
    await stack?.stop();
    await stopAll(services ?? {});
  }, 60_000);

  const listed = (job: string) => unused.filter((u) => u.job === job).map((u) => u.name);

  test("lists prom-client's metrics nothing reads for each service, and Prometheus' own HTTP metrics for its job", () => {
    for (const job of ["order", "product", "user"]) {
      expect(listed(job)).toEqual(
        expect.arrayContaining([
          "nodejs_gc_duration_seconds_bucket",
          "nodejs_heap_size_total_bytes",
          "nodejs_active_handles",
          "process_open_fds",
        ]),
      );
    }
    expect(listed(PLATFORM_SERVICES.prometheus.name)).toContain("prometheus_http_requests_total");
    // samples/s from the 1 s scrape interval of the job: one sample per series per second
    const gc = unused.find((u) => u.job === "order" && u.name === "nodejs_gc_duration_seconds_bucket") as UnusedMetric;
    expect(gc.samplesPerSecond).toBe(gc.series);
  });

  test("lists no metric any rule, dashboard or tool mentions (a plain text search, independent of the parser)", () => {
    const texts = [
      ...groups.flatMap((g) => g.rules.map((r) => r.expr)),
      ...stackDashboards(config).map((d) => JSON.stringify(d.json)),
      ...toolQueries(groups, ns.apps, config.responder.holdWhenServicesBurning).map((q) => q.expr),
      ...Object.values(reportQueries(config, ns)),
    ];
    expect(unused.length).toBeGreaterThan(20);
    const mentioned = [...new Set(unused.map((u) => u.name))].filter((name) => texts.some((t) => mentions(t, name)));
    expect(mentioned).toEqual([]);
  });

  test("metrics the stack reads are in Prometheus and not listed: the services' histograms and counters, their CPU, Prometheus' head series", () => {
    const present = new Set(seriesByName.map((s) => s.labels.__name__));
    const read = READ_METRICS;
    for (const name of read) expect(present.has(name)).toBe(true);
    expect(unused.filter((u) => read.includes(u.name))).toEqual([]);
  });

  test("order's drop list, applied by a second real Prometheus, removes exactly its listed metrics and keeps every other", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cost-drop-"));
    const relabel = (parse(dropList(listed("order"))) as { metricRelabelings: Record<string, unknown>[] })
      .metricRelabelings[0] as { sourceLabels: string[]; regex: string; action: string };
    const dropping = await startPrometheus(dir, {
      global: { scrape_interval: "1s" },
      scrape_configs: [
        {
          job_name: "order",
          static_configs: [{ targets: [`127.0.0.1:${services.order.port}`] }],
          // the operator's metricRelabelings in Prometheus' own spelling
          metric_relabel_configs: [
            { source_labels: relabel.sourceLabels, regex: relabel.regex, action: relabel.action },
          ],
        },
      ],
    });
    try {
      const namesThere = async () =>
        (await httpPrometheus(dropping.url).query('count by (__name__) ({job="order"})')).map(
          (s) => s.labels.__name__ as string,
        );
      const kept = await waitFor(
        "the order scrape",
        async () => ((await namesThere()).includes("up") ? await namesThere() : undefined),
        30_000,
      );
      const before = seriesByName.filter((s) => s.labels.job === "order").map((s) => s.labels.__name__ as string);
      // what the first Prometheus scraped from order (not what its rules and alerts wrote), minus the drop list
      const recorded = recordedNames(groups);
      const expected = before.filter(
        (n) => !listed("order").includes(n) && !recorded.has(n) && !n.startsWith("ALERTS"),
      );
      expect(kept.filter((n) => listed("order").includes(n))).toEqual([]);
      expect(expected.filter((n) => !kept.includes(n))).toEqual([]);
    } finally {
      await dropping.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("a rule file loaded in a real Prometheus that is not the project's (an alert and a record reading nodejs_active_handles, process_open_fds) takes them off the report's list", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cost-loaded-"));
    const ruleFiles = [path.join(dir, "project-rules.yaml"), path.join(dir, "other-rules.yaml")];
    const other = {
      name: "someone-elses",
      rules: [
        { alert: "NodejsHandlesLeaking", expr: "max by (job) (nodejs_active_handles) > 100000" },
        { record: "job:process_open_fds:max", expr: "max by (job) (process_open_fds)" },
      ],
    };
    writeFileSync(ruleFiles[0] as string, stringify({ groups }));
    writeFileSync(ruleFiles[1] as string, stringify({ groups: [other] }));
    const loading = await startPrometheus(dir, {
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      rule_files: ruleFiles,
      scrape_configs: [
        {
          job_name: "order",
          static_configs: [{ targets: [`127.0.0.1:${services.order.port}`], labels: { namespace: ns.apps } }],
        },
      ],
    });
    try {
      // the record exists once order was scraped and the extra group evaluated
      await waitFor(
        "the extra rule file's record",
        async () =>
          (await httpPrometheus(loading.url).query(other.rules[1]?.record as string)).length > 0 ? true : undefined,
        30_000,
      );
      const out = path.join(dir, "out");
      const io = { stdout: "", stderr: "" };
      const code = await runCli(["--prometheus", loading.url, "--stack", "dev", "--out", out, "--top", "1000"], {
        io: { out: (t) => (io.stdout += t), err: (t) => (io.stderr += t) },
      });
      expect([code, io.stderr]).toEqual([0, expect.stringContaining("cost-report: wrote")]);
      const md = readFileSync(path.join(out, readdirSync(out)[0] as string), "utf8");
      const orderListed = tableUnder(md, "Largest unused metrics")
        .filter((row) => row[1] === "order")
        .map((row) => row[0]);
      // the first Prometheus, with the project's rules alone, lists both inputs
      expect(listed("order")).toEqual(expect.arrayContaining(["nodejs_active_handles", "process_open_fds"]));
      for (const name of ["nodejs_active_handles", "process_open_fds", "job:process_open_fds:max"]) {
        expect(orderListed).not.toContain(name);
      }
      // what no rule reads is still listed
      expect(orderListed).toEqual(
        expect.arrayContaining(["nodejs_gc_duration_seconds_bucket", "nodejs_heap_size_total_bytes"]),
      );
      const projectRules = groups.reduce((sum, g) => sum + g.rules.length, 0);
      expect(md).toContain(
        `Counted as readers: the ${projectRules + 2} rules in ${groups.length + 1} groups loaded in Prometheus.`,
      );
    } finally {
      await loading.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

/*
 * Recorded input: two hours of the cost, right-sizing and telemetry records at one sample a minute up to now,
 * plus the raw series the report reads itself (running pods, the services' request and log counters), in the
 * OpenMetrics text promtool backfills from.
 */
const APPS = ns.apps;
const PLATFORM = ns.platform;
const MIB = 2 ** 20;
const HISTORY_MINUTES = 120;

interface Series {
  name: string;
  labels: Record<string, string>;
  /** Value at `t` seconds before now. */
  at: (secondsAgo: number) => number;
}
const gauge = (name: string, labels: Record<string, string>, value: number): Series => ({
  name,
  labels,
  at: () => value,
});
/** A counter growing at `perSecond` (started long before the history). */
const counter = (name: string, labels: Record<string, string>, perSecond: number): Series => ({
  name,
  labels,
  at: (ago) => perSecond * (10 * 3600 - ago),
});

const R = COST_RECORDS;
const container = (workload: string) => ({ namespace: APPS, workload, container: workload });
const request = (status: string) => ({
  namespace: APPS,
  [LABELS.service]: "order",
  [LABELS.route]: "/orders",
  [LABELS.status]: status,
});
const FIXTURE: Series[] = [
  gauge(R.environmentHourly, { environment: "dev" }, 0.25),
  gauge(R.teamHourly, { environment: "dev", team: "platform" }, 0.2),
  gauge(R.teamHourly, { environment: "dev", team: "shop" }, 0.05),
  gauge(R.workloadHourly, { namespace: APPS, workload: "order", cost_scope: "workload", resource: "cpu" }, 0.02),
  gauge(R.workloadHourly, { namespace: APPS, workload: "order", cost_scope: "workload", resource: "memory" }, 0.01),
  gauge(
    R.workloadHourly,
    { namespace: PLATFORM, workload: "prometheus-kps-prometheus", cost_scope: "platform", resource: "cpu" },
    0.1,
  ),
  gauge(
    R.workloadHourly,
    { namespace: PLATFORM, workload: "prometheus-kps-prometheus", cost_scope: "platform", resource: "memory" },
    0.02,
  ),
  gauge(R.scopeHourly, { environment: "dev", cost_scope: "workload" }, 0.05),
  gauge(R.scopeHourly, { environment: "dev", cost_scope: "platform" }, 0.2),
  gauge(R.scopeHourly, { environment: "dev", cost_scope: "idle" }, 0.1),
  gauge(R.monthToDate, { environment: "dev" }, 60),
  gauge(R.monthForecast, { environment: "dev" }, 160),
  gauge(R.cpuRequestCores, { ...container("order"), resource: "cpu" }, 0.5),
  gauge(R.cpuRecommendedCores, { ...container("order"), resource: "cpu" }, 0.12),
  gauge(R.memoryRequestBytes, { ...container("order"), resource: "memory" }, 512 * MIB),
  gauge(R.memoryRecommendedBytes, { ...container("order"), resource: "memory" }, 256 * MIB),
  // two running pods of order (and a finished one the count must not see)
  gauge(KPS_POD_OWNER_RECORD, { namespace: APPS, workload: "order", pod: "order-a" }, 1),
  gauge(KPS_POD_OWNER_RECORD, { namespace: APPS, workload: "order", pod: "order-b" }, 1),
  gauge(KPS_POD_OWNER_RECORD, { namespace: APPS, workload: "order", pod: "order-c" }, 1),
  gauge("kube_pod_status_phase", { namespace: APPS, pod: "order-a", phase: "Running" }, 1),
  gauge("kube_pod_status_phase", { namespace: APPS, pod: "order-b", phase: "Running" }, 1),
  gauge("kube_pod_status_phase", { namespace: APPS, pod: "order-c", phase: "Running" }, 0),
  gauge("kube_pod_status_phase", { namespace: APPS, pod: "order-c", phase: "Succeeded" }, 1),
  gauge(R.activeSeries, { namespace: APPS, [LABELS.service]: "order" }, 1200),
  gauge(R.samplesPerSecond, { namespace: APPS, [LABELS.service]: "order" }, 240),
  gauge(R.logBytesPerSecond, { namespace: APPS, [LABELS.service]: "order" }, 2048),
  gauge(R.logBytesPerSecond, { namespace: APPS, [LABELS.service]: "user" }, 1024),
  gauge(R.spansReceivedPerSecond, { namespace: APPS, [LABELS.service]: "order" }, 300),
  gauge(R.spansReceivedPerSecond, { namespace: APPS, [LABELS.service]: "user" }, 100),
  gauge(R.spansKeptPerSecond, { namespace: APPS, [LABELS.service]: "order" }, 110),
  gauge(R.spansKeptPerSecond, { namespace: APPS, [LABELS.service]: "user" }, 40),
  // order's requests: 9/s answered 200, all under 0.5 s; 1/s answered 500, slower
  counter(`${METRICS.serverDuration}_count`, request("200"), 9),
  counter(`${METRICS.serverDuration}_count`, request("500"), 1),
  counter(`${METRICS.serverDuration}_bucket`, { ...request("200"), le: "0.5" }, 9),
  counter(`${METRICS.serverDuration}_bucket`, { ...request("500"), le: "0.5" }, 0),
  counter(METRICS.logBytes, { namespace: APPS, [LABELS.service]: "order", [LABELS.logKind]: LOG_KINDS.access }, 1536),
  counter(METRICS.logBytes, { namespace: APPS, [LABELS.service]: "order", [LABELS.logKind]: LOG_KINDS.event }, 512),
  // a scraped metric nothing reads: 4 series of job order
  ...["a", "b", "c", "d"].map((space) => gauge("nodejs_heap_space_size_total_bytes", { job: "order", space }, 1e6)),
];

function openMetrics(series: Series[], nowSeconds: number): string {
  const families = new Map<string, Series[]>();
  for (const s of series) families.set(s.name, [...(families.get(s.name) ?? []), s]);
  const lines: string[] = [];
  for (const [name, list] of families) {
    lines.push(`# TYPE ${name} gauge`);
    for (const s of list) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(",");
      for (let m = HISTORY_MINUTES; m >= 0; m--)
        lines.push(`${name}{${labels}} ${s.at(m * 60)} ${nowSeconds - m * 60}`);
    }
  }
  return `${lines.join("\n")}\n# EOF\n`;
}

/** The rows of the Markdown table under a `### <title…>` heading. */
function tableUnder(md: string, title: string): string[][] {
  const start = md.indexOf(`### ${title}`);
  if (start < 0) throw new Error(`no table "${title}" in the report`);
  const rest = md.slice(start).split("\n").slice(2);
  const end = rest.findIndex((l) => !l.startsWith("|"));
  return tableRows(rest.slice(0, end).join("\n"));
}

describeLive("live (2): npm run cost-report end to end on recorded cost series (promtool backfill)", () => {
  let dir: string;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>>;
  let outcome: { code: number; stdout: string; stderr: string };
  let md: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cost-report-"));
    const now = Math.floor(Date.now() / 1000);
    writeFileSync(path.join(dir, "input.om"), openMetrics(FIXTURE, now));
    const backfill = spawnSync(
      "promtool",
      ["tsdb", "create-blocks-from", "openmetrics", path.join(dir, "input.om"), path.join(dir, "tsdb")],
      { encoding: "utf8" },
    );
    if (backfill.status !== 0) throw new Error(`promtool backfill failed: ${backfill.stdout}${backfill.stderr}`);
    // no scrape jobs: the TSDB holds only the recorded input
    prometheus = await startPrometheus(dir, { global: { scrape_interval: "15s" }, scrape_configs: [] });
    const out = path.join(dir, "out");
    outcome = { code: 0, stdout: "", stderr: "" };
    outcome.code = await runCli(
      ["--prometheus", prometheus.url, "--stack", "dev", "--out", out, "--trace-budget", "120"],
      { io: { out: (t) => (outcome.stdout += t), err: (t) => (outcome.stderr += t) } },
    );
    const files = readdirSync(out);
    md = files.length === 1 ? readFileSync(path.join(out, files[0] as string), "utf8") : "";
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("exit 0, one Markdown file cost-report-<time>.md, the same sections printed", () => {
    expect(outcome.stderr).toMatch(/cost-report: wrote .*cost-report-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.md/);
    expect(outcome.code).toBe(0);
    expect(md).toContain("# Cost report: dev");
    for (const title of [
      "a. Cost per",
      "b. Over-provisioned",
      "c. Metrics scraped",
      "d. Telemetry volume",
      "e. Noisiest",
      "f. Trace sampling",
    ]) {
      expect(md).toContain(`## ${title}`);
      expect(outcome.stdout).toContain(`== ${title}`);
    }
  });

  test("cost: 0.25/h × 730 = 182.50 a month; forecast 160 of dev's 150 budget = 106.7 %; order's cpu + memory 0.03/h = 21.90", () => {
    expect(tableUnder(md, "Per environment")).toEqual([
      ["dev", "0.25 USD", "182.50 USD", "60.00 USD", "160.00 USD", "150.00 USD", "106.7 %"],
    ]);
    expect(tableUnder(md, "Per team")).toEqual([
      ["platform", "0.20 USD", "146.00 USD"],
      ["shop", "0.05 USD", "36.50 USD"],
    ]);
    // Prometheus: 0.1 + 0.02 = 0.12/h × 730 = 87.60; order: 0.02 + 0.01 = 0.03/h × 730 = 21.90
    expect(tableUnder(md, "Per workload")).toEqual([
      [PLATFORM, "prometheus-kps-prometheus", "platform", "0.12 USD", "87.60 USD"],
      [APPS, "order", "workload", "0.03 USD", "21.90 USD"],
    ]);
    // forecast 160 − 80 % × 150 = 40 over the ticket's line
    expect(md).toContain("40.00 USD less this month brings the forecast under 80.0 %");
    // idle 0.1/h × 730 = 73.00
    expect(md).toContain("Saving: up to 73.00 USD a month");
  });

  test("right-sizing: order's 2 running pods (not the finished one) × (0.38 cores × 0.04048 + 0.25 GiB × 0.004445) × 730 = 24.08", () => {
    // (0.5 − 0.12) × 0.04048 = 0.0153824; (512 − 256) MiB = 0.25 GiB × 0.004445 = 0.00111125; sum × 730 × 2 = 24.0807...
    expect(tableUnder(md, "Top over-provisioned")).toEqual([
      [`${APPS}/order`, "order", "2", "500m → 120m", "4.17×", "512Mi → 256Mi", "2.00×", "24.08 USD"],
    ]);
    expect(md).toContain("set requests to cpu: 120m, memory: 256Mi.");
  });

  test("unused metrics: job order's 4 series priced at Prometheus' 0.12/h × 730 × 4 ÷ all series; its drop list", () => {
    const total = FIXTURE.length; // every backfilled series is one series in the TSDB
    const saving = ((0.12 * 730 * 4) / total).toFixed(2);
    expect(tableUnder(md, "Per scrape job")).toEqual([["order", "1 of 1", "4", "100.0 %", "—", `${saving} USD`]]);
    expect(md).toContain("regex: nodejs_heap_space_size_total_bytes\n    action: drop");
  });

  test("telemetry per service from the records; the noisiest log producer first (2048 B/s = 168.8 MiB a day, 75 % access lines)", () => {
    expect(tableUnder(md, "Per service")).toEqual([
      ["order", "1200", "240", "2.0 KiB/s", "300", "110"],
      ["user", "—", "—", "1.0 KiB/s", "100", "40.0"],
    ]);
    expect(tableUnder(md, "Top 2 of 2")).toEqual([
      ["order", "2.0 KiB", "168.8 MiB", "66.7 %", "75.0 %"],
      ["user", "1.0 KiB", "84.4 MiB", "33.3 %", "—"],
    ]);
  });

  test("sampling: 400 spans/s, (1 failed + 1 slow) ÷ 10 requests/s = 20 % always kept, budget 120 → (0.3 − 0.2) ÷ 0.8 = 12.5 %", () => {
    const inputs = Object.fromEntries(tableUnder(md, "Inputs").map((r) => [r[0], Number.parseFloat(r[1] ?? "")]));
    // rates of the backfilled counters: exact up to Prometheus' floating point
    const expected = {
      "spans/s received": 400,
      "spans/s kept now": 150,
      "requests/s": 10,
      "failed requests/s": 1,
      "fast requests/s": 9,
      "always-kept share": 20,
    };
    for (const [input, value] of Object.entries(expected)) expect(inputs[input]).toBeCloseTo(value, 2);
    expect(md).toContain(
      "Set traces.samplingPercentage to 12.5 (now 100): about 120 spans/s kept, under the budget of 120.",
    );
    expect(md).toContain("Saving: 30.0 spans/s fewer than the 150 kept now");
  });
});
