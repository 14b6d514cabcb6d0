import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { COST_ALERTS, COST_RECORDS as R } from "../../contract";
import { costRuleGroups, KPS_POD_OWNER_RECORD } from "../../infra/alerting/cost-rules";
import { parseStackConfig } from "../../infra/config/schema";
import { ALLOY_SHIPPED_LOG_BYTES_METRIC } from "../../infra/logging/alloy-config";
import { namespaces } from "../../infra/platform/naming";
import { stackConfigFile } from "../../infra/preflight/collect";
import { run, toolAvailable } from "../support/tools";
import { type AlertCase, withAnnotations } from "./harness";

const describeTool = toolAvailable("promtool") ? describe : describe.skip;

// prod (budget 3000 USD, team platform, cost center cc-1000, right-sizing p95 / +15 % over 7d) with a second
// storage class priced apart from the default.
const raw = JSON.parse(stackConfigFile("prod")["observability-platform:platform"] as string);
raw.cost.storageGiBMonth = { default: 0.08, "fast-ssd": 0.125 };
const config = parseStackConfig(raw);
const ns = namespaces(config);
const groups = costRuleGroups(config, ns);
const rules = groups.flatMap((g) => g.rules);
const CPU = config.cost.cpuCoreHour; // 0.04048 per vCPU-hour
const MEM = config.cost.memoryGiBHour; // 0.004445 per GiB-hour
const MI = 2 ** 20;
const GI = 2 ** 30;

type Labels = Record<string, string>;
const sel = (labels: Labels) =>
  `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",")}}`;
const series = (metric: string, labels: Labels, values: string) => ({ series: `${metric}${sel(labels)}`, values });

/** promtool compares floats exactly: values are compared in millionths (cost per hour in micro-dollars). */
const micro = (expr: string) => `round((${expr}) * 1e6)`;
const sample = (labels: Labels, value: number) => ({ labels: sel(labels), value: Math.round(value * 1e6) });
const exprTest = (expr: string, eval_time: string, samples: [Labels, number][]) => ({
  expr: micro(expr),
  eval_time,
  exp_samples: samples.map(([l, v]) => sample(l, v)),
});

/** A counter growing by `perSecond × step` each step, through consecutive [perSecond, steps] segments. */
function counter(segments: [number, number][], stepSeconds: number): string {
  let value = 0;
  const parts = ["0"];
  for (const [perSecond, steps] of segments) {
    const inc = perSecond * stepSeconds;
    parts.push(`${value + inc}+${inc}x${steps - 1}`);
    value += inc * steps;
  }
  return parts.join(" ");
}

interface Pod {
  namespace: string;
  pod: string;
  workload: string;
  container: string;
  cpu: { request: number; usage: number | [number, number][] };
  memory: { request: number; usage?: number };
  phase?: "Running" | "Succeeded";
  /** The pod's own team/environment/cost-center labels, as kube-state-metrics exports them. */
  podLabels?: Labels;
}

/** What kube-state-metrics, cAdvisor and kube-prometheus-stack's owner record report for one pod, every step. */
function podSeries(p: Pod, steps: number, stepSeconds: number) {
  const key = { namespace: p.namespace, pod: p.pod };
  const ksm = { ...key, job: "kube-state-metrics" };
  const cadvisor = { ...key, container: p.container, job: "kubelet", metrics_path: "/metrics/cadvisor", image: "x" };
  const running = p.phase !== "Succeeded";
  const cpuUsage = typeof p.cpu.usage === "number" ? [[p.cpu.usage, steps] as [number, number]] : p.cpu.usage;
  return [
    series(
      "kube_pod_container_resource_requests",
      { ...ksm, container: p.container, resource: "cpu", unit: "core" },
      `${p.cpu.request}x${steps}`,
    ),
    series(
      "kube_pod_container_resource_requests",
      { ...ksm, container: p.container, resource: "memory", unit: "byte" },
      `${p.memory.request}x${steps}`,
    ),
    series("kube_pod_status_phase", { ...ksm, phase: "Running" }, `${running ? 1 : 0}x${steps}`),
    series("kube_pod_status_phase", { ...ksm, phase: "Succeeded" }, `${running ? 0 : 1}x${steps}`),
    series("kube_pod_labels", { ...ksm, uid: `uid-${p.pod}`, ...p.podLabels }, `1x${steps}`),
    series(KPS_POD_OWNER_RECORD, { ...key, workload: p.workload, workload_type: "deployment" }, `1x${steps}`),
    ...(running
      ? [
          series("container_cpu_usage_seconds_total", cadvisor, counter(cpuUsage, stepSeconds)),
          series("container_memory_working_set_bytes", cadvisor, `${p.memory.usage}x${steps}`),
        ]
      : []),
  ];
}

