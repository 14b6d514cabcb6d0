import {
  ALERT_LABELS,
  AUTOMATIC_RESPONSE_ANNOTATION,
  INFRA_PATHS,
  LABELS,
  METRICS,
  RESPONSE_ACTIONS,
  type ResponseAction,
  SERVICE_NAMES,
} from "../../contract";
import { AGGREGATE_RECORDS, SLI_WINDOWS, SLO_LABEL, SLO_RECORDS, type SliWindow } from "./names";
import { apiRequests, BURN_RATE_ALERTS, burnFactor, type Slo, sliErrorRatio } from "./slos";

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

/** Where runbooks live; each alert's runbook_url is `<base><AlertName>.md` (docs/runbooks/ in this repo). */
export const RUNBOOK_BASE_URL = "https://github.com/example/observability-platform/blob/main/docs/runbooks/";
export const runbook = (alert: string) => `${RUNBOOK_BASE_URL}${alert}.md`;

/** ServiceHighLatencyP99 fires when a service's p99 stays above this (seconds). */
export const HIGH_LATENCY_P99_SECONDS = 1;

/** The label alerts carry to name the service (Alertmanager groups and inhibits on it). */
export const ALERT_SERVICE_LABEL = ALERT_LABELS.service;

/**
 * Declares a rule's automatic response: the `response` label (Alertmanager routes it to the responder as
 * well as to the humans) and, in words, when and how it acts. The rule, its runbook and its response
 * live together; the responder's playbook is derived from the rules (playbook.ts).
 */
export function withResponse(rule: Rule, action: ResponseAction, description: string): Rule {
  return {
    ...rule,
    labels: { ...rule.labels, [ALERT_LABELS.response]: action },
    annotations: { ...rule.annotations, [AUTOMATIC_RESPONSE_ANNOTATION]: description },
  };
}

export const ALERT_NAMES = {
  fastBurn: "SLOFastBurn",
  slowBurn: "SLOSlowBurn",
  targetDown: "ServiceTargetDown",
  crashLooping: "ServicePodCrashLooping",
  highLatency: "ServiceHighLatencyP99",
  collectorRefusing: "OtelCollectorRefusingSpans",
  collectorExportFailing: "OtelCollectorExportFailing",
  jaegerNotAccepting: "JaegerNotAcceptingSpans",
  ruleFailures: "PrometheusRuleEvaluationFailures",
  storageNearlyFull: "PrometheusStorageNearlyFull",
  lokiUnhealthy: "LokiUnhealthy",
  watchdog: "Watchdog",
  headroomLow: "CapacityHeadroomLow",
  atMaxReplicas: "ServiceAtMaxReplicas",
  storeFillingUp: "StoreVolumeFillingUp",
  probeFailing: "ServiceProbeFailing",
  probeSlow: "ServiceProbeSlow",
} as const;

const sloSelector = (slo: Slo) =>
  `{namespace="${slo.namespace}",${LABELS.service}="${slo.service}",${SLO_LABEL}="${slo.kind}"}`;

/** Recording rules and burn-rate alerts of one SLO. */
export function sloRuleGroup(slo: Slo): RuleGroup {
  const labels = { namespace: slo.namespace, [LABELS.service]: slo.service, [SLO_LABEL]: slo.kind };
  const sel = sloSelector(slo);
  const budget = Math.round((1 - slo.objective) * 1e6) / 1e6;
  const windows: SliWindow[] = [...SLI_WINDOWS, slo.period];
  const records: Rule[] = windows.map((w) => ({
    record: SLO_RECORDS.errorRatio(w),
    expr: sliErrorRatio(slo, w),
    labels,
  }));
  records.push(
    { record: SLO_RECORDS.objective, expr: `vector(${slo.objective})`, labels },
    {
      record: SLO_RECORDS.budgetRemaining,
      expr: `1 - (${SLO_RECORDS.errorRatio(slo.period)}${sel} / ${budget})`,
      labels,
    },
    { record: SLO_RECORDS.currentBurnRate, expr: `${SLO_RECORDS.errorRatio("5m")}${sel} / ${budget}`, labels },
    { record: SLO_RECORDS.burnRate1h, expr: `${SLO_RECORDS.errorRatio("1h")}${sel} / ${budget}`, labels },
  );
  const what = slo.kind === "availability" ? "requests failing (5xx)" : `requests slower than ${slo.thresholdSeconds}s`;
  const alerts: Rule[] = BURN_RATE_ALERTS.map((a): Rule => {
    const factor = burnFactor(a, slo.period);
    const threshold = Math.round(factor * budget * 1e9) / 1e9;
    const name = a.severity === "page" ? ALERT_NAMES.fastBurn : ALERT_NAMES.slowBurn;
    // Minimum traffic: one failure among a handful of requests is not an outage worth a page.
    const traffic = `sum(rate(${METRICS.serverDuration}_count${apiRequests(slo)}[${a.longWindow}])) * 3600 >= ${slo.minRequestsPerHour}`;
    const rule: Rule = {
      alert: name,
      expr: `(${SLO_RECORDS.errorRatio(a.longWindow as SliWindow)}${sel} > ${threshold} and ${SLO_RECORDS.errorRatio(a.shortWindow as SliWindow)}${sel} > ${threshold}) and on() (${traffic})`,
      labels: {
        severity: a.severity,
        [ALERT_SERVICE_LABEL]: slo.service,
        [SLO_LABEL]: slo.kind,
        long_window: a.longWindow,
        short_window: a.shortWindow,
      },
      annotations: {
        summary: `${slo.service} ${slo.kind} SLO burns its error budget ${factor}x too fast`,
        description: `${slo.service}: ${what} over ${a.longWindow} and ${a.shortWindow} exceed ${factor}x the budget of the ${slo.objective * 100}% ${slo.kind} objective; at this rate ${a.budgetSpent * 100}% of the ${slo.period} budget is gone in ${a.longWindow}. See the SLO dashboard for the current burn rate.`,
        runbook_url: runbook(name),
      },
    };
    // Slow answers at the replica ceiling may be a lack of replicas; failures are not fixed by more of them.
    return slo.kind === "latency"
      ? withResponse(
          rule,
          RESPONSE_ACTIONS.raiseMaxReplicas,
          "when the service's HorizontalPodAutoscaler is at its maxReplicas: raise maxReplicas by the configured step (up to the cap) for a limited time, reverted when it expires",
        )
      : rule;
  });
  return { name: `slo-${slo.service}-${slo.kind}`, rules: [...records, ...alerts] };
}

