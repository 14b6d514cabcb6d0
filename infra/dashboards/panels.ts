import * as bargauge from "@grafana/grafana-foundation-sdk/bargauge";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as logs from "@grafana/grafana-foundation-sdk/logs";
import * as loki from "@grafana/grafana-foundation-sdk/loki";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { asBuilder, type DataLink } from "./links";
import { DATASOURCES } from "./model";

/** Panel builders with the platform's defaults: table legends with values, sorted multi-series tooltips. */

type Steps = dashboard.Threshold[];

export interface Target {
  expr: string;
  legend?: string;
  instant?: boolean;
  format?: prometheus.PromQueryFormat;
  exemplar?: boolean;
}

export function promTarget(t: Target, refId: string): prometheus.DataqueryBuilder {
  const q = new prometheus.DataqueryBuilder()
    .datasource(DATASOURCES.prometheus)
    .refId(refId)
    .expr(t.expr)
    .legendFormat(t.legend ?? "__auto")
    .exemplar(t.exemplar ?? false);
  if (t.instant) q.instant();
  else q.range();
  if (t.format) q.format(t.format);
  return q;
}

export function lokiTarget(expr: string, refId: string, legend?: string): loki.DataqueryBuilder {
  const q = new loki.DataqueryBuilder().datasource(DATASOURCES.loki).refId(refId).expr(expr);
  if (legend) q.legendFormat(legend);
  return q;
}

const refIds = (targets: Target[]) => targets.map((t, i) => promTarget(t, String.fromCharCode(65 + i)));

export interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  targets: Target[];
  width?: number;
  height?: number;
  /** Data links on every series (drill-downs); `${__field.labels.x}` is the clicked series' label. */
  links?: DataLink[];
}

export const thresholds = (steps: Steps) =>
  new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps);

/** Series whose display name matches a pattern get a fixed colour: 5xx red and 4xx amber everywhere. */
export interface FixedColour {
  pattern: string;
  color: string;
}
export const STATUS_COLOURS: FixedColour[] = [
  { pattern: "^5(xx|\\d\\d)\\b.*", color: "red" },
  { pattern: "^4(xx|\\d\\d)\\b.*", color: "orange" },
];
const fixedColour = (color: string): dashboard.DynamicConfigValue => ({
  id: "color",
  value: { mode: "fixed", fixedColor: color },
});

const tableLegend = () =>
  new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Bottom)
    .calcs(["lastNotNull", "mean", "max"])
    .sortBy("Max")
    .sortDesc(true);

const sortedTooltip = () =>
  new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending);

export interface TimeseriesSpec extends PanelSpec {
  min?: number;
  max?: number;
  /** Drawn as dashed threshold lines (the budget, the SLO and alert thresholds, the retention size). */
  steps?: Steps;
  colours?: FixedColour[];
  /** Loki metric queries instead of the Prometheus targets. */
  lokiQueries?: { expr: string; legend: string }[];
}

export function timeseriesPanel(p: TimeseriesSpec): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(p.title)
    .description(p.description)
    .unit(p.unit)
    .span(p.width ?? 12)
    .height(p.height ?? 9)
    .fillOpacity(10)
    .legend(tableLegend())
    .tooltip(sortedTooltip());
  if (p.lokiQueries) {
    panel
      .datasource(DATASOURCES.loki)
      .targets(p.lokiQueries.map((q, i) => lokiTarget(q.expr, String.fromCharCode(65 + i), q.legend)));
  } else {
    panel.datasource(DATASOURCES.prometheus).targets(refIds(p.targets));
  }
  if (p.min !== undefined) panel.min(p.min);
  if (p.max !== undefined) panel.max(p.max);
  if (p.steps) {
    panel
      .thresholds(thresholds(p.steps))
      .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  }
  for (const c of p.colours ?? []) panel.overrideByRegexp(c.pattern, [fixedColour(c.color)]);
  if (p.links) panel.dataLinks(p.links.map(asBuilder));
  return panel;
}

