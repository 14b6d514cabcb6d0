import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { DATASOURCE_UIDS } from "../platform/naming";

/** One query of a generated dashboard, for offline validation (tests, preflight) and the live check. */
export interface DashboardQuery {
  datasource: "prometheus" | "loki";
  expr: string;
  /** Title of the panel the query belongs to, or `annotation: <name>`. */
  panel: string;
}

export interface GeneratedDashboard {
  uid: string;
  title: string;
  /** The Grafana dashboard JSON model (plain JSON, ready for a ConfigMap). */
  json: Record<string, unknown>;
  queries: DashboardQuery[];
}

/** Stable keys of the dashboards built from the dashboard settings alone; the uid is `<environment>-<key>`. */
export const DASHBOARD_KEYS = ["service-overview", "latency", "errors", "slo", "platform-health", "chaos"] as const;
export type DashboardKey = (typeof DASHBOARD_KEYS)[number];
/** Key of the capacity dashboard (capacity.ts), built apart: it needs the capacity config. */
export const CAPACITY_DASHBOARD_KEY = "capacity";
/** Key of the multi-environment dashboard (multi-environment.ts): this environment and its peers side by side. */
export const MULTI_ENVIRONMENT_DASHBOARD_KEY = "multi-environment";
/** Key of the cost dashboard (cost.ts), built apart: it needs the cost config. */
export const COST_DASHBOARD_KEY = "cost";
export type AnyDashboardKey =
  | DashboardKey
  | typeof CAPACITY_DASHBOARD_KEY
  | typeof MULTI_ENVIRONMENT_DASHBOARD_KEY
  | typeof COST_DASHBOARD_KEY;

/** `<environment>-<key>`: stable across deployments, unique per environment (≤ 40 characters for Grafana). */
export function dashboardUid(environment: string, key: AnyDashboardKey): string {
  return `${environment}-${key}`;
}

/** Label the Grafana dashboard sidecar selects on (charts-values/kube-prometheus-stack.yaml). */
export const DASHBOARD_SIDECAR_LABEL = { grafana_dashboard: "1" } as const;

/** Tag on every generated dashboard (besides the environment and the dashboard key). */
export const DASHBOARD_TAG = "observability-platform";

/**
 * Names of the template variables. The three datasource variables default to the provisioned datasources
 * (one Grafana can then show another environment's); the namespaces are hidden constants every query
 * filters on, so two environments in one Prometheus or Loki never mix.
 */
export const DASHBOARD_VARIABLES = {
  prometheus: "datasource",
  loki: "logs",
  jaeger: "traces",
  environment: "environment",
  namespace: "namespace",
  platformNamespace: "platform_namespace",
  service: "service",
  route: "route",
  status: "status",
  slo: "slo",
} as const;

const variableRef = (name: string) => `\${${name}}`;
/** What panels and links name as their datasource: the datasource variable of its kind. */
export const DATASOURCES = {
  prometheus: { type: "prometheus", uid: variableRef(DASHBOARD_VARIABLES.prometheus) },
  loki: { type: "loki", uid: variableRef(DASHBOARD_VARIABLES.loki) },
  jaeger: { type: "jaeger", uid: variableRef(DASHBOARD_VARIABLES.jaeger) },
} as const;

/** The provisioned datasource each variable defaults to. */
export const DATASOURCE_DEFAULTS: Record<keyof typeof DATASOURCES, string> = DATASOURCE_UIDS;

interface PanelJson {
  title?: string;
  type?: string;
  panels?: PanelJson[];
  targets?: { expr?: string; datasource?: { type?: string; uid?: string } }[];
}

/** Every panel of a dashboard JSON model, including panels nested in collapsed rows. */
export function dashboardPanels(json: Record<string, unknown>): PanelJson[] {
  const top = (json.panels ?? []) as PanelJson[];
  return top.flatMap((p) => [p, ...(p.panels ?? [])]);
}

const queryKind = (type: string | undefined): DashboardQuery["datasource"] | undefined =>
  type === "prometheus" || type === "loki" ? type : undefined;

/** The PromQL/LogQL queries of a dashboard JSON model, read back from its targets and annotations. */
export function dashboardQueries(json: Record<string, unknown>): DashboardQuery[] {
  const fromPanels = dashboardPanels(json).flatMap((panel) =>
    (panel.targets ?? []).flatMap((t) => {
      const kind = queryKind(t.datasource?.type);
      if (!kind || t.expr === undefined) return [];
      return [{ datasource: kind, expr: t.expr, panel: panel.title ?? "" }];
    }),
  );
  const annotations = ((json.annotations as { list?: dashboard.AnnotationQuery[] })?.list ?? []).flatMap((a) => {
    const kind = queryKind(a.datasource?.type);
    return kind && a.expr ? [{ datasource: kind, expr: a.expr, panel: `annotation: ${a.name}` }] : [];
  });
  return [...fromPanels, ...annotations];
}

export function generated(builder: cog.Builder<dashboard.Dashboard>): GeneratedDashboard {
  const json = JSON.parse(JSON.stringify(builder.build())) as Record<string, unknown>;
  // The builders leave ids unset (rows get 0); Grafana needs them unique for links and panel state.
  dashboardPanels(json).forEach((panel, i) => {
    (panel as { id?: number }).id = i + 1;
  });
  return { uid: String(json.uid), title: String(json.title), json, queries: dashboardQueries(json) };
}
