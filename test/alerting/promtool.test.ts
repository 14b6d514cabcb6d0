import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { ALERT_LABELS, RESPONSE_ACTIONS } from "../../contract";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { ALERT_NAMES } from "../../infra/alerting/rules";
import { parseStackConfig } from "../../infra/config/schema";
import { namespaces } from "../../infra/platform/naming";
import { stackConfigFile } from "../../infra/preflight/collect";
import { run, toolAvailable } from "../support/tools";
import { withAnnotations } from "./harness";

const hasPromtool = toolAvailable("promtool");
const describeTool = hasPromtool ? describe : describe.skip;

const config = parseStackConfig(JSON.parse(stackConfigFile("prod")["observability-platform:platform"] as string));
const ns = namespaces(config);
const retentionSizeBytes = config.metrics.retentionSizeGi * 2 ** 30;

const ok = (values: string) => ({
  series: `http_server_request_duration_seconds_count{namespace="${ns.apps}",service_name="order",http_route="/orders",http_request_method="POST",http_response_status_code="201"}`,
  values,
});
const failed = (values: string) => ({
  series: `http_server_request_duration_seconds_count{namespace="${ns.apps}",service_name="order",http_route="/orders",http_request_method="POST",http_response_status_code="502"}`,
  values,
});
const burn = (severity: "page" | "ticket", longWindow: string, shortWindow: string, slo = "availability") => ({
  exp_labels: {
    severity,
    namespace: ns.apps,
    service: "order",
    service_name: "order",
    slo,
    long_window: longWindow,
    short_window: shortWindow,
    // only the latency SLO's burns declare a response: more replicas do not fix failures
    ...(slo === "latency" ? { [ALERT_LABELS.response]: RESPONSE_ACTIONS.raiseMaxReplicas } : {}),
  } as Record<string, string>,
});
const pages = [burn("page", "1h", "5m"), burn("page", "6h", "30m")];
const tickets = [burn("ticket", "1d", "2h"), burn("ticket", "3d", "6h")];
/** Requests of order's POST /orders answered within the prod latency threshold (0.5 s). */
const fast = (values: string) => ({
  series: `http_server_request_duration_seconds_bucket{namespace="${ns.apps}",service_name="order",http_route="/orders",http_request_method="POST",http_response_status_code="201",le="${config.slo.latencyThresholdSeconds}"}`,
  values,
});

// A service of another environment sharing the Prometheus: its failures must not burn this one's budget.
const otherEnvironmentFailing = (values: string) => ({
  series:
    'http_server_request_duration_seconds_count{namespace="other-apps",service_name="order",http_route="/orders",http_request_method="POST",http_response_status_code="502"}',
  values,
});

/** One promtool test per scenario; prod objectives (99.9% availability, budget 0.1%). */
const sloTests = [
  {
    name: "total outage pages within minutes (and the slower windows follow)",
    interval: "1m",
    // 10 req/s healthy for 10 minutes, then every request fails
    input_series: [ok("0+600x10 6000+0x20"), failed("0+0x10 0+600x20")],
    alert_rule_test: [
      { eval_time: "9m", alertname: ALERT_NAMES.fastBurn, exp_alerts: [] },
      { eval_time: "12m", alertname: ALERT_NAMES.fastBurn, exp_alerts: pages },
      { eval_time: "12m", alertname: ALERT_NAMES.slowBurn, exp_alerts: tickets },
    ],
  },
  {
    name: "every request slower than the threshold pages the latency SLO with the raise-max-replicas response",
    interval: "1m",
    // 10 req/s, all within the threshold for 10 minutes, then none
    input_series: [ok("0+600x30"), fast("0+600x10 6000+0x20")],
    alert_rule_test: [
      { eval_time: "9m", alertname: ALERT_NAMES.fastBurn, exp_alerts: [] },
      {
        eval_time: "12m",
        alertname: ALERT_NAMES.fastBurn,
        exp_alerts: [burn("page", "1h", "5m", "latency"), burn("page", "6h", "30m", "latency")],
      },
      {
        eval_time: "12m",
        alertname: ALERT_NAMES.slowBurn,
        exp_alerts: [burn("ticket", "1d", "2h", "latency"), burn("ticket", "3d", "6h", "latency")],
      },
    ],
  },
  {
    name: "a 20x burn pages; the ticket fires too (Alertmanager inhibits it)",
    interval: "1m",
    input_series: [ok("0+588x90"), failed("0+12x90")],
    alert_rule_test: [
      { eval_time: "70m", alertname: ALERT_NAMES.fastBurn, exp_alerts: pages },
      { eval_time: "70m", alertname: ALERT_NAMES.slowBurn, exp_alerts: tickets },
    ],
  },
  {
    name: "a slow 1.5x burn only tickets (3d/6h), never pages",
    interval: "5m",
    input_series: [ok("0+2997x96"), failed("0+4.5x96")],
    alert_rule_test: [
      { eval_time: "7h", alertname: ALERT_NAMES.fastBurn, exp_alerts: [] },
      { eval_time: "7h", alertname: ALERT_NAMES.slowBurn, exp_alerts: [burn("ticket", "3d", "6h")] },
    ],
  },
  {
    name: "another environment's outage in the same Prometheus burns nothing of this environment's budget",
    interval: "1m",
    input_series: [ok("0+600x30"), otherEnvironmentFailing("0+600x30")],
    alert_rule_test: [
      { eval_time: "25m", alertname: ALERT_NAMES.fastBurn, exp_alerts: [] },
      { eval_time: "25m", alertname: ALERT_NAMES.slowBurn, exp_alerts: [] },
    ],
  },
  {
    name: "one error at low traffic (about 10 requests an hour) does not page",
    interval: "1m",
    input_series: [ok("0+0.15x120"), failed("0x60 1x60")],
    alert_rule_test: [
      { eval_time: "65m", alertname: ALERT_NAMES.fastBurn, exp_alerts: [] },
      { eval_time: "65m", alertname: ALERT_NAMES.slowBurn, exp_alerts: [] },
    ],
  },
  {
    name: "recovery resolves the pages once the short windows are clean",
    interval: "1m",
    input_series: [ok("0+600x10 6000+0x5 6000+600x60"), failed("0+0x10 0+600x5 3000+0x60")],
    alert_rule_test: [
      { eval_time: "14m", alertname: ALERT_NAMES.fastBurn, exp_alerts: pages },
      { eval_time: "24m", alertname: ALERT_NAMES.fastBurn, exp_alerts: [burn("page", "6h", "30m")] },
      { eval_time: "50m", alertname: ALERT_NAMES.fastBurn, exp_alerts: [] },
    ],
  },
];

