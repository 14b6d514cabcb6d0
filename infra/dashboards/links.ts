import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { LABELS, LOG_FIELDS } from "../../contract";
import { type AnyDashboardKey, DATASOURCES, dashboardUid, DASHBOARD_VARIABLES as V } from "./model";
import { failureFilter, NS_MATCH } from "./queries";

/** A data link on a field: Grafana interpolates `${…}` (the clicked series' labels, time range, variables). */
export interface DataLink {
  title: string;
  url: string;
}

/** A Grafana variable reference, `${name}`, as Grafana interpolates it in links. */
export const grafanaVar = (name: string) => `\${${name}}`;
/** The clicked series' value of a label. */
export const fieldLabel = (label: string) => grafanaVar(`__field.labels.${label}`);
/** The clicked table cell's value. */
export const CELL_VALUE = grafanaVar("__value.raw");
/** A data link as the builders take it (plain title and url, not a dashboard-link object). */
export const asBuilder = (link: DataLink): cog.Builder<dashboard.DashboardLink> => ({
  build: () => link as dashboard.DashboardLink,
});

/** The datasource variables, carried into every linked dashboard so it reads the same environment. */
const KEEP_DATASOURCES = [V.prometheus, V.loki, V.jaeger].map((v) => `\${${v}:queryparam}`).join("&");

/** To another generated dashboard of the environment, for the clicked service (and route), same time range. */
export function toDashboard(
  environment: string,
  key: AnyDashboardKey,
  title: string,
  vars: Partial<Record<"service" | "route", string>>,
): DataLink {
  const params = Object.entries(vars).map(([name, value]) => `var-${name}=${value}`);
  return {
    title,
    url: `/d/${dashboardUid(environment, key)}/?\${__url_time_range}&${KEEP_DATASOURCES}&${params.join("&")}`,
  };
}

/**
 * An Explore URL whose pane JSON keeps Grafana's `${…}` tokens raw: the JSON around them is URL-encoded,
 * the tokens are not, or Grafana would not see them to interpolate.
 */
function exploreUrl(pane: Record<string, unknown>): string {
  const tokens: string[] = [];
  const json = JSON.stringify({ a: pane }).replace(/\$\{[^}]+\}/g, (token) => {
    tokens.push(token);
    return `@@${tokens.length - 1}@@`;
  });
  const encoded = encodeURIComponent(json).replace(/%40%40(\d+)%40%40/g, (_m, i: string) => tokens[Number(i)] ?? "");
  return `/explore?schemaVersion=1&orgId=1&panes=${encoded}`;
}

const range = { from: grafanaVar("__from"), to: grafanaVar("__to") };

/** Explore on Loki: the clicked service's lines (through `pipeline`) over the panel's time range. */
export function toLogs(title: string, pipeline = ""): DataLink {
  const expr = `{${NS_MATCH}, ${LOG_FIELDS.service}="${fieldLabel(LABELS.service)}"}${pipeline}`;
  return {
    title,
    url: exploreUrl({
      datasource: DATASOURCES.loki.uid,
      queries: [{ refId: "A", expr, datasource: DATASOURCES.loki }],
      range,
    }),
  };
}

/** Explore on Jaeger: a search of the clicked service's traces (only failed ones with `errorsOnly`). */
export function toTraces(title: string, errorsOnly: boolean, service = fieldLabel(LABELS.service)): DataLink {
  return {
    title,
    url: exploreUrl({
      datasource: DATASOURCES.jaeger.uid,
      queries: [
        {
          refId: "A",
          queryType: "search",
          service,
          ...(errorsOnly ? { tags: "error=true" } : {}),
          limit: 20,
          datasource: DATASOURCES.jaeger,
        },
      ],
      range,
    }),
  };
}

/** The drill-downs of a per-service series: its latency and errors dashboards, its logs, its traces. */
export function serviceLinks(environment: string, options: { errors?: boolean; route?: boolean } = {}): DataLink[] {
  const vars = {
    service: fieldLabel(LABELS.service),
    ...(options.route ? { route: fieldLabel(LABELS.route) } : {}),
  };
  const what = options.route ? `${fieldLabel(LABELS.service)} ${fieldLabel(LABELS.route)}` : fieldLabel(LABELS.service);
  return [
    toDashboard(environment, "latency", `Latency of ${what}`, vars),
    toDashboard(environment, "errors", `Errors of ${what}`, vars),
    options.errors
      ? toLogs(`Failure logs of ${what}`, failureFilter(options.route ? fieldLabel(LABELS.route) : undefined))
      : toLogs(`Logs of ${fieldLabel(LABELS.service)}`),
    toTraces(
      `${options.errors ? "Failed traces" : "Traces"} of ${fieldLabel(LABELS.service)} in Jaeger`,
      options.errors ?? false,
    ),
  ];
}
