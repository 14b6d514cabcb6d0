import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as heatmap from "@grafana/grafana-foundation-sdk/heatmap";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import { LABELS, METRICS } from "../../contract";
import { AGGREGATE_RECORDS } from "../alerting/names";
import { serviceLinks } from "./links";
import { DATASOURCES, DASHBOARD_VARIABLES as V } from "./model";
import { promTarget, row, timeseriesPanel } from "./panels";
import {
  API_MATCH,
  BUCKETS,
  latencySli,
  legend,
  RATE,
  REQUESTS,
  ROUTE_MATCH,
  rawQuantile,
  record,
  svc,
} from "./queries";
import { type DashboardSettings, latencySteps, sliSteps } from "./settings";
import { shell } from "./shell";

/** One heatmap per selected service (repeated), exemplars on: each dot opens its trace. */
function serviceHeatmap(): heatmap.PanelBuilder {
  return new heatmap.PanelBuilder()
    .title(`Request duration: $${V.service}`)
    .description(
      `Requests per duration bucket of one service (raw ${BUCKETS}, API routes of the route filter). Each cell is a request rate; each dot an exemplar whose trace_id opens the trace in Jaeger.`,
    )
    .unit("reqps")
    .datasource(DATASOURCES.prometheus)
    .withTarget(
      promTarget(
        {
          expr: `sum by (le) (rate(${svc(BUCKETS, API_MATCH, ROUTE_MATCH)}[${RATE}]))`,
          legend: legend("le"),
          format: prometheus.PromQueryFormat.Heatmap,
          exemplar: true,
        },
        "A",
      ),
    )
    .calculate(false)
    .yAxis(new heatmap.YAxisConfigBuilder().unit("s"))
    .color(
      new heatmap.HeatmapColorOptionsBuilder()
        .mode(heatmap.HeatmapColorMode.Scheme)
        .scheme("Spectral")
        .scale(heatmap.HeatmapColorScale.Exponential)
        .exponent(0.5),
    )
    .exemplarsColor("rgba(255,0,255,0.7)")
    .cellGap(1)
    .showLegend()
    .repeat(V.service)
    .repeatDirection("h")
    .maxPerRow(3)
    .span(8)
    .height(9);
}

export function latency(settings: DashboardSettings): dashboard.DashboardBuilder {
  const { environment } = settings;
  const { latency: objective, latencyThresholdSeconds: threshold } = settings.slo;
  const links = serviceLinks(environment);
  const routeLinks = serviceLinks(environment, { route: true });
  return shell(
    settings,
    "latency",
    "Latency",
    "Request duration per service and route: heatmaps and quantiles from the raw buckets (exemplars link to traces), the latency SLI, request rate beside each, and calls to dependencies.",
  )
    .withRow(row("Distribution per service"))
    .withPanel(serviceHeatmap())
    .withRow(row("Quantiles and traffic"))
    .withPanel(
      timeseriesPanel({
        title: "p50 / p90 / p99 by service",
        description: `Request duration quantiles from the aggregate recording rules (5m window, API routes; records carry no exemplars). Dashed: the latency SLO threshold (${threshold}s) and the ServiceHighLatencyP99 level (${settings.highLatencyAlertSeconds}s).`,
        unit: "s",
        targets: (["p50", "p90", "p99"] as const).map((q) => ({
          expr: record(AGGREGATE_RECORDS.latencyQuantile(q)),
          legend: `${legend(LABELS.service)} ${q}`,
        })),
        steps: latencySteps(settings),
        links,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Request rate by service",
        description: `API requests per second (${AGGREGATE_RECORDS.requestRate}): read latency against the load that causes it.`,
        unit: "reqps",
        targets: [{ expr: record(AGGREGATE_RECORDS.requestRate), legend: legend(LABELS.service) }],
        links,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "p99 by route (click a dot for its trace)",
        description:
          "p99 per route from the raw buckets, exemplars on: each dot is a sampled request whose trace_id links to Jaeger.",
        unit: "s",
        targets: [
          {
            expr: rawQuantile(0.99, [LABELS.service, LABELS.route], ROUTE_MATCH),
            legend: `${legend(LABELS.service)} ${legend(LABELS.route)}`,
            exemplar: true,
          },
        ],
        steps: latencySteps(settings),
        links: routeLinks,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Request rate by route",
        description: `API requests per second per route (raw ${REQUESTS}).`,
        unit: "reqps",
        targets: [
          {
            expr: `sum by (${LABELS.service}, ${LABELS.route}) (rate(${svc(REQUESTS, API_MATCH, ROUTE_MATCH)}[${RATE}]))`,
            legend: `${legend(LABELS.service)} ${legend(LABELS.route)}`,
          },
        ],
        links: routeLinks,
      }),
    )
    .withRow(row("Latency SLI"))
    .withPanel(
      timeseriesPanel({
        title: `Latency SLI by service: share faster than ${threshold}s`,
        description: `Share of API requests faster than the latency SLO's threshold (${threshold}s, the le="${threshold}" bucket), against the ${objective * 100}% objective (dashed).`,
        unit: "percentunit",
        max: 1,
        targets: [{ expr: latencySli(threshold, [LABELS.service], ROUTE_MATCH), legend: legend(LABELS.service) }],
        steps: sliSteps(objective),
        links,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: `Latency SLI by route: share faster than ${threshold}s`,
        description: `The same share per route: which route spends the latency budget.`,
        unit: "percentunit",
        max: 1,
        targets: [
          {
            expr: latencySli(threshold, [LABELS.service, LABELS.route], ROUTE_MATCH),
            legend: `${legend(LABELS.service)} ${legend(LABELS.route)}`,
          },
        ],
        steps: sliSteps(objective),
        links: routeLinks,
      }),
    )
    .withRow(row("Dependencies"))
    .withPanel(
      timeseriesPanel({
        title: "Downstream call p99 by dependency",
        description: `p99 duration of calls to dependencies (${METRICS.clientDuration}); a slow dependency shows here before it shows in the caller's own latency.`,
        unit: "s",
        targets: [
          {
            expr: `histogram_quantile(0.99, sum by (${LABELS.service}, ${LABELS.peerService}, le) (rate(${svc(`${METRICS.clientDuration}_bucket`)}[${RATE}])))`,
            legend: `${legend(LABELS.service)} → ${legend(LABELS.peerService)}`,
          },
        ],
        links,
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: "Downstream call rate by dependency",
        description: `Calls per second to each dependency (${METRICS.clientDuration}_count).`,
        unit: "reqps",
        targets: [
          {
            expr: `sum by (${LABELS.service}, ${LABELS.peerService}) (rate(${svc(`${METRICS.clientDuration}_count`)}[${RATE}]))`,
            legend: `${legend(LABELS.service)} → ${legend(LABELS.peerService)}`,
          },
        ],
        links,
      }),
    );
}
