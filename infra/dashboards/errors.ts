import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as loki from "@grafana/grafana-foundation-sdk/loki";
import { LABELS, LOG_FIELDS, METRICS } from "../../contract";
import { AGGREGATE_RECORDS } from "../alerting/names";
import { grafanaVar, serviceLinks, toTraces } from "./links";
import { DATASOURCES, DASHBOARD_VARIABLES as V } from "./model";
import {
  hideColumns,
  logsPanel,
  lokiTarget,
  renameColumns,
  row,
  STATUS_COLOURS,
  tablePanel,
  timeseriesPanel,
} from "./panels";
import {
  API_MATCH,
  FAILURE_LINES,
  legend,
  NS_MATCH,
  RATE,
  REQUESTS,
  ROUTE_MATCH,
  record,
  STATUS_MATCH,
  sel,
  svc,
} from "./queries";
import { type DashboardSettings, errorRatioSteps } from "./settings";
import { shell } from "./shell";

/** Failure lines counted per service and level (Loki). */
export const FAILURE_LINE_RATE = `sum by (${LOG_FIELDS.service}, ${LOG_FIELDS.level}) (count_over_time(${FAILURE_LINES} [$__auto]))`;
/** The most frequent failure messages over the whole range: still there once the incident is over. */
export const TOP_FAILURE_MESSAGES = `topk(10, sum by (${LOG_FIELDS.service}, ${LOG_FIELDS.message}, ${LOG_FIELDS.route}, ${LOG_FIELDS.status}) (count_over_time(${FAILURE_LINES} [$__range])))`;

/** Jaeger's search of one service's failed traces (the panel repeats per selected service). */
const failedTraces: cog.Builder<cog.Dataquery> = {
  build: () =>
    ({
      refId: "A",
      datasource: DATASOURCES.jaeger,
      queryType: "search",
      service: `$${V.service}`,
      tags: "error=true",
      limit: 20,
    }) as unknown as cog.Dataquery,
};

