import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import { CHAOS_LABELS, CHAOS_METRICS, LABELS } from "../../contract";
import { AGGREGATE_RECORDS, SLO_LABEL, SLO_RECORDS } from "../alerting/names";
import { ALERT_SERVICE_LABEL } from "../alerting/rules";
import { CELL_VALUE, serviceLinks, toDashboard } from "./links";
import { DATASOURCES, DASHBOARD_VARIABLES as V } from "./model";
import {
  barGaugePanel,
  hideColumns,
  MERGE_TABLES,
  renameColumns,
  row,
  statPanel,
  tablePanel,
  timeseriesPanel,
} from "./panels";
import { legend, NS_MATCH, PLATFORM_NS_MATCH, RATE, record, sel } from "./queries";
import {
  burnSteps,
  type DashboardSettings,
  errorRatioSteps,
  latencySteps,
  NEUTRAL,
  pagingFactor,
  sliSteps,
} from "./settings";
import { shell } from "./shell";

/**
 * Game days: the pushed verdicts and measurements of every experiment against its hypothesis, Chaos Mesh's
 * own view of its objects, and the services' SLIs and burn rates with each fault window marked.
 */

/**
 * Chaos Mesh controller metrics the dashboard reads, as upstream's pkg/metrics/chaos-controller-manager.go
 * registers them (the chart names none): experiments by namespace, kind and phase; schedules by namespace;
 * emitted events by type, reason and namespace.
 */
export const CHAOS_MESH_METRICS = [
  "chaos_controller_manager_chaos_experiments",
  "chaos_controller_manager_chaos_schedules",
  "chaos_controller_manager_emitted_event_total",
] as const;
type ChaosMeshMetric = (typeof CHAOS_MESH_METRICS)[number];

/**
 * The controller is scraped in the platform namespace; the namespace of the objects it counts arrives as
 * `exported_namespace` (the scrape target's own `namespace` label wins without honorLabels).
 */
const mesh = (metric: ChaosMeshMetric) => sel(metric, PLATFORM_NS_MATCH, `exported_namespace="$${V.namespace}"`);
/** The runner's results, as the Pushgateway's scrape stores them: in the platform namespace, by experiment. */
const pushed = (metric: string) => sel(metric, PLATFORM_NS_MATCH, `${CHAOS_LABELS.target}=~"$${V.service}"`);
const EXPERIMENT = CHAOS_LABELS.experiment;
const lastRun = (metric: string) => `max by (${EXPERIMENT}) (${pushed(metric)})`;
const lastRunRow = (metric: string) =>
  `max by (${EXPERIMENT}, ${CHAOS_LABELS.target}, ${CHAOS_LABELS.runTarget}) (${pushed(metric)})`;

/**
 * A measurement of each experiment's last run over the limit that run was judged by. The limits are planned
 * per run (from the stack's SLOs and Prometheus' history), so they are pushed with the results, not read from
 * the catalogue; no limit pushed (nothing must be detected), no bar.
 */
const shareOfLimit = (metric: string, limitMetric: string) =>
  `${lastRun(metric)} / on (${EXPERIMENT}) ${lastRun(limitMetric)}`;

/** Wording shared by the descriptions: where a limit comes from. */
const PLANNED = "planned for that run from the stack's SLOs and Prometheus' history, pushed with the results";

/** Green within the limit, yellow from 80 % of it, red beyond it (equal to the limit still holds). */
export const WITHIN_LIMIT: dashboard.Threshold[] = [
  { value: null, color: "green" },
  { value: 0.8, color: "yellow" },
  { value: 1.0001, color: "red" },
];

const VERDICT_MAPPINGS: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: { "0": { text: "failed", color: "red", index: 0 }, "1": { text: "held", color: "green", index: 1 } },
  },
];
const HELD_STEPS: dashboard.Threshold[] = [
  { value: null, color: "red" },
  { value: 1, color: "green" },
];

function annotationQuery(name: string, color: string, expr: string, step: string) {
  return new dashboard.AnnotationQueryBuilder()
    .name(name)
    .datasource(DATASOURCES.prometheus)
    .enable(true)
    .iconColor(color)
    .expr(expr)
    .step(step);
}

