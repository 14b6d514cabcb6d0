import type * as bargauge from "@grafana/grafana-foundation-sdk/bargauge";
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { type DecisionOutcome, LABELS, RESPONDER_LABELS, RESPONDER_METRICS } from "../../contract";
import { AGGREGATE_RECORDS } from "../alerting/names";
import { eventsWithin } from "../alerting/responder-rules";
import { PROBE_JOBS } from "../probes/probes";
import { serviceLinks } from "./links";
import { barGaugePanel, type FixedColour, row, statPanel, timeseriesPanel } from "./panels";
import { API_MATCH, legend, platform, RATE, REQUESTS, ROUTE_MATCH, record, svc } from "./queries";
import { type DashboardSettings, errorBudget, errorRatioSteps, latencySteps, NEUTRAL, ZERO_IS_GOOD } from "./settings";
import { shell } from "./shell";

/** A blackbox-probe metric of the selected services in the environment, for the given probe jobs. */
const probe = (metric: "probe_success" | "probe_duration_seconds", ...jobs: string[]) =>
  svc(metric, `job=~"${jobs.join("|")}"`);

/** The decisions where the responder acted, or would have (dry run), or tried and failed. */
export const ACTION_OUTCOMES = ["acted", "dry_run", "failed"] as const satisfies readonly DecisionOutcome[];
const EFFECT_COLOURS: FixedColour[] = [
  { pattern: "^effective$", color: "green" },
  { pattern: "^ineffective$", color: "red" },
  { pattern: "^unknown$", color: "text" },
];
const OUTCOME_COLOURS: FixedColour[] = [
  { pattern: "^acted$", color: "green" },
  { pattern: "^dry_run$", color: "blue" },
  { pattern: "^failed$", color: "red" },
];
/** A bar gauge's bars in fixed colours by name (its thresholds colour them all alike otherwise). */
function coloured(panel: bargauge.PanelBuilder, colours: FixedColour[]): bargauge.PanelBuilder {
  for (const c of colours)
    panel.overrideByRegexp(c.pattern, [{ id: "color", value: { mode: "fixed", fixedColor: c.color } }]);
  return panel;
}
/**
 * A responder counter's increments over the dashboard's range, the first one of a new series included. The
 * responder runs in the platform namespace: its series carry that namespace, not the apps one.
 */
const overRange = (metric: string, ...matchers: string[]) => eventsWithin(platform(metric, ...matchers), "$__range");