const nsLabels = (namespace: string, labels: Labels, steps: number) =>
  series("kube_namespace_labels", { namespace, job: "kube-state-metrics", ...labels }, `1x${steps}`);

const run1 = (name: string, evaluationInterval: string, test: object) => ({ name, evaluationInterval, test });

// ── The hourly cost: six pods, two claims, evaluated at minute 10 (the 5-minute rates are settled) ──
const checkout = { label_team: "checkout", label_environment: "prod", label_cost_center: "cc-shop" };
const observability = { team: "observability", environment: "prod", cost_center: "cc-obs" };
const defaults = { team: "platform", environment: "prod", cost_center: "cc-1000" }; // the stack's own
const checkoutProd = { team: "checkout", environment: "prod", cost_center: "cc-shop" };
const checkoutStaging = { team: "checkout", environment: "staging", cost_center: "cc-shop" };
const pods: Pod[] = [
  // order: one pod under its requests, one over them
  {
    namespace: ns.apps,
    pod: "order-abc",
    workload: "order",
    container: "order",
    cpu: { request: 0.5, usage: 0.2 },
    memory: { request: 512 * MI, usage: 256 * MI },
    podLabels: checkout,
  },
  {
    namespace: ns.apps,
    pod: "order-def",
    workload: "order",
    container: "order",
    cpu: { request: 0.5, usage: 0.8 },
    memory: { request: 512 * MI, usage: 768 * MI },
    podLabels: checkout,
  },
  // Prometheus has no labels of its own: its namespace's apply
  {
    namespace: ns.platform,
    pod: "prometheus-kps-prometheus-0",
    workload: "prometheus-kps-prometheus",
    container: "prometheus",
    cpu: { request: 1, usage: 0.25 },
    memory: { request: 2 * GI, usage: 1.5 * GI },
  },
  // a finished Job still has requests in kube-state-metrics, but no node holds them
  {
    namespace: ns.apps,
    pod: "report-29000",
    workload: "report",
    container: "report",
    cpu: { request: 2, usage: 0 },
    memory: { request: GI },
    phase: "Succeeded",
    podLabels: checkout,
  },
  // no labels on the pod nor its namespace: the stack's team, environment and cost center
  {
    namespace: "kube-system",
    pod: "coredns-xyz",
    workload: "coredns",
    container: "coredns",
    cpu: { request: 0.1, usage: 0.05 },
    memory: { request: 128 * MI, usage: 64 * MI },
  },
  // staging's pod in the same cluster is staging's cost
  {
    namespace: "obs-staging-apps",
    pod: "order-stg",
    workload: "order",
    container: "order",
    cpu: { request: 0.25, usage: 0.1 },
    memory: { request: 256 * MI, usage: 128 * MI },
    podLabels: { ...checkout, label_environment: "staging" },
  },
];
const STEPS = 15;
const costInputs = [
  ...pods.flatMap((p) => podSeries(p, STEPS, 60)),
  // cAdvisor's pod cgroup (container="") and pause container ("POD") would count order-abc twice
  series(
    "container_cpu_usage_seconds_total",
    { namespace: ns.apps, pod: "order-abc", container: "", job: "kubelet" },
    counter([[5, STEPS]], 60),
  ),
  series(
    "container_cpu_usage_seconds_total",
    { namespace: ns.apps, pod: "order-abc", container: "POD", job: "kubelet" },
    counter([[5, STEPS]], 60),
  ),
  series(
    "container_memory_working_set_bytes",
    { namespace: ns.apps, pod: "order-abc", container: "", job: "kubelet" },
    `${8 * GI}x${STEPS}`,
  ),
  nsLabels(ns.apps, checkout, STEPS),
  nsLabels(ns.platform, { label_team: "observability", label_environment: "prod", label_cost_center: "cc-obs" }, STEPS),
  nsLabels("kube-system", {}, STEPS),
  nsLabels("obs-staging-apps", { ...checkout, label_environment: "staging" }, STEPS),
  // Prometheus' claim in a priced class, Loki's in a class the config does not list (the default price)
  ...[
    ["prometheus-db-0", "fast-ssd", 200],
    ["storage-loki-0", "gp3", 50],
  ].flatMap(([claim, storageclass, gib]) => [
    series(
      "kube_persistentvolumeclaim_resource_requests_storage_bytes",
      { namespace: ns.platform, persistentvolumeclaim: claim as string, job: "kube-state-metrics" },
      `${(gib as number) * GI}x${STEPS}`,
    ),
    series(
      "kube_persistentvolumeclaim_info",
      {
        namespace: ns.platform,
        persistentvolumeclaim: claim as string,
        storageclass: storageclass as string,
        volumename: `pv-${claim}`,
        job: "kube-state-metrics",
      },
      `1x${STEPS}`,
    ),
  ]),
];