export function errors(settings: DashboardSettings): dashboard.DashboardBuilder {
  const { environment } = settings;
  const errorLinks = serviceLinks(environment, { errors: true });
  const routeErrorLinks = serviceLinks(environment, { errors: true, route: true });
  const byStatusClass = (cls: "4" | "5") =>
    `sum by (${LABELS.service}) (rate(${svc(REQUESTS, API_MATCH, ROUTE_MATCH, `${LABELS.status}=~"${cls}.."`)}[${RATE}]))`;
  return shell(
    settings,
    "errors",
    "Errors",
    "Where requests fail: error ratio and rate per service, responses by route and status, order's business failures, injected faults, the failure log lines (errors, warnings and 5xx access lines) and the failed traces.",
  )
    .withRow(row("HTTP errors"))
    .withPanel(
      timeseriesPanel({
        title: "Error ratio by service",
        description: `Share of API requests answered with a 5xx (${AGGREGATE_RECORDS.errorRatio}); dashed: the error budget and the paging level.`,
        unit: "percentunit",
        min: 0,
        targets: [{ expr: record(AGGREGATE_RECORDS.errorRatio), legend: legend(LABELS.service) }],
        steps: errorRatioSteps(settings),
        links: errorLinks,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "5xx and 4xx per second by service",
        description: `Failed API requests per second by status class (raw ${REQUESTS}, route filter applied).`,
        unit: "reqps",
        targets: [
          { expr: byStatusClass("5"), legend: `5xx ${legend(LABELS.service)}` },
          { expr: byStatusClass("4"), legend: `4xx ${legend(LABELS.service)}` },
        ],
        colours: STATUS_COLOURS,
        links: errorLinks,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Responses by route and status",
        description: `API responses per second by route and status code, for the statuses chosen in the Status filter (raw ${REQUESTS}).`,
        unit: "reqps",
        width: 24,
        targets: [
          {
            expr: `sum by (${LABELS.service}, ${LABELS.route}, ${LABELS.status}) (rate(${svc(REQUESTS, API_MATCH, ROUTE_MATCH, STATUS_MATCH)}[${RATE}]))`,
            legend: `${legend(LABELS.status)} ${legend(LABELS.service)} ${legend(LABELS.route)}`,
          },
        ],
        colours: STATUS_COLOURS,
        links: routeErrorLinks,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Order failures by reason",
        description: `Orders rejected or failed per second by reason (${METRICS.orderFailures}; only order emits it, so it ignores the service filter).`,
        unit: "ops",
        width: 8,
        targets: [
          {
            expr: `sum by (${LABELS.reason}) (rate(${sel(METRICS.orderFailures, NS_MATCH)}[${RATE}]))`,
            legend: legend(LABELS.reason),
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Failed downstream calls and injected faults",
        description: `Calls to dependencies that failed, by dependency and error type (${METRICS.clientDuration}), and faults injected on purpose (${METRICS.faultsInjected}): injected faults explain errors that are not bugs.`,
        unit: "ops",
        width: 8,
        targets: [
          {
            expr: `sum by (${LABELS.service}, ${LABELS.peerService}, ${LABELS.errorType}) (rate(${svc(`${METRICS.clientDuration}_count`, `${LABELS.errorType}!=""`)}[${RATE}]))`,
            legend: `${legend(LABELS.service)} → ${legend(LABELS.peerService)} ${legend(LABELS.errorType)}`,
          },
          {
            expr: `sum by (${LABELS.service}, ${LABELS.fault}) (rate(${svc(METRICS.faultsInjected)}[${RATE}]))`,
            legend: `fault ${legend(LABELS.service)} ${legend(LABELS.fault)}`,
          },
        ],
        links: errorLinks,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Fault settings in force",
        description: `The fault-injection settings of each service (${METRICS.faultSetting}; 0 = off): error_rate is a share, latency in ms, outage_routes a count of routes answered 503, unready 1 while /readyz is held at 503.`,
        unit: "short",
        width: 8,
        targets: [
          {
            expr: `max by (${LABELS.service}, ${LABELS.faultSetting}) (${svc(METRICS.faultSetting)})`,
            legend: `${legend(LABELS.service)} ${legend(LABELS.faultSetting)}`,
          },
        ],
        links: errorLinks,
      }),
    )
    .withRow(row("Failure logs"))
    .withPanel(
      timeseriesPanel({
        title: "Failure log lines per service",
        description:
          "Error and warning lines, and the access lines of 5xx answers (logged at info, never sampled out), per service and level (Loki).",
        unit: "short",
        targets: [],
        lokiQueries: [{ expr: FAILURE_LINE_RATE, legend: `${legend(LOG_FIELDS.service)} ${legend(LOG_FIELDS.level)}` }],
        links: errorLinks,
      }),
    )
    .withPanel(
      tablePanel({
        title: "Top failure messages over the range",
        description:
          "The 10 most frequent failure lines (message, route, status) over the whole selected range (Loki), so they remain once the incident is over.",
        unit: "short",
        width: 12,
        targets: [],
        queries: {
          datasource: DATASOURCES.loki,
          targets: [lokiTarget(TOP_FAILURE_MESSAGES, "A").queryType(loki.LokiQueryType.Instant)],
        },
        transformations: [hideColumns(["Time"]), renameColumns({ "Value #A": "lines" })],
      }),
    )
    .withPanel(
      logsPanel({
        title: "Failure logs",
        description:
          "Error and warning lines and 5xx access lines of the selected services; open a line and follow its TraceID link (the Loki datasource's derived field) to the trace in Jaeger.",
        expr: FAILURE_LINES,
      }),
    )
    .withRow(row("Failed traces"))
    .withPanel(
      tablePanel({
        title: `Failed traces: $${V.service}`,
        description:
          "Jaeger's search for the service's traces with an error span (tag error=true), newest first; click a trace id to open it.",
        unit: "none",
        width: 12,
        targets: [],
        queries: { datasource: DATASOURCES.jaeger, targets: [failedTraces] },
        links: [toTraces(`Failed traces of ${grafanaVar(V.service)} in Jaeger`, true, grafanaVar(V.service))],
      })
        .repeat(V.service)
        .repeatDirection("h")
        .maxPerRow(2),
    );
}