export function serviceOverview(settings: DashboardSettings): dashboard.DashboardBuilder {
  const rate = record(AGGREGATE_RECORDS.requestRate);
  const errorRatio = record(AGGREGATE_RECORDS.errorRatio);
  const links = serviceLinks(settings.environment);
  const budget = errorBudget(settings.slo.availability);
  return shell(
    settings,
    "service-overview",
    "Service overview",
    "RED metrics (rate, errors, duration) per service from the aggregate recording rules, busiest and failing routes, synthetic probes, runtime saturation, and what the alert responder decided and did. Click a series for its latency or errors dashboard, its logs or its traces.",
  )
    .withRow(row("Traffic, errors, duration"))
    .withPanel(
      statPanel({
        title: "Requests per second",
        description: `Total API request rate of the selected services (${AGGREGATE_RECORDS.requestRate}).`,
        unit: "reqps",
        targets: [{ expr: `sum(${rate})`, legend: "requests/s" }],
        steps: NEUTRAL,
        width: 8,
      }),
    )
    .withPanel(
      statPanel({
        title: "Error ratio",
        description: `Share of API requests answered with a 5xx, weighted by each service's request rate. Yellow above the error budget (${budget * 100}% for the ${settings.slo.availability * 100}% objective), red where a burn-rate page fires if it lasts.`,
        unit: "percentunit",
        targets: [
          {
            expr: `sum(${errorRatio} * on(namespace, ${LABELS.service}) ${rate}) / sum(${rate})`,
            legend: "5xx share",
          },
        ],
        steps: errorRatioSteps(settings),
        width: 8,
      }),
    )
    .withPanel(
      statPanel({
        title: "Slowest p99 latency",
        description: `Highest p99 request duration among the selected services (5m window). Yellow past the latency SLO's threshold (${settings.slo.latencyThresholdSeconds}s), red where ServiceHighLatencyP99 fires (${settings.highLatencyAlertSeconds}s).`,
        unit: "s",
        targets: [{ expr: `max(${record(AGGREGATE_RECORDS.latencyQuantile("p99"))})`, legend: "p99" }],
        steps: latencySteps(settings),
        width: 8,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Request rate by service",
        description: `API requests per second (recording rule ${AGGREGATE_RECORDS.requestRate}).`,
        unit: "reqps",
        width: 8,
        targets: [{ expr: rate, legend: legend(LABELS.service) }],
        links,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Error ratio by service",
        description: `Share of API requests answered with a 5xx (recording rule ${AGGREGATE_RECORDS.errorRatio}); the dashed lines are the error budget and the paging level.`,
        unit: "percentunit",
        min: 0,
        width: 8,
        targets: [{ expr: errorRatio, legend: legend(LABELS.service) }],
        steps: errorRatioSteps(settings),
        links: serviceLinks(settings.environment, { errors: true }),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "p99 latency by service",
        description: `p99 request duration (recording rule, 5m window); dashed: the latency SLO threshold and the ServiceHighLatencyP99 level.`,
        unit: "s",
        width: 8,
        targets: [{ expr: record(AGGREGATE_RECORDS.latencyQuantile("p99")), legend: `${legend(LABELS.service)} p99` }],
        steps: latencySteps(settings),
        links,
      }),
    )
    .withPanel(
      barGaugePanel({
        title: "Busiest routes over the range",
        description: `The 10 routes with the most API requests over the selected time range (raw ${REQUESTS}), so the list still tells what happened once an incident is over.`,
        unit: "short",
        width: 12,
        steps: NEUTRAL,
        targets: [
          {
            expr: `topk(10, sum by (${LABELS.service}, ${LABELS.route}) (increase(${svc(REQUESTS, API_MATCH, ROUTE_MATCH)}[$__range])))`,
            legend: `${legend(LABELS.service)} ${legend(LABELS.route)}`,
            instant: true,
          },
        ],
        links: serviceLinks(settings.environment, { route: true }),
      }),
    )
    .withPanel(
      barGaugePanel({
        title: "Most failing routes over the range (5xx)",
        description: `The 10 routes with the most 5xx answers over the selected time range (raw ${REQUESTS}).`,
        unit: "short",
        width: 12,
        steps: [
          { value: null, color: "green" },
          { value: 1, color: "red" },
        ],
        targets: [
          {
            expr: `topk(10, sum by (${LABELS.service}, ${LABELS.route}) (increase(${svc(REQUESTS, API_MATCH, ROUTE_MATCH, `${LABELS.status}=~"5.."`)}[$__range])))`,
            legend: `${legend(LABELS.service)} ${legend(LABELS.route)}`,
            instant: true,
          },
        ],
        links: serviceLinks(settings.environment, { route: true, errors: true }),
      }),
    )
    .withRow(row("Synthetic probes"))
    .withPanel(
      statPanel({
        title: "Probes failing now",
        description: `Blackbox probes of the selected services whose last run failed: /readyz through each Service (${PROBE_JOBS.readiness}) and the end-to-end reads (${PROBE_JOBS.endToEnd}). ServiceProbeFailing pages when one keeps failing.`,
        unit: "none",
        targets: [
          {
            expr: `count(${probe("probe_success", PROBE_JOBS.readiness, PROBE_JOBS.endToEnd)} == 0) or vector(0)`,
            legend: "failing",
          },
        ],
        steps: ZERO_IS_GOOD,
        width: 6,
        height: 8,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Probe success by service",
        description: "1 while the probe passes, 0 while it fails (the worst of the service's probes of each job).",
        unit: "none",
        width: 9,
        height: 8,
        min: 0,
        max: 1,
        targets: [
          {
            expr: `min by (${LABELS.service}, job) (${probe("probe_success", PROBE_JOBS.readiness, PROBE_JOBS.endToEnd)})`,
            legend: `${legend(LABELS.service)} ${legend("job")}`,
          },
        ],
        links: serviceLinks(settings.environment, { errors: true }),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "End-to-end probe duration",
        description: `How long the end-to-end read takes from inside the cluster (DNS, connect, answer); dashed where ServiceProbeSlow fires on its 5-minute average (${settings.probeLatencySeconds}s).`,
        unit: "s",
        width: 9,
        height: 8,
        targets: [
          {
            expr: `max by (${LABELS.service}) (${probe("probe_duration_seconds", PROBE_JOBS.endToEnd)})`,
            legend: legend(LABELS.service),
          },
        ],
        steps: [
          { value: null, color: "green" },
          { value: settings.probeLatencySeconds, color: "red" },
        ],
        links,
      }),
    )
    .withRow(row("Saturation"))
    .withPanel(
      timeseriesPanel({
        title: "Event-loop lag p99",
        description:
          "99th percentile event-loop delay per pod (prom-client). Rising lag means the process is CPU-bound or blocked, and every request waits.",
        unit: "s",
        width: 8,
        targets: [
          {
            expr: `max by (${LABELS.service}, instance) (${svc("nodejs_eventloop_lag_p99_seconds")})`,
            legend: `${legend(LABELS.service)} ${legend("instance")}`,
          },
        ],
        links,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "CPU usage",
        description: "CPU time per second per pod (1 = one full core).",
        unit: "percentunit",
        width: 8,
        targets: [
          {
            expr: `sum by (${LABELS.service}, instance) (rate(${svc("process_cpu_seconds_total")}[${RATE}]))`,
            legend: `${legend(LABELS.service)} ${legend("instance")}`,
          },
        ],
        links,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Resident memory",
        description: "Resident set size per pod.",
        unit: "bytes",
        width: 8,
        targets: [
          {
            expr: `sum by (${LABELS.service}, instance) (${svc("process_resident_memory_bytes")})`,
            legend: `${legend(LABELS.service)} ${legend("instance")}`,
          },
        ],
        links,
      }),
    )
    .withRow(row("Responder"))
    .withPanel(
      timeseriesPanel({
        title: "Responder decisions by outcome",
        description: `Decisions per minute of the alert responder (${RESPONDER_METRICS.decisions}), one per alert of each Alertmanager notification: acted, dry_run (would have acted), failed after every retry, or why nothing was done (held, cooldown, rate_limited, duplicate, …).`,
        unit: "opm",
        width: 8,
        height: 8,
        min: 0,
        targets: [
          {
            expr: `sum by (${RESPONDER_LABELS.outcome}) (rate(${platform(RESPONDER_METRICS.decisions)}[${RATE}])) * 60`,
            legend: legend(RESPONDER_LABELS.outcome),
          },
        ],
        colours: OUTCOME_COLOURS,
      }),
    )
    .withPanel(
      barGaugePanel({
        title: "Responder actions by alert",
        description: `Actions over the selected time range by the alert that triggered them, the action and its outcome (${ACTION_OUTCOMES.join(", ")}). In dry-run mode every action is a dry_run.`,
        unit: "short",
        width: 7,
        height: 8,
        steps: NEUTRAL,
        targets: [
          {
            expr: `round(sum by (${RESPONDER_LABELS.alertname}, ${RESPONDER_LABELS.action}, ${RESPONDER_LABELS.outcome}) (${overRange(RESPONDER_METRICS.decisions, `${RESPONDER_LABELS.outcome}=~"${ACTION_OUTCOMES.join("|")}"`)}))`,
            legend: legend(RESPONDER_LABELS.alertname, RESPONDER_LABELS.action, RESPONDER_LABELS.outcome),
            instant: true,
          },
        ],
      }),
    )
    .withPanel(
      coloured(
        barGaugePanel({
          title: "Action effect",
          description: `Actions over the selected time range by what their verification window showed (${RESPONDER_METRICS.actionEffective}): effective (the alert resolved, the burn rate fell), ineffective, or unknown. Repeated ineffective actions fire ResponderActionsFailing.`,
          unit: "short",
          width: 4,
          height: 8,
          steps: NEUTRAL,
          targets: [
            {
              expr: `round(sum by (${RESPONDER_LABELS.outcome}) (${overRange(RESPONDER_METRICS.actionEffective)}))`,
              legend: legend(RESPONDER_LABELS.outcome),
              instant: true,
            },
          ],
        }),
        EFFECT_COLOURS,
      ),
    )
    .withPanel(
      statPanel({
        title: "Raises in force",
        description: `Temporary replica raises the responder keeps in force (${RESPONDER_METRICS.temporaryRaises}): each is reverted when it expires, and the next pulumi up resets it anyway. Amber while one is in force: the service needed more replicas than its stack config allows.`,
        unit: "none",
        targets: [{ expr: `sum(${platform(RESPONDER_METRICS.temporaryRaises)}) or vector(0)`, legend: "raises" }],
        steps: [
          { value: null, color: "green" },
          { value: 1, color: "orange" },
        ],
        width: 5,
        height: 8,
      }),
    );
}