// Billed = max(request, usage) per pod, summed per workload. Cores; memory in GiB.
const orderCpu = 0.5 /* abc: request 0.5 > usage 0.2 */ + 0.8; /* def: usage 0.8 > request 0.5 */
const orderMem = 0.5 /* abc: request 512 Mi */ + 0.75; /* def: usage 768 Mi */
const promCpu = 1; // request 1 > usage 0.25
const promMem = 2; // request 2 Gi > usage 1.5 Gi
const dnsCpu = 0.1;
const dnsMem = 0.125; // 128 Mi
const stgCpu = 0.25;
const stgMem = 0.25; // 256 Mi
const promDisk = (200 * 0.125) / 730; // fast-ssd: 0.125 per GiB-month, 730 hours a month
const lokiDisk = (50 * 0.08) / 730; // gp3 is not listed: the default 0.08
// Idle = request − usage where positive.
const orderIdleCpu = 0.5 - 0.2; // def uses more than it requests: no idle
const orderIdleMem = 0.25; // abc: 512 − 256 Mi
const promIdleCpu = 1 - 0.25;
const promIdleMem = 2 - 1.5;
const dnsIdleCpu = 0.1 - 0.05;
const dnsIdleMem = 0.0625; // 128 − 64 Mi
const stgIdleCpu = 0.25 - 0.1;
const stgIdleMem = 0.125; // 256 − 128 Mi

const w = (namespace: string, workload: string, who: Labels, scope: string, resource: string) => ({
  namespace,
  workload,
  ...who,
  cost_scope: scope,
  resource,
});
const idle = (namespace: string, workload: string, who: Labels, resource: string) => ({
  namespace,
  workload,
  ...who,
  resource,
});
const claim = (persistentvolumeclaim: string, storageclass: string) => ({
  namespace: ns.platform,
  persistentvolumeclaim,
  storageclass,
  ...observability,
  cost_scope: "platform",
  resource: "storage",
});

const prodWorkload = orderCpu * CPU + orderMem * MEM + dnsCpu * CPU + dnsMem * MEM;
const prodPlatform = promCpu * CPU + promMem * MEM + promDisk + lokiDisk;
const prodIdle = (orderIdleCpu + promIdleCpu + dnsIdleCpu) * CPU + (orderIdleMem + promIdleMem + dnsIdleMem) * MEM;