/** The fault windows: the latest run of each experiment in the range shaded, and every run's start and end marked. */
export function faultWindowAnnotations(): dashboard.AnnotationQueryBuilder[] {
  const start = pushed(CHAOS_METRICS.faultStart);
  const end = pushed(CHAOS_METRICS.faultEnd);
  const by = `${EXPERIMENT}, ${CHAOS_LABELS.target}`;
  // `@ end()`: the pushed times are only known once the run is over, so read them at the range's end and
  // keep the steps between them (Grafana joins consecutive steps into one region)
  const inWindow = `max by (${by}) ((${start} @ end() <= time()) and on (${by}) (${end} @ end() >= time()))`;
  const edge = (expr: string, what: string) =>
    `label_replace(max by (${by}) (${expr}), "edge", "${what}", "", "") * 1000`;
  return [
    annotationQuery("Chaos fault windows (latest run per experiment)", "purple", inWindow, "10s")
      .titleFormat(`{{${EXPERIMENT}}}: fault on {{${CHAOS_LABELS.target}}}`)
      .textFormat("chaos experiment fault window"),
    annotationQuery("Chaos fault starts and ends", "purple", `${edge(start, "starts")} or ${edge(end, "ends")}`, "60s")
      .useValueForTime(true)
      .titleFormat(`{{${EXPERIMENT}}}: fault {{edge}} on {{${CHAOS_LABELS.target}}}`)
      .textFormat("chaos experiment"),
  ];
}