/**
 * Per-service aggregates the dashboards read (cheap to query, one series per service or route). They keep
 * `namespace`, so dashboards can tell two environments' services apart in one Prometheus.
 */
export function aggregationRuleGroup(): RuleGroup {
  const count = `${METRICS.serverDuration}_count`;
  const api = `{${LABELS.route}!~"${INFRA_PATHS.join("|")}"}`;
  const errors = `{${LABELS.route}!~"${INFRA_PATHS.join("|")}",${LABELS.status}=~"5.."}`;
  const by = `sum by (namespace, ${LABELS.service})`;
  const byRoute = `sum by (namespace, ${LABELS.service}, ${LABELS.route})`;
  const quantile = (q: number) =>
    `histogram_quantile(${q}, sum by (namespace, ${LABELS.service}, le) (rate(${METRICS.serverDuration}_bucket${api}[5m])))`;
  return {
    name: "service-aggregates",
    rules: [
      { record: AGGREGATE_RECORDS.requestRate, expr: `${by} (rate(${count}${api}[5m]))` },
      {
        // zero rather than no series when there are no errors, so panels and ratios always have data
        record: AGGREGATE_RECORDS.errorRatio,
        expr: `(${by} (rate(${count}${errors}[5m])) or ${by} (rate(${count}${api}[5m])) * 0) / ${by} (rate(${count}${api}[5m]))`,
      },
      { record: AGGREGATE_RECORDS.routeRequestRate, expr: `${byRoute} (rate(${count}${api}[5m]))` },
      {
        record: AGGREGATE_RECORDS.routeErrorRate,
        expr: `${byRoute} (rate(${count}${errors}[5m])) or ${byRoute} (rate(${count}${api}[5m])) * 0`,
      },
      { record: AGGREGATE_RECORDS.latencyQuantile("p50"), expr: quantile(0.5) },
      { record: AGGREGATE_RECORDS.latencyQuantile("p90"), expr: quantile(0.9) },
      { record: AGGREGATE_RECORDS.latencyQuantile("p99"), expr: quantile(0.99) },
    ],
  };
}

export interface PlatformAlertArgs {
  /** Prometheus retentionSize in bytes, for the storage alert. */
  retentionSizeBytes: number;
  /** Namespace of the demo services (crash-loop alert). */
  appsNamespace: string;
  /** Namespace of the platform: a label on the platform alerts, so dashboards can show one environment's. */
  platformNamespace: string;
}