const hourlyCost = run1(
  "hourly cost: max(request, usage) per pod × the config's prices, per workload, claim, namespace, scope, team and environment; idle apart",
  "1m",
  {
    interval: "1m",
    input_series: costInputs,
    promql_expr_test: [
      exprTest(`${R.cpuBilledCores}{workload="order",environment="prod"}`, "10m", [
        [{ namespace: ns.apps, workload: "order", container: "order", ...checkoutProd }, orderCpu],
      ]),
      exprTest(`${R.memoryBilledBytes}{workload="order",environment="prod"} / ${GI}`, "10m", [
        [{ namespace: ns.apps, workload: "order", container: "order", ...checkoutProd }, orderMem],
      ]),
      exprTest(R.workloadHourly, "10m", [
        [w(ns.apps, "order", checkoutProd, "workload", "cpu"), orderCpu * CPU],
        [w(ns.apps, "order", checkoutProd, "workload", "memory"), orderMem * MEM],
        [w(ns.platform, "prometheus-kps-prometheus", observability, "platform", "cpu"), promCpu * CPU],
        [w(ns.platform, "prometheus-kps-prometheus", observability, "platform", "memory"), promMem * MEM],
        [w("kube-system", "coredns", defaults, "workload", "cpu"), dnsCpu * CPU],
        [w("kube-system", "coredns", defaults, "workload", "memory"), dnsMem * MEM],
        [w("obs-staging-apps", "order", checkoutStaging, "workload", "cpu"), stgCpu * CPU],
        [w("obs-staging-apps", "order", checkoutStaging, "workload", "memory"), stgMem * MEM],
        // the finished report Job: nothing
      ]),
      exprTest(R.storageHourly, "10m", [
        [claim("prometheus-db-0", "fast-ssd"), promDisk],
        [claim("storage-loki-0", "gp3"), lokiDisk],
      ]),
      exprTest(R.idleHourly, "10m", [
        [idle(ns.apps, "order", checkoutProd, "cpu"), orderIdleCpu * CPU],
        [idle(ns.apps, "order", checkoutProd, "memory"), orderIdleMem * MEM],
        [idle(ns.platform, "prometheus-kps-prometheus", observability, "cpu"), promIdleCpu * CPU],
        [idle(ns.platform, "prometheus-kps-prometheus", observability, "memory"), promIdleMem * MEM],
        [idle("kube-system", "coredns", defaults, "cpu"), dnsIdleCpu * CPU],
        [idle("kube-system", "coredns", defaults, "memory"), dnsIdleMem * MEM],
        [idle("obs-staging-apps", "order", checkoutStaging, "cpu"), stgIdleCpu * CPU],
        [idle("obs-staging-apps", "order", checkoutStaging, "memory"), stgIdleMem * MEM],
      ]),
      exprTest(`${R.namespaceHourly}{namespace="${ns.platform}"}`, "10m", [
        [{ namespace: ns.platform, environment: "prod", cost_scope: "platform" }, prodPlatform],
      ]),
      exprTest(R.scopeHourly, "10m", [
        [{ cost_scope: "workload", environment: "prod" }, prodWorkload],
        [{ cost_scope: "platform", environment: "prod" }, prodPlatform],
        [{ cost_scope: "idle", environment: "prod" }, prodIdle],
        [{ cost_scope: "workload", environment: "staging" }, stgCpu * CPU + stgMem * MEM],
        [{ cost_scope: "idle", environment: "staging" }, stgIdleCpu * CPU + stgIdleMem * MEM],
      ]),
      exprTest(`${R.teamHourly}{environment="prod"}`, "10m", [
        [{ environment: "prod", team: "checkout" }, orderCpu * CPU + orderMem * MEM],
        [{ environment: "prod", team: "observability" }, prodPlatform],
        [{ environment: "prod", team: "platform" }, dnsCpu * CPU + dnsMem * MEM],
      ]),
      exprTest(R.environmentHourly, "10m", [
        [{ environment: "prod" }, prodWorkload + prodPlatform],
        [{ environment: "staging" }, stgCpu * CPU + stgMem * MEM],
      ]),
    ],
  },
);

// ── The budget: fed the hourly cost per environment directly (the budget rules read nothing else) ──
const hourly = (environment: string, values: string) => series(R.environmentHourly, { environment }, values);
const budgetAlert = (alertname: string, eval_time: string, fire: boolean, severity: string): AlertCase => ({
  eval_time,
  alertname,
  exp_alerts: fire ? [{ exp_labels: { environment: "prod", severity } }] : [],
});
const HOURS_IN_JANUARY = 31 * 24; // promtool's clock starts at 1970-01-01 00:00 UTC

