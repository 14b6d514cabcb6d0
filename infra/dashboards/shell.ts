import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { FAULT_SETTINGS, LABELS, METRICS } from "../../contract";
import { AGGREGATE_RECORDS, SLO_KINDS } from "../alerting/names";
import { ALERT_SERVICE_LABEL } from "../alerting/rules";
import {
  type AnyDashboardKey,
  DASHBOARD_TAG,
  DATASOURCE_DEFAULTS,
  DATASOURCES,
  dashboardUid,
  DASHBOARD_VARIABLES as V,
} from "./model";
import { NS_MATCH, PLATFORM_NS_MATCH, SERVICE_MATCH, sel } from "./queries";
import type { DashboardSettings } from "./settings";

/** Template variables, annotations and the dashboard shell every generated dashboard shares. */

/**
 * The environment filter of every generated dashboard (test/dashboards/environment-filter.test.ts checks each
 * selector): a `namespace` matcher naming the environment's namespaces (NS_MATCH, PLATFORM_NS_MATCH, or their
 * values), or, on series that carry the `environment` label instead (the cost records), this matcher on the
 * environment variable. A peer's column of the multi-environment dashboard names the peer's namespaces.
 */
export const ENVIRONMENT_MATCH = `environment="$${V.environment}"`;

const ALL = { selected: true, text: ["All"], value: ["$__all"] };

function datasourceVariable(name: string, kind: keyof typeof DATASOURCES, label: string) {
  const uid = DATASOURCE_DEFAULTS[kind];
  return new dashboard.DatasourceVariableBuilder(name)
    .label(label)
    .type(kind)
    .current({ selected: true, text: uid, value: uid });
}

const constant = (name: string, value: string, description: string) =>
  new dashboard.ConstantVariableBuilder(name).description(description).value(value);

/** The services that report traffic in the environment, from the cheap per-service request-rate record. */
export const SERVICE_VARIABLE_QUERY = `label_values(${sel(AGGREGATE_RECORDS.requestRate, NS_MATCH)}, ${LABELS.service})`;
/** Routes of the selected services (chained on the service variable). */
export const ROUTE_VARIABLE_QUERY = `label_values(${sel(AGGREGATE_RECORDS.routeRequestRate, NS_MATCH, SERVICE_MATCH)}, ${LABELS.route})`;

function queryVariable(name: string, label: string, query: string, allValue: string) {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCES.prometheus)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(allValue)
    .current(ALL);
}

/** Status classes; the value is the regex the queries match. */
const statusVariable = () =>
  new dashboard.CustomVariableBuilder(V.status)
    .label("Status")
    .values("5xx : 5..,4xx : 4..,3xx : 3..,2xx : 2..")
    .multi(true)
    .includeAll(true)
    .allValue(".+")
    .current(ALL);

export const sloVariable = () =>
  new dashboard.CustomVariableBuilder(V.slo)
    .label("SLO")
    .values(SLO_KINDS.join(","))
    .multi(true)
    .includeAll(true)
    .allValue(".+")
    .current(ALL);

/** Firing alerts of the environment: its apps namespace, or its platform namespace on platform dashboards. */
export const firingAlerts = (namespaceMatch: string) => sel("ALERTS", `alertstate="firing"`, namespaceMatch);

function annotations(scope: "apps" | "platform"): dashboard.AnnotationQueryBuilder[] {
  const prom = (name: string, color: string, expr: string) =>
    new dashboard.AnnotationQueryBuilder()
      .name(name)
      .datasource(DATASOURCES.prometheus)
      .enable(true)
      .iconColor(color)
      .expr(expr)
      .step("60s");
  const namespace = scope === "apps" ? NS_MATCH : PLATFORM_NS_MATCH;
  const alerts = prom("Firing alerts", "red", firingAlerts(namespace))
    .titleFormat("{{alertname}}")
    .textFormat(`{{severity}} {{${ALERT_SERVICE_LABEL}}} {{slo}} {{long_window}}`)
    .tagKeys("severity");
  // A pod's start time as the annotation's time: one mark per deploy, restart or rescheduling.
  const who = scope === "apps" ? LABELS.service : "job";
  const starts = prom(
    "Pod starts (deploys, restarts)",
    "blue",
    `max by (${who}, instance) (${sel("process_start_time_seconds", namespace, ...(scope === "apps" ? [SERVICE_MATCH] : []))}) * 1000`,
  )
    .useValueForTime(true)
    .titleFormat(`{{${who}}} started`)
    .textFormat("{{instance}}");
  if (scope === "platform") return [alerts, starts];
  const faults = prom(
    "Fault injection",
    "orange",
    `max by (${LABELS.service}, ${LABELS.faultSetting}) (${sel(METRICS.faultSetting, NS_MATCH, SERVICE_MATCH)} > 0)`,
  )
    .titleFormat(`fault {{${LABELS.faultSetting}}} on {{${LABELS.service}}}`)
    .textFormat(`settings: ${Object.values(FAULT_SETTINGS).join(", ")}`);
  return [alerts, faults, starts];
}

const capitalise = (s: string) => (s ? s[0]?.toUpperCase() + s.slice(1) : s);

export interface ShellOptions {
  /** Default time range start (`now-6h`); the SLO dashboard opens on its period. */
  from?: string;
  /** Platform dashboards filter on the platform namespace and need no route or status variables. */
  scope?: "apps" | "platform";
  /** False: an apps dashboard without per-route panels (multi-environment) leaves out route and status. */
  routeFilters?: boolean;
}

export function shell(
  settings: DashboardSettings,
  key: AnyDashboardKey,
  title: string,
  description: string,
  options: ShellOptions = {},
): dashboard.DashboardBuilder {
  const { environment } = settings;
  const scope = options.scope ?? "apps";
  const builder = new dashboard.DashboardBuilder(`${title} (${environment})`)
    .uid(dashboardUid(environment, key))
    .description(description)
    .tags([DASHBOARD_TAG, environment, key])
    .timezone("utc")
    .time({ from: options.from ?? "now-6h", to: "now" })
    .refresh("1m")
    // provisioned from code: edits in the UI would be lost at the next deploy
    .readonly()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .withVariable(datasourceVariable(V.prometheus, "prometheus", "Prometheus"))
    .withVariable(datasourceVariable(V.loki, "loki", "Loki"))
    .withVariable(datasourceVariable(V.jaeger, "jaeger", "Jaeger"))
    .withVariable(
      constant(V.environment, environment, "The Pulumi stack; every query filters on its namespaces below."),
    )
    .withVariable(constant(V.namespace, settings.namespaces.apps, "The environment's apps namespace."))
    .withVariable(constant(V.platformNamespace, settings.namespaces.platform, "The environment's platform namespace."))
    .annotations(annotations(scope))
    .link(
      new dashboard.DashboardLinkBuilder(`${capitalise(environment)} dashboards`)
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([DASHBOARD_TAG, environment])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    )
    // `.+` instead of a long alternation: valid in PromQL and in a LogQL stream selector
    .withVariable(queryVariable(V.service, "Service", SERVICE_VARIABLE_QUERY, ".+"));
  if (scope === "apps" && options.routeFilters !== false) {
    // `.*`: log lines without a route (warnings, errors) stay in the log panels when every route is chosen
    builder.withVariable(queryVariable(V.route, "Route", ROUTE_VARIABLE_QUERY, ".*")).withVariable(statusVariable());
  }
  return builder;
}