export function chaos(settings: DashboardSettings): dashboard.DashboardBuilder {
  const { environment } = settings;
  const table = (expr: string) => ({ expr, instant: true, format: prometheus.PromQueryFormat.Table });
  const ID = legend(EXPERIMENT);
  /** A result as each run pushed it, stepping from run to run. */
  const history = (title: string, metric: string, unit: string) =>
    timeseriesPanel({
      title,
      description: `${metric} as each run pushed it (the value holds until the next run).`,
      unit,
      width: 8,
      min: 0,
      targets: [{ expr: lastRun(metric), legend: ID }],
    }).lineInterpolation(common.LineInterpolation.StepAfter);
  const SERVICE_SLO = legend(LABELS.service, SLO_LABEL);
  const held = [
    { id: "mappings", value: VERDICT_MAPPINGS },
    { id: "thresholds", value: { mode: "absolute", steps: HELD_STEPS } },
  ];

  const builder = shell(
    settings,
    "chaos",
    "Chaos game days",
    "Chaos experiments (infra/chaos/catalogue.ts) run by `npm run chaos`: the last verdict of each, measured detection, recovery and error budget against the limits planned for that run, their history, Chaos Mesh's own objects, and the services' SLIs and burn rates with each fault window marked. The results come from the runner through the Pushgateway; Chaos Mesh runs only where the stack enables chaos (dev, staging).",
    { from: "now-24h" },
  );
  for (const a of faultWindowAnnotations()) builder.annotation(a);
  return builder
    .withRow(row("Last game day of each experiment"))
    .withPanel(
      statPanel({
        title: "Hypothesis held, last run",
        description: `${CHAOS_METRICS.hypothesisPassed} of the latest run of each experiment: held when every line of its hypothesis held (alerts fired in time, forbidden ones stayed quiet, recovery and budget within their limits).`,
        unit: "none",
        width: 24,
        height: 4,
        targets: [{ expr: lastRun(CHAOS_METRICS.hypothesisPassed), legend: ID }],
        steps: HELD_STEPS,
        noValue: "no game day yet",
      })
        .mappings(VERDICT_MAPPINGS)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withPanel(
      tablePanel({
        title: "Last run of each experiment against its hypothesis",
        description: `Measured values of each experiment's latest run beside the hypothesis limits it was judged by (${PLANNED}), and the planned fault length. An empty time to detect: an expected alert never fired; an empty detect limit: none must fire. Click a target for its errors dashboard.`,
        unit: "none",
        height: 9,
        targets: [
          table(lastRunRow(CHAOS_METRICS.hypothesisPassed)),
          table(lastRunRow(CHAOS_METRICS.detection)),
          table(lastRunRow(CHAOS_METRICS.detectionLimit)),
          table(lastRunRow(CHAOS_METRICS.recovery)),
          table(lastRunRow(CHAOS_METRICS.recoveryLimit)),
          table(lastRunRow(CHAOS_METRICS.budgetConsumed)),
          table(lastRunRow(CHAOS_METRICS.budgetLimit)),
          table(`${lastRunRow(CHAOS_METRICS.faultStart)} * 1000`),
          table(lastRunRow(CHAOS_METRICS.faultDuration)),
        ],
        transformations: [
          MERGE_TABLES,
          hideColumns(["Time"]),
          renameColumns({
            "Value #A": "hypothesis",
            "Value #B": "time to detect",
            "Value #C": "detect limit",
            "Value #D": "time to recover",
            "Value #E": "recover limit",
            "Value #F": "budget consumed",
            "Value #G": "budget limit",
            "Value #H": "fault started",
            "Value #I": "fault length",
          }),
        ],
        columnUnits: {
          "time to detect": "s",
          "detect limit": "s",
          "time to recover": "s",
          "recover limit": "s",
          "budget consumed": "percentunit",
          "budget limit": "percentunit",
          "fault started": "dateTimeAsIso",
          "fault length": "s",
        },
        columnLinks: [
          {
            field: CHAOS_LABELS.target,
            links: [toDashboard(environment, "errors", `Errors of ${CELL_VALUE}`, { service: CELL_VALUE })],
          },
        ],
      }).overrideByName("hypothesis", held),
    )
    .withPanel(
      barGaugePanel({
        title: "Time to detect ÷ its limit, last run",
        description: `${CHAOS_METRICS.detection} (fault start → the last expected alert firing in Alertmanager) over that run's ${CHAOS_METRICS.detectionLimit} (maxDetectSeconds, ${PLANNED}). Yellow from 80 % of the limit, red beyond it. Experiments where no alert must fire have no bar.`,
        unit: "percentunit",
        width: 8,
        targets: [{ expr: shareOfLimit(CHAOS_METRICS.detection, CHAOS_METRICS.detectionLimit), legend: ID }],
        steps: WITHIN_LIMIT,
      }),
    )
    .withPanel(
      barGaugePanel({
        title: "Time to recover ÷ its limit, last run",
        description: `${CHAOS_METRICS.recovery} (fault end → SLIs back within objective and the expected alerts resolved) over that run's ${CHAOS_METRICS.recoveryLimit} (maxRecoverSeconds, ${PLANNED}). Yellow from 80 % of the limit, red beyond it.`,
        unit: "percentunit",
        width: 8,
        targets: [{ expr: shareOfLimit(CHAOS_METRICS.recovery, CHAOS_METRICS.recoveryLimit), legend: ID }],
        steps: WITHIN_LIMIT,
      }),
    )
    .withPanel(
      barGaugePanel({
        title: "Budget consumed ÷ its limit, last run",
        description: `${CHAOS_METRICS.budgetConsumed} (share of the SLO period's error budget the experiment spent: availability, or latency where the hypothesis names it) over that run's ${CHAOS_METRICS.budgetLimit} (maxBudgetConsumed, ${PLANNED}). Yellow from 80 % of the limit, red beyond it.`,
        unit: "percentunit",
        width: 8,
        targets: [{ expr: shareOfLimit(CHAOS_METRICS.budgetConsumed, CHAOS_METRICS.budgetLimit), legend: ID }],
        steps: WITHIN_LIMIT,
      }),
    )
    .withRow(row("History"))
    .withPanel(
      timeseriesPanel({
        title: "Hypothesis held by experiment",
        description: `${CHAOS_METRICS.hypothesisPassed} over time: it changes when a run's verdict differs from the one before; the fault-window annotations mark each run.`,
        unit: "none",
        width: 24,
        height: 7,
        min: 0,
        max: 1,
        targets: [{ expr: lastRun(CHAOS_METRICS.hypothesisPassed), legend: ID }],
      })
        .mappings(VERDICT_MAPPINGS)
        .lineInterpolation(common.LineInterpolation.StepAfter),
    )
    .withPanel(history("Time to detect by experiment", CHAOS_METRICS.detection, "s"))
    .withPanel(history("Time to recover by experiment", CHAOS_METRICS.recovery, "s"))
    .withPanel(history("Budget consumed by experiment", CHAOS_METRICS.budgetConsumed, "percentunit"))
    .withRow(row("Chaos Mesh"))
    .withPanel(
      timeseriesPanel({
        title: "Chaos Mesh experiments by kind and phase",
        description:
          "Chaos objects in the apps namespace as Chaos Mesh's controller counts them (PodChaos, NetworkChaos, StressChaos…; injecting, running, paused, finished, deleting). Empty where the stack does not enable chaos.",
        unit: "short",
        width: 12,
        min: 0,
        targets: [
          {
            expr: `sum by (kind, phase) (${mesh("chaos_controller_manager_chaos_experiments")})`,
            legend: "{{kind}} {{phase}}",
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Chaos Mesh events",
        description:
          "Kubernetes events by type and reason that Chaos Mesh's controller emitted for the apps namespace's chaos objects (a Warning means an injection or recovery failed).",
        unit: "short",
        width: 8,
        min: 0,
        targets: [
          {
            expr: `sum by (type, reason) (increase(${mesh("chaos_controller_manager_emitted_event_total")}[${RATE}]))`,
            legend: "{{type}} {{reason}}",
          },
        ],
      }),
    )
    .withPanel(
      statPanel({
        title: "Schedules",
        description: "Chaos Mesh Schedule objects in the apps namespace: the recurring experiments (staging).",
        unit: "short",
        width: 4,
        height: 9,
        targets: [{ expr: `sum(${mesh("chaos_controller_manager_chaos_schedules")})`, legend: "schedules" }],
        steps: NEUTRAL,
        noValue: "none",
      }),
    )
    .withRow(row("The services during experiments"))
    .withPanel(
      timeseriesPanel({
        title: "Availability SLI (5m) by service",
        description: `1 - ${SLO_RECORDS.errorRatio("5m")} for availability, against the objective (dashed, red below it); the fault windows are annotations.`,
        unit: "percentunit",
        width: 12,
        max: 1,
        targets: [
          {
            expr: `1 - ${record(SLO_RECORDS.errorRatio("5m"), `${SLO_LABEL}="availability"`)}`,
            legend: legend(LABELS.service),
          },
        ],
        steps: sliSteps(settings.slo.availability),
        links: serviceLinks(environment, { errors: true }),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Burn rate (5m and 1h) by service and SLO",
        description: `${SLO_RECORDS.currentBurnRate} and ${SLO_RECORDS.burnRate1h}: the budget spent this fast (1 = exactly the budget); the page fires where both windows of a pair pass their factor (dashed at ${pagingFactor(settings)}×, the smallest paging factor).`,
        unit: "suffix:×",
        width: 12,
        min: 0,
        targets: [
          { expr: record(SLO_RECORDS.currentBurnRate), legend: `${SERVICE_SLO} 5m` },
          { expr: record(SLO_RECORDS.burnRate1h), legend: `${SERVICE_SLO} 1h` },
        ],
        steps: burnSteps(pagingFactor(settings)),
        links: serviceLinks(environment, { errors: true }),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Error ratio by service",
        description: `${AGGREGATE_RECORDS.errorRatio}: yellow above the error budget, red where it would page if sustained.`,
        unit: "percentunit",
        width: 8,
        min: 0,
        targets: [{ expr: record(AGGREGATE_RECORDS.errorRatio), legend: legend(LABELS.service) }],
        steps: errorRatioSteps(settings),
        links: serviceLinks(environment, { errors: true }),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "p99 latency by service",
        description: `${AGGREGATE_RECORDS.latencyQuantile("p99")}: yellow past the latency SLO's threshold, red where ServiceHighLatencyP99 fires.`,
        unit: "s",
        width: 8,
        min: 0,
        targets: [{ expr: record(AGGREGATE_RECORDS.latencyQuantile("p99")), legend: legend(LABELS.service) }],
        steps: latencySteps(settings),
        links: serviceLinks(environment),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Alerts firing",
        description:
          "Firing alerts of the selected services in the environment, by name: detection is the moment the expected one appears (Alertmanager then routes or inhibits it).",
        unit: "short",
        width: 8,
        min: 0,
        targets: [
          {
            expr: `count by (alertname, ${ALERT_SERVICE_LABEL}) (${sel("ALERTS", `alertstate="firing"`, NS_MATCH, `${ALERT_SERVICE_LABEL}=~"$${V.service}"`)})`,
            legend: `{{alertname}} {{${ALERT_SERVICE_LABEL}}}`,
          },
        ],
      }),
    );
}