const budgetScenarios = [
  run1("budget forecast: 3.5/h for January's 744 h is 2604, over 80 % of 3000 (2400): a ticket after 1h", "1m", {
    interval: "1m",
    input_series: [hourly("prod", "3.5x90")],
    promql_expr_test: [exprTest(R.monthForecast, "70m", [[{ environment: "prod" }, 3.5 * HOURS_IN_JANUARY]])],
    alert_rule_test: [
      budgetAlert(COST_ALERTS.budgetForecast, "50m", false, "ticket"),
      budgetAlert(COST_ALERTS.budgetForecast, "70m", true, "ticket"),
    ],
  }),
  run1(
    "budget forecast: 3/h (2232 for January) stays quiet, and staging's 100/h in the same Prometheus is not prod's",
    "1m",
    {
      interval: "1m",
      input_series: [hourly("prod", "3x90"), hourly("staging", "100x90")],
      alert_rule_test: [budgetAlert(COST_ALERTS.budgetForecast, "80m", false, "ticket")],
    },
  ),
  run1(
    "month to date adds each minute's hourly cost: 600/h for 59 min, then 1200/h; over 3000 at 180 min, a page 15 min later",
    "1m",
    {
      interval: "1m",
      // minutes 0–59 at 600/h, 60–210 at 1200/h
      input_series: [hourly("prod", "600x59 1200x150")],
      promql_expr_test: [
        // minute 0 starts at 0 (no time elapsed); minutes 1–59 add 600/60 each, minutes 60–120 add 1200/60 each
        exprTest(R.monthToDate, "120m", [[{ environment: "prod" }, (600 * 59) / 60 + (1200 * 61) / 60]]),
        // + the last day's average (60 samples at 600, 61 at 1200) × the 742 hours left of January
        exprTest(R.monthForecast, "120m", [
          [
            { environment: "prod" },
            (600 * 59) / 60 + (1200 * 61) / 60 + ((60 * 600 + 61 * 1200) / 121) * (HOURS_IN_JANUARY - 2),
          ],
        ]),
      ],
      alert_rule_test: [
        // 590 + 20 per minute from minute 60: 2990 at 179, 3010 at 180
        budgetAlert(COST_ALERTS.budgetExceeded, "179m", false, "page"),
        budgetAlert(COST_ALERTS.budgetExceeded, "190m", false, "page"),
        budgetAlert(COST_ALERTS.budgetExceeded, "196m", true, "page"),
      ],
    },
  ),
  run1(
    "a new month starts the month to date again: 10/h all January reaches 7430 at 743 h, then 20 on 1 February at 02:00",
    // hourly evaluations: each adds the cost since the previous one, however far back (up to a day)
    "1h",
    {
      interval: "1h",
      input_series: [hourly("prod", `10x${HOURS_IN_JANUARY + 3}`)],
      promql_expr_test: [
        exprTest(R.monthToDate, "743h", [[{ environment: "prod" }, 10 * 743]]),
        exprTest(R.monthToDate, "746h", [[{ environment: "prod" }, 10 * 2]]),
        // February 1970 has 28 days: 670 hours left at 02:00 on the 1st
        exprTest(R.monthForecast, "746h", [[{ environment: "prod" }, 10 * 2 + 10 * (28 * 24 - 2)]]),
      ],
      alert_rule_test: [
        // 10 × 300 h = 3000 reached at 300 h: paging from the next evaluation, until the month ends
        budgetAlert(COST_ALERTS.budgetExceeded, "299h", false, "page"),
        budgetAlert(COST_ALERTS.budgetExceeded, "301h", true, "page"),
        budgetAlert(COST_ALERTS.budgetExceeded, "746h", false, "page"),
      ],
    },
  ),
];

// ── Right-sizing: 25 hours every 5 minutes, against the 1-day `for` ──
const STEP = 300;
const DAY_STEPS = 25 * 12 + 2;
const sizingPods: Pod[] = [
  // product: 1 core requested, the busiest pod at 0.1 with half an hour at 0.6 (2 % of the samples: p95 stays 0.1)
  {
    namespace: ns.apps,
    pod: "product-1",
    workload: "product",
    container: "product",
    cpu: {
      request: 1,
      usage: [
        [0.1, 240],
        [0.6, 6],
        [0.1, DAY_STEPS - 246],
      ],
    },
    memory: { request: 320 * MI, usage: 256 * MI },
  },
  {
    namespace: ns.apps,
    pod: "product-2",
    workload: "product",
    container: "product",
    cpu: { request: 1, usage: 0.05 },
    memory: { request: 320 * MI, usage: 200 * MI },
  },
  // user: 0.1 core requested, 0.25 used
  {
    namespace: ns.apps,
    pod: "user-1",
    workload: "user",
    container: "user",
    cpu: { request: 0.1, usage: 0.25 },
    memory: { request: 256 * MI, usage: 200 * MI },
  },
  // order: within bounds on both
  {
    namespace: ns.apps,
    pod: "order-1",
    workload: "order",
    container: "order",
    cpu: { request: 0.5, usage: 0.4 },
    memory: { request: 384 * MI, usage: 300 * MI },
  },
  // over-provisioned, but not this environment's to fix: recorded, never alerted
  {
    namespace: "kube-system",
    pod: "coredns-1",
    workload: "coredns",
    container: "coredns",
    cpu: { request: 1, usage: 0.02 },
    memory: { request: 128 * MI, usage: 20 * MI },
  },
];
const sized = (namespace: string, workload: string, resource: string) => ({
  namespace,
  workload,
  container: workload,
  resource,
});
const provisioning = (alertname: string, eval_time: string, workload?: string): AlertCase => ({
  eval_time,
  alertname,
  exp_alerts: workload ? [{ exp_labels: { ...sized(ns.apps, workload, "cpu"), severity: "ticket" } }] : [],
});
const margin = 1 + config.cost.rightSizing.memoryMarginPercent / 100; // 1.15