/** Service health and platform health alerts, plus the Watchdog heartbeat. */
export function healthRuleGroups({
  retentionSizeBytes,
  appsNamespace,
  platformNamespace,
}: PlatformAlertArgs): RuleGroup[] {
  const services = SERVICE_NAMES.join("|");
  const asService = (expr: string, from: string) =>
    `label_replace(${expr}, "${ALERT_SERVICE_LABEL}", "$1", "${from}", "(.*)")`;
  const a = ALERT_NAMES;
  const rule = (
    alert: string,
    expr: string,
    forDuration: string,
    severity: string,
    summary: string,
    description: string,
  ): Rule => ({
    alert,
    expr,
    ...(forDuration ? { for: forDuration } : {}),
    labels: { severity },
    annotations: { summary, description, runbook_url: runbook(alert) },
  });
  const groups: RuleGroup[] = [
    {
      name: "service-health",
      rules: [
        rule(
          a.targetDown,
          asService(`up{job=~"${services}"} == 0`, "job"),
          "2m",
          "critical",
          "{{ $labels.service }} target is down",
          "Prometheus cannot scrape {{ $labels.instance }} of {{ $labels.service }} for 2 minutes.",
        ),
        withResponse(
          rule(
            a.crashLooping,
            asService(
              `increase(kube_pod_container_status_restarts_total{namespace="${appsNamespace}",container=~"${services}"}[15m]) > 2`,
              "container",
            ),
            "5m",
            "warning",
            "{{ $labels.service }} pod {{ $labels.pod }} is restarting",
            "{{ $labels.pod }} restarted more than twice in 15 minutes.",
          ),
          RESPONSE_ACTIONS.restart,
          "restart the service's Deployment (what kubectl rollout restart does), unless a rollout is in progress or paused",
        ),
        rule(
          a.highLatency,
          asService(
            `histogram_quantile(0.99, sum by (namespace, ${LABELS.service}, le) (rate(${METRICS.serverDuration}_bucket{${LABELS.service}=~"${services}",${LABELS.route}!~"${INFRA_PATHS.join("|")}"}[5m]))) > ${HIGH_LATENCY_P99_SECONDS}`,
            LABELS.service,
          ),
          "10m",
          "warning",
          `{{ $labels.service }} p99 latency above ${HIGH_LATENCY_P99_SECONDS}s`,
          `p99 latency of {{ $labels.service }} has been above ${HIGH_LATENCY_P99_SECONDS}s for 10 minutes.`,
        ),
      ],
    },
    {
      name: "platform-health",
      rules: [
        rule(
          a.collectorRefusing,
          "sum(rate(otelcol_receiver_refused_spans_total[5m])) > 0",
          "5m",
          "warning",
          "The OpenTelemetry Collector refuses spans",
          "The collector refuses spans (memory_limiter or a bad payload): traces are lost.",
        ),
        rule(
          a.collectorExportFailing,
          `sum(rate(otelcol_exporter_send_failed_spans_total{exporter!~".*jaeger.*"}[5m])) > 0`,
          "5m",
          "critical",
          "The OpenTelemetry Collector fails to export spans",
          "Spans fail to export: traces are lost after the retry queue fills.",
        ),
        rule(
          a.jaegerNotAccepting,
          `sum(rate(otelcol_exporter_send_failed_spans_total{exporter=~".*jaeger.*"}[5m])) > 0`,
          "5m",
          "critical",
          "Jaeger does not accept spans",
          "The collector fails to send spans to Jaeger: Jaeger is down or its storage is full.",
        ),
        rule(
          a.ruleFailures,
          "increase(prometheus_rule_evaluation_failures_total[5m]) > 0",
          "",
          "critical",
          "Prometheus fails to evaluate rules",
          "Rule evaluations failed in group {{ $labels.rule_group }}: alerts may not fire.",
        ),
        rule(
          a.storageNearlyFull,
          `max without (instance, pod) (prometheus_tsdb_storage_blocks_bytes) / ${retentionSizeBytes} > 0.9`,
          "15m",
          "warning",
          "Prometheus storage is 90% of its retention size",
          "Blocks use over 90% of retentionSize: the oldest data is about to be deleted early.",
        ),
        rule(
          a.lokiUnhealthy,
          `(sum(up{job=~".*loki.*"}) or vector(0)) == 0 or sum(rate(loki_request_duration_seconds_count{status_code=~"5.."}[5m])) > 1`,
          "5m",
          "critical",
          "Loki is down or failing",
          "No Loki target is up, or Loki answers more than one 5xx per second: logs are not stored or not queryable.",
        ),
        {
          alert: a.watchdog,
          expr: "vector(1)",
          labels: { severity: "none" },
          annotations: {
            summary: "Alerting pipeline heartbeat",
            description:
              "Always firing. If the heartbeat receiver stops getting it, Prometheus or Alertmanager is broken.",
            runbook_url: runbook(a.watchdog),
          },
        },
      ],
    },
  ];
  // Platform alerts aggregate away the namespace; say whose platform they are about.
  return groups.map((g) =>
    g.name === "platform-health"
      ? { ...g, rules: g.rules.map((r) => ({ ...r, labels: { ...r.labels, namespace: platformNamespace } })) }
      : g,
  );
}

/** Every alert name the generated rules can fire. */
export function alertNames(groups: RuleGroup[]): string[] {
  return [...new Set(groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : []))))].sort();
}