const health = (name: string, input_series: object[], cases: [string, string, object[]][]) => ({
  name,
  interval: "1m",
  input_series,
  alert_rule_test: cases.map(([eval_time, alertname, exp_alerts]) => ({ eval_time, alertname, exp_alerts })),
});
const a = ALERT_NAMES;
const healthTests = [
  health(
    "target down fires after 2 minutes, not while up",
    [
      { series: 'up{job="order",instance="10.0.0.1:8080"}', values: "1 1 0x10" },
      { series: 'up{job="user",instance="10.0.0.2:8080"}', values: "1x12" },
    ],
    [
      ["3m", a.targetDown, []],
      [
        "6m",
        a.targetDown,
        [{ exp_labels: { job: "order", instance: "10.0.0.1:8080", service: "order", severity: "critical" } }],
      ],
    ],
  ),
  health(
    "crash looping: restarts in 15 minutes, with the restart response",
    [
      {
        series: `kube_pod_container_status_restarts_total{namespace="${ns.apps}",container="user",pod="user-1"}`,
        values: "0+1x30",
      },
      {
        series: `kube_pod_container_status_restarts_total{namespace="${ns.apps}",container="order",pod="order-1"}`,
        values: "0x30",
      },
    ],
    [
      [
        "25m",
        a.crashLooping,
        [
          {
            exp_labels: {
              namespace: ns.apps,
              container: "user",
              pod: "user-1",
              service: "user",
              severity: "warning",
              [ALERT_LABELS.response]: RESPONSE_ACTIONS.restart,
            },
          },
        ],
      ],
    ],
  ),
  health(
    "p99 latency above 1s for 10 minutes",
    [
      {
        series: 'http_server_request_duration_seconds_bucket{service_name="product",http_route="/products",le="1"}',
        values: "0+1x30",
      },
      {
        series: 'http_server_request_duration_seconds_bucket{service_name="product",http_route="/products",le="2.5"}',
        values: "0+10x30",
      },
      {
        series: 'http_server_request_duration_seconds_bucket{service_name="product",http_route="/products",le="+Inf"}',
        values: "0+10x30",
      },
      {
        series: 'http_server_request_duration_seconds_bucket{service_name="user",http_route="/users/:id",le="1"}',
        values: "0+10x30",
      },
      {
        series: 'http_server_request_duration_seconds_bucket{service_name="user",http_route="/users/:id",le="+Inf"}',
        values: "0+10x30",
      },
    ],
    [
      ["8m", a.highLatency, []],
      ["20m", a.highLatency, [{ exp_labels: { service_name: "product", service: "product", severity: "warning" } }]],
    ],
  ),
  health(
    "collector refusing and failing to export; Jaeger failures are told apart",
    [
      { series: 'otelcol_receiver_refused_spans_total{receiver="otlp"}', values: "0+60x20" },
      { series: 'otelcol_exporter_send_failed_spans_total{exporter="otlp_grpc/jaeger"}', values: "0+60x20" },
    ],
    [
      ["15m", a.collectorRefusing, [{ exp_labels: { namespace: ns.platform, severity: "warning" } }]],
      ["15m", a.jaegerNotAccepting, [{ exp_labels: { namespace: ns.platform, severity: "critical" } }]],
      ["15m", a.collectorExportFailing, []],
    ],
  ),
  health(
    "collector export failing to a non-Jaeger exporter",
    [{ series: 'otelcol_exporter_send_failed_spans_total{exporter="prometheus"}', values: "0+60x20" }],
    [
      ["15m", a.collectorExportFailing, [{ exp_labels: { namespace: ns.platform, severity: "critical" } }]],
      ["15m", a.jaegerNotAccepting, []],
    ],
  ),
  health(
    "rule evaluation failures fire at once",
    [
      {
        series: 'prometheus_rule_evaluation_failures_total{rule_group="slo-order-availability"}',
        values: "0 0 0 1 1 1",
      },
      { series: 'prometheus_rule_evaluation_failures_total{rule_group="ok"}', values: "0x5" },
    ],
    [
      ["1m", a.ruleFailures, []],
      [
        "4m",
        a.ruleFailures,
        [{ exp_labels: { namespace: ns.platform, rule_group: "slo-order-availability", severity: "critical" } }],
      ],
    ],
  ),
  health(
    "storage at 95% of retentionSize fires after 15 minutes; 50% does not",
    [
      {
        series: 'prometheus_tsdb_storage_blocks_bytes{job="prometheus",instance="a",pod="p-0"}',
        values: `${Math.round(retentionSizeBytes * 0.95)}x30`,
      },
      {
        series: 'prometheus_tsdb_storage_blocks_bytes{job="other",instance="b",pod="p-1"}',
        values: `${Math.round(retentionSizeBytes * 0.5)}x30`,
      },
    ],
    [
      ["10m", a.storageNearlyFull, []],
      [
        "20m",
        a.storageNearlyFull,
        [{ exp_labels: { namespace: ns.platform, job: "prometheus", severity: "warning" } }],
      ],
    ],
  ),
  health(
    "Loki: down when no target is up; healthy when up without 5xx",
    [
      { series: 'up{job="loki",instance="l"}', values: "1x10 0x20" },
      { series: 'loki_request_duration_seconds_count{status_code="200"}', values: "0+60x30" },
    ],
    [
      ["8m", a.lokiUnhealthy, []],
      ["20m", a.lokiUnhealthy, [{ exp_labels: { namespace: ns.platform, severity: "critical" } }]],
    ],
  ),
  health(
    "the Watchdog always fires",
    [],
    [["1m", a.watchdog, [{ exp_labels: { namespace: ns.platform, severity: "none" } }]]],
  ),
];