const rightSizing = run1(
  "right-sizing: CPU at the p95 of the busiest pod, memory at its peak + 15 % (floor 100 Mi); 10× over and 0.4× under ticket after a day",
  "5m",
  {
    interval: "5m",
    input_series: sizingPods.flatMap((p) => podSeries(p, DAY_STEPS, STEP)),
    promql_expr_test: [
      exprTest(R.cpuRecommendedCores, "25h", [
        [sized(ns.apps, "product", "cpu"), 0.1],
        [sized(ns.apps, "user", "cpu"), 0.25],
        [sized(ns.apps, "order", "cpu"), 0.4],
        [sized("kube-system", "coredns", "cpu"), 0.02],
      ]),
      exprTest(`${R.memoryRecommendedBytes} / ${MI}`, "25h", [
        [sized(ns.apps, "product", "memory"), 256 * margin], // product-1's 256 Mi, not product-2's 200
        [sized(ns.apps, "user", "memory"), 200 * margin],
        [sized(ns.apps, "order", "memory"), 300 * margin],
        [sized("kube-system", "coredns", "memory"), 100], // 20 Mi × 1.15 is under the floor
      ]),
      exprTest(R.cpuRequestToRecommendation, "25h", [
        [sized(ns.apps, "product", "cpu"), 1 / 0.1],
        [sized(ns.apps, "user", "cpu"), 0.1 / 0.25],
        [sized(ns.apps, "order", "cpu"), 0.5 / 0.4],
        [sized("kube-system", "coredns", "cpu"), 1 / 0.02],
      ]),
      exprTest(R.memoryRequestToRecommendation, "25h", [
        [sized(ns.apps, "product", "memory"), 320 / (256 * margin)],
        [sized(ns.apps, "user", "memory"), 256 / (200 * margin)],
        [sized(ns.apps, "order", "memory"), 384 / (300 * margin)],
        [sized("kube-system", "coredns", "memory"), 128 / 100],
      ]),
    ],
    alert_rule_test: [
      provisioning(COST_ALERTS.overProvisioned, "23h"),
      provisioning(COST_ALERTS.overProvisioned, "25h", "product"),
      provisioning(COST_ALERTS.underProvisioned, "23h"),
      provisioning(COST_ALERTS.underProvisioned, "25h", "user"),
    ],
  },
);