export interface StatSpec extends PanelSpec {
  /** Required: a stat without thresholds is red at Grafana's default 80. */
  steps: Steps;
  noValue?: string;
}

export function statPanel(p: StatSpec): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .title(p.title)
    .description(p.description)
    .unit(p.unit)
    .datasource(DATASOURCES.prometheus)
    .targets(refIds(p.targets))
    .span(p.width ?? 6)
    .height(p.height ?? 5)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .thresholds(thresholds(p.steps));
  if (p.noValue) panel.noValue(p.noValue);
  if (p.links) panel.dataLinks(p.links.map(asBuilder));
  return panel;
}

export function barGaugePanel(p: PanelSpec & { steps: Steps }): bargauge.PanelBuilder {
  const panel = new bargauge.PanelBuilder()
    .title(p.title)
    .description(p.description)
    .unit(p.unit)
    .datasource(DATASOURCES.prometheus)
    .targets(refIds(p.targets))
    .span(p.width ?? 12)
    .height(p.height ?? 8)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .thresholds(thresholds(p.steps));
  if (p.links) panel.dataLinks(p.links.map(asBuilder));
  return panel;
}

export interface TableSpec extends PanelSpec {
  transformations?: dashboard.DataTransformerConfig[];
  /** Links on one column (by field name), e.g. the runbook of an alert name. */
  columnLinks?: { field: string; links: DataLink[] }[];
  /** Units of single columns (by field name). */
  columnUnits?: Record<string, string>;
  /** Loki or Jaeger queries instead of the Prometheus targets, on `datasource`. */
  queries?: { datasource: (typeof DATASOURCES)[keyof typeof DATASOURCES]; targets: cog.Builder<cog.Dataquery>[] };
}

export function tablePanel(p: TableSpec): table.PanelBuilder {
  const panel = new table.PanelBuilder()
    .title(p.title)
    .description(p.description)
    .unit(p.unit)
    .span(p.width ?? 24)
    .height(p.height ?? 8)
    .thresholds(thresholds([{ value: null, color: "text" }]));
  if (p.queries) panel.datasource(p.queries.datasource).targets(p.queries.targets);
  else panel.datasource(DATASOURCES.prometheus).targets(refIds(p.targets));
  if (p.transformations) panel.transformations(p.transformations);
  for (const c of p.columnLinks ?? []) panel.overrideByName(c.field, [{ id: "links", value: c.links }]);
  for (const [field, unit] of Object.entries(p.columnUnits ?? {}))
    panel.overrideByName(field, [{ id: "unit", value: unit }]);
  if (p.links) panel.dataLinks(p.links.map(asBuilder));
  return panel;
}

export function logsPanel(p: { title: string; description: string; expr: string; height?: number }): logs.PanelBuilder {
  return new logs.PanelBuilder()
    .title(p.title)
    .description(p.description)
    .unit("none")
    .datasource(DATASOURCES.loki)
    .withTarget(lokiTarget(p.expr, "A").maxLines(500))
    .showTime(true)
    .wrapLogMessage(true)
    .prettifyLogMessage(false)
    .enableLogDetails(true)
    .sortOrder(common.LogsSortOrder.Descending)
    .span(24)
    .height(p.height ?? 12);
}

export const row = (title: string) => new dashboard.RowBuilder(title);

/** Instant Prometheus tables merged into one row per series (the SLO headline, down targets, top lists). */
export const MERGE_TABLES: dashboard.DataTransformerConfig = { id: "merge", options: {} };
export const hideColumns = (names: string[]): dashboard.DataTransformerConfig => ({
  id: "organize",
  options: { excludeByName: Object.fromEntries(names.map((n) => [n, true])) },
});
export const renameColumns = (names: Record<string, string>): dashboard.DataTransformerConfig => ({
  id: "organize",
  options: { renameByName: names },
});