const rules = ruleGroupsFor(config, ns).flatMap((g) => g.rules);

describeTool("rules with the real promtool", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "promtool-"));
    writeFileSync(path.join(dir, "rules.yaml"), stringify({ groups: ruleGroupsFor(config, ns) }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(["dev", "staging", "prod"])("promtool check rules passes for %s", (stack) => {
    const c = parseStackConfig(JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string));
    const file = path.join(dir, `${stack}.yaml`);
    writeFileSync(file, stringify({ groups: ruleGroupsFor(c, namespaces(c)) }));
    const result = run("promtool", ["check", "rules", file]);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.status).toBe(0);
  });

  test.each([...sloTests, ...healthTests].map((t) => [t.name, t] as const))(
    "promtool test rules: %s",
    (_name, scenario) => {
      const file = path.join(dir, `test-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(
        file,
        stringify({ rule_files: ["rules.yaml"], evaluation_interval: "1m", tests: [withAnnotations(scenario, rules)] }),
      );
      const result = run("promtool", ["test", "rules", file]);
      expect(result.output).toContain("SUCCESS");
      expect(result.status).toBe(0);
    },
  );

  test("a wrong expectation makes promtool fail (the harness can fail)", () => {
    const file = path.join(dir, "wrong.yaml");
    writeFileSync(
      file,
      stringify({
        rule_files: ["rules.yaml"],
        evaluation_interval: "1m",
        tests: [
          {
            ...sloTests.find((t) => t.name.startsWith("another environment's outage")),
            alert_rule_test: [{ eval_time: "65m", alertname: ALERT_NAMES.fastBurn, exp_alerts: pages }],
          },
        ],
      }),
    );
    expect(run("promtool", ["test", "rules", file]).status).not.toBe(0);
  });
});