// ── Telemetry volume: two order targets, Alloy's and the services' log counters, the collector's span metrics ──
const collector = { namespace: ns.platform, job: "otel-collector", instance: "10.0.0.9:8888" };
const telemetry = run1(
  "telemetry volume per service: series and samples per scrape, log bytes (Alloy's shipped count, else the service's own), spans received and kept at the collector's ratio",
  "1m",
  {
    interval: "1m",
    input_series: [
      series("scrape_samples_post_metric_relabeling", { namespace: ns.apps, job: "order", instance: "a" }, "120x10"),
      series("scrape_samples_post_metric_relabeling", { namespace: ns.apps, job: "order", instance: "b" }, "130x10"),
      series(
        "log_bytes_total",
        { namespace: ns.apps, job: "order", instance: "a", service_name: "order", log_kind: "access" },
        counter([[100, 10]], 60),
      ),
      series(
        "log_bytes_total",
        { namespace: ns.apps, job: "order", instance: "a", service_name: "order", log_kind: "event" },
        counter([[10, 10]], 60),
      ),
      // product: its own count (it writes 70 B/s) and Alloy's (it ships 50 B/s of them, scraped in the platform
      // namespace, so the lines' namespace is exported_namespace); Alloy's counts. order has no Alloy series.
      series(
        "log_bytes_total",
        { namespace: ns.apps, job: "product", instance: "p", service_name: "product", log_kind: "access" },
        counter([[70, 10]], 60),
      ),
      series(
        ALLOY_SHIPPED_LOG_BYTES_METRIC,
        { namespace: ns.platform, job: "alloy", exported_namespace: ns.apps, service_name: "product", level: "info" },
        counter([[50, 10]], 60),
      ),
      // a platform pod's lines carry no service_name: not a service's volume
      series(
        ALLOY_SHIPPED_LOG_BYTES_METRIC,
        { namespace: ns.platform, job: "alloy", exported_namespace: ns.platform, app: "loki" },
        counter([[500, 10]], 60),
      ),
      // span metrics: order's spans name their namespace; user's do not (they stay under the collector's)
      series(
        "traces_span_metrics_calls_total",
        { ...collector, service_name: "order", k8s_namespace_name: ns.apps, span_name: "POST /orders" },
        counter([[20, 10]], 60),
      ),
      series(
        "traces_span_metrics_calls_total",
        { ...collector, service_name: "user", span_name: "GET /users/:id" },
        counter([[10, 10]], 60),
      ),
      series("otelcol_receiver_accepted_spans_total", { ...collector, receiver: "otlp" }, counter([[30, 10]], 60)),
      series(
        "otelcol_exporter_sent_spans_total",
        { ...collector, exporter: "otlp_grpc/jaeger" },
        counter([[3, 10]], 60),
      ),
      // Jaeger's own receiver (same metric names) is not the collector's
      series(
        "otelcol_receiver_accepted_spans_total",
        { namespace: ns.platform, job: "jaeger", receiver: "otlp" },
        counter([[3, 10]], 60),
      ),
    ],
    promql_expr_test: [
      exprTest(R.activeSeries, "10m", [[{ namespace: ns.apps, service_name: "order" }, 120 + 130]]),
      // five scrapes a minute apart within 5 minutes (and the one on the window's start): (120 + 130) × 6 / 300
      exprTest(R.samplesPerSecond, "10m", [[{ namespace: ns.apps, service_name: "order" }, ((120 + 130) * 6) / 300]]),
      exprTest(R.logBytesPerSecond, "10m", [
        [{ namespace: ns.apps, service_name: "order" }, 100 + 10],
        [{ namespace: ns.apps, service_name: "product" }, 50],
      ]),
      exprTest(R.spansReceivedPerSecond, "10m", [
        [{ namespace: ns.apps, service_name: "order" }, 20],
        [{ namespace: ns.platform, service_name: "user" }, 10],
      ]),
      exprTest(R.spansKeptRatio, "10m", [[{}, 3 / 30]]),
      exprTest(R.spansKeptPerSecond, "10m", [
        [{ namespace: ns.apps, service_name: "order" }, 20 * (3 / 30)],
        [{ namespace: ns.platform, service_name: "user" }, 10 * (3 / 30)],
      ]),
    ],
  },
);

const scenarios = [hourlyCost, ...budgetScenarios, rightSizing, telemetry];

describeTool("cost rules with the real promtool", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "promtool-cost-"));
    writeFileSync(path.join(dir, "rules.yaml"), stringify({ groups }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const promtoolTest = (evaluationInterval: string, test: object) => {
    const file = path.join(dir, `test-${Math.random().toString(36).slice(2)}.yaml`);
    const withAlerts = "alert_rule_test" in test ? withAnnotations(test, rules) : test;
    writeFileSync(
      file,
      stringify({ rule_files: ["rules.yaml"], evaluation_interval: evaluationInterval, tests: [withAlerts] }),
    );
    return run("promtool", ["test", "rules", file]);
  };

  test.each(scenarios.map((s) => [s.name, s] as const))("promtool test rules: %s", (_name, s) => {
    const result = promtoolTest(s.evaluationInterval, s.test);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  test("a wrong expected cost makes promtool fail (the comparison can fail)", () => {
    const wrong = {
      ...hourlyCost.test,
      promql_expr_test: [
        exprTest(R.environmentHourly, "10m", [
          [{ environment: "prod" }, prodWorkload + prodPlatform + 0.01],
          [{ environment: "staging" }, stgCpu * CPU + stgMem * MEM],
        ]),
      ],
    };
    const result = promtoolTest(hourlyCost.evaluationInterval, wrong);
    expect(result.output).toContain("FAILED");
    expect(result.status).not.toBe(0);
  });
});
