import {
  CHAOS_METRICS,
  COST_RECORDS,
  LABELS,
  LOG_DECISIONS,
  LOG_FIELDS,
  LOG_KINDS,
  METRICS,
  RESPONDER_METRICS,
} from "../../contract";
import { AGGREGATE_RECORDS, CAPACITY_RECORDS, SLI_WINDOWS, SLO_RECORDS } from "../../infra/alerting/names";
import { CAPACITY_METRICS } from "../../infra/dashboards/capacity";
import { CHAOS_MESH_METRICS } from "../../infra/dashboards/chaos";
import {
  buildDashboards,
  DASHBOARD_KEYS,
  DASHBOARD_VARIABLES,
  DATASOURCE_DEFAULTS,
  DATASOURCES,
  dashboardPanels,
  dashboardSettings,
  type GeneratedDashboard,
  PLATFORM_METRICS,
} from "../../infra/dashboards/dashboards";
import { DASHBOARD_FOLDER_ANNOTATION, Dashboards } from "../../infra/dashboards/dashboards-component";
import {
  logqlProblems,
  promqlMetricNames,
  promqlProblems,
  queryProblems,
  substituteGrafanaVariables,
} from "../../infra/dashboards/query-check";
import { ROUTE_VARIABLE_QUERY, SERVICE_VARIABLE_QUERY } from "../../infra/dashboards/shell";
import { alloyPipeline } from "../../infra/logging/alloy-config";
import { DATASOURCE_UIDS, namespaces } from "../../infra/platform/naming";
import { collectResources } from "../../infra/preflight/collect";
import { logqlParser, type SyntaxNode } from "../../infra/queries/lezer";
import { alloyLokiLabels } from "../infra/alloy-text";
import {
  fromSettings as built,
  configs,
  STACKS as ENVIRONMENTS,
  openingValues,
  panelsOf,
  selectorsOf,
  settings,
  variablesOf,
  withCapacity,
} from "./built";

const all = ENVIRONMENTS.flatMap((e) => built[e]);
const prodQueries = withCapacity.prod.flatMap((d) => d.queries.map((q) => ({ ...q, dashboard: d.uid })));
const promQueries = prodQueries.filter((q) => q.datasource === "prometheus");
const lokiQueries = prodQueries.filter((q) => q.datasource === "loki");

describe("dashboard generation", () => {
  test("six dashboards build from the settings for every environment (the five and chaos), with panels and queries", () => {
    for (const env of ENVIRONMENTS) {
      expect(built[env]).toHaveLength(6);
      for (const d of built[env]) {
        expect(panelsOf(d).length).toBeGreaterThan(0);
        expect(d.queries.length).toBeGreaterThan(0);
        expect(JSON.parse(JSON.stringify(d.json))).toEqual(d.json);
      }
    }
  });

  test("uids are <environment>-<key>, unique across environments, at most 40 characters", () => {
    for (const env of ENVIRONMENTS)
      expect(built[env].map((d) => d.uid)).toEqual(DASHBOARD_KEYS.map((k) => `${env}-${k}`));
    const uids = all.map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid.length).toBeLessThanOrEqual(40);
    for (const d of all) expect(d.json.uid).toBe(d.uid);
  });

  test("uids, titles and JSON are stable: building twice gives the same result", () => {
    expect(buildDashboards(dashboardSettings(configs.prod))).toEqual(built.prod);
  });

  test("provisioned dashboards are read-only in Grafana (edits would be lost at the next deploy)", () => {
    for (const d of withCapacity.prod) expect(d.json.editable).toBe(false);
  });

  test("every dashboard is tagged with the project, its environment and its key, and titled with the environment", () => {
    for (const env of ENVIRONMENTS) {
      built[env].forEach((d, i) => {
        expect(d.json.tags).toEqual(expect.arrayContaining(["observability-platform", env, DASHBOARD_KEYS[i]]));
        expect(d.title).toContain(env);
      });
    }
  });

  test("variables: datasources default to the provisioned ones; the environment's namespaces are hidden constants; service, route (chained) and status filter", () => {
    for (const env of ENVIRONMENTS) {
      const ns = namespaces(configs[env]);
      for (const d of withCapacity[env]) {
        const vars = Object.fromEntries(variablesOf(d).map((v) => [v.name, v]));
        for (const [kind, name] of [
          ["prometheus", DASHBOARD_VARIABLES.prometheus],
          ["loki", DASHBOARD_VARIABLES.loki],
          ["jaeger", DASHBOARD_VARIABLES.jaeger],
        ] as const) {
          expect(vars[name]).toMatchObject({
            type: "datasource",
            query: kind,
            current: { value: DATASOURCE_DEFAULTS[kind] },
          });
        }
        expect(vars[DASHBOARD_VARIABLES.environment]).toMatchObject({ type: "constant", query: env });
        expect(vars[DASHBOARD_VARIABLES.namespace]).toMatchObject({ type: "constant", query: ns.apps });
        expect(vars[DASHBOARD_VARIABLES.platformNamespace]).toMatchObject({ type: "constant", query: ns.platform });
        expect(vars[DASHBOARD_VARIABLES.service]).toMatchObject({
          type: "query",
          multi: true,
          includeAll: true,
          query: SERVICE_VARIABLE_QUERY,
          datasource: { uid: DATASOURCES.prometheus.uid },
        });
      }
      for (const d of built[env].filter((d) => !d.uid.endsWith("platform-health"))) {
        const vars = Object.fromEntries(variablesOf(d).map((v) => [v.name, v]));
        expect(vars[DASHBOARD_VARIABLES.route]).toMatchObject({ type: "query", query: ROUTE_VARIABLE_QUERY });
        expect(vars[DASHBOARD_VARIABLES.status]).toMatchObject({ type: "custom", allValue: ".+" });
        expect(vars[DASHBOARD_VARIABLES.status].query).toContain("5xx : 5..");
      }
    }
    // the variables' own queries stay inside the environment, and the route list follows the chosen services
    expect(SERVICE_VARIABLE_QUERY).toBe(
      `label_values(${AGGREGATE_RECORDS.requestRate}{namespace="$namespace"}, service_name)`,
    );
    expect(ROUTE_VARIABLE_QUERY).toBe(
      `label_values(${AGGREGATE_RECORDS.routeRequestRate}{namespace="$namespace",service_name=~"$service"}, http_route)`,
    );
  });

  test("panel ids are unique within each dashboard (rows included)", () => {
    for (const d of all) {
      const ids = dashboardPanels(d.json).map((p: any) => p.id);
      expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  test("every panel has a title, a description and a unit", () => {
    for (const d of all) {
      for (const p of panelsOf(d)) {
        expect(p.title).toMatch(/\S/);
        expect(p.description).toMatch(/\S/);
        expect(p.fieldConfig?.defaults?.unit).toMatch(/\S/);
      }
    }
  });

  test("every panel and target names its datasource through a datasource variable that opens on a provisioned uid", () => {
    const known = Object.values(DATASOURCE_UIDS) as string[];
    for (const d of withCapacity.prod) {
      const open = openingValues(d);
      const resolve = (uid: string) => open[uid.replace(/^\$\{(\w+)\}$/, "$1")];
      for (const p of panelsOf(d)) {
        expect(p.datasource?.uid).toMatch(/^\$\{\w+\}$/);
        expect(known).toContain(resolve(p.datasource.uid));
        expect(p.targets?.length).toBeGreaterThan(0);
        for (const t of p.targets) {
          expect(t.datasource.uid).toBe(p.datasource.uid);
          expect(t.datasource.type).toBe(p.datasource.type);
        }
      }
    }
  });

  test("queries list every PromQL/LogQL target of the JSON and every annotation query", () => {
    for (const d of all) {
      const targets = panelsOf(d)
        .flatMap((p) => p.targets)
        .filter((t: any) => t.expr !== undefined);
      const annotations = ((d.json.annotations as any)?.list ?? []).filter((a: any) => a.expr);
      expect(d.queries).toHaveLength(targets.length + annotations.length);
    }
    expect(lokiQueries.length).toBeGreaterThanOrEqual(4);
  });
});

describe("query validation", () => {
  test.each(promQueries.map((q) => [q.dashboard, q.panel, q.expr]))(
    "PromQL parses after variable substitution: %s / %s",
    (_d, _p, expr) => {
      expect(promqlProblems(substituteGrafanaVariables(expr))).toEqual([]);
    },
  );

  test.each(lokiQueries.map((q) => [q.dashboard, q.panel, q.expr]))(
    "LogQL parses after variable substitution: %s / %s",
    (_d, _p, expr) => {
      expect(logqlProblems(substituteGrafanaVariables(expr))).toEqual([]);
    },
  );

  test("raw rate queries use $__rate_interval, never a fixed range", () => {
    const raw = promQueries.filter((q) => /\brate\(/.test(q.expr) && !q.dashboard.endsWith("capacity"));
    expect(raw.length).toBeGreaterThan(0);
    for (const q of raw) expect(q.expr).not.toMatch(/\[\d+[smhdw]\]/);
    for (const q of raw) expect(q.expr).toContain("[$__rate_interval]");
  });

  test("every query, annotations included, stays inside the environment: each selector matches its namespace", () => {
    for (const env of ENVIRONMENTS) {
      const ns = namespaces(configs[env]);
      const allowed = new Set([
        "$namespace",
        "$platform_namespace",
        "$namespace|$platform_namespace",
        ns.apps,
        ns.platform,
      ]);
      const outside: string[] = [];
      let selectors = 0;
      for (const d of withCapacity[env]) {
        for (const q of d.queries) {
          // range placeholders only: the namespace variables must stay visible to the check
          const expr = substituteGrafanaVariables(q.expr, {
            namespace: "$namespace",
            platform_namespace: "$platform_namespace",
            environment: "$environment",
            service: ".+",
            route: ".+",
            status: ".+",
            slo: ".+",
          });
          for (const sel of selectorsOf(
            q,
            expr
              .replace(/"\$namespace"/g, '"NS_APPS"')
              .replace(/\$platform_namespace/g, "NS_PLATFORM")
              .replace(/\$namespace/g, "NS_APPS"),
          )) {
            selectors += 1;
            // the cost records of a whole environment have no namespace: they filter on its environment label
            if (sel.matchers.some((m) => m.label === "environment" && m.op === "=" && m.value === "$environment"))
              continue;
            const namespace = sel.matchers.find((m) => m.label === "namespace");
            const value = namespace?.value
              .replace(/NS_APPS/g, "$namespace")
              .replace(/NS_PLATFORM/g, "$platform_namespace");
            if (!namespace || !["=", "=~"].includes(namespace.op) || !allowed.has(value ?? ""))
              outside.push(`${d.uid} / ${q.panel}: ${sel.text}`);
          }
        }
      }
      expect(selectors).toBeGreaterThan(100);
      expect(outside).toEqual([]);
    }
    // the check can fail
    expect(
      selectorsOf({ datasource: "prometheus", expr: 'sum(up{job="x"}) / up{namespace="a"}' }).map((s) =>
        s.matchers.map((m) => m.label),
      ),
    ).toEqual([["job"], ["namespace"]]);
    expect(selectorsOf({ datasource: "loki", expr: '{service_name="a", namespace="b"} | json' })[0]?.matchers).toEqual([
      { label: "service_name", op: "=", value: "a" },
      { label: "namespace", op: "=", value: "b" },
    ]);
  });

  test("the checks can fail: broken PromQL and LogQL are reported", () => {
    expect(
      promqlProblems('sum(rate(http_server_request_duration_seconds_count{service_name="order"}[5m])'),
    ).not.toEqual([]);
    expect(promqlProblems("rate(up[5m]) +")).not.toEqual([]);
    expect(promqlProblems("")).not.toEqual([]);
    expect(logqlProblems('{service_name=~"order"} | json | level=~')).not.toEqual([]);
    expect(logqlProblems('service_name="order" | json')).not.toEqual([]);
    // an unsubstituted Grafana variable is not valid PromQL, so forgetting substitution is caught too
    expect(promqlProblems("rate(up[$__rate_interval])")).not.toEqual([]);
    expect(queryProblems({ datasource: "prometheus", expr: "rate(up[$__rate_interval])" })).toEqual([]);
    expect(queryProblems({ datasource: "loki", expr: '{service_name=~"$service"} |= "x"' })).toEqual([]);
  });

  test("substituteGrafanaVariables replaces every Grafana syntax and keeps unknown variables for the parser", () => {
    expect(substituteGrafanaVariables('rate(x{a=~"$service"}[$__rate_interval])')).toBe(
      'rate(x{a=~"order|product|user"}[1m])',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${var} syntax, not a template literal
    expect(substituteGrafanaVariables('x{a=~"${service}",b="${environment:raw}",c=~"[[slo]]"}[$__range]')).toBe(
      'x{a=~"order|product|user",b="dev",c=~"availability|latency"}[6h]',
    );
    expect(substituteGrafanaVariables("x[$__interval] offset $__auto")).toBe("x[30s] offset 1m");
    expect(substituteGrafanaVariables('x{a="$service"}', { service: 'a"b\\c' })).toBe('x{a="a\\"b\\\\c"}');
    expect(substituteGrafanaVariables("x[$nope]")).toBe("x[$nope]");
  });

  test("promqlMetricNames finds names in selectors only (not labels, functions or grouping)", () => {
    expect(
      promqlMetricNames(
        'sum by (le) (rate(a_bucket{x="1"}[5m])) / on(slo) b:rec:ratio + {__name__="c"} - count({"d.e", f="g"}) > bool up',
      ),
    ).toEqual(["a_bucket", "b:rec:ratio", "c", "d.e", "up"]);
  });

  test("every metric in a PromQL query is a recording rule, a contract metric, or an allow-listed platform metric", () => {
    const records = new Set<string>([
      ...Object.values(CAPACITY_RECORDS),
      AGGREGATE_RECORDS.requestRate,
      AGGREGATE_RECORDS.errorRatio,
      AGGREGATE_RECORDS.routeRequestRate,
      AGGREGATE_RECORDS.routeErrorRate,
      ...(["p50", "p90", "p99"] as const).map(AGGREGATE_RECORDS.latencyQuantile),
      ...[...SLI_WINDOWS, "28d" as const, "30d" as const].map(SLO_RECORDS.errorRatio),
      SLO_RECORDS.objective,
      SLO_RECORDS.budgetRemaining,
      SLO_RECORDS.currentBurnRate,
      SLO_RECORDS.burnRate1h,
      ...Object.values(COST_RECORDS),
    ]);
    const contract = new Set<string>(
      [...Object.values(METRICS), ...Object.values(RESPONDER_METRICS)].flatMap((name) => [
        name,
        `${name}_bucket`,
        `${name}_count`,
        `${name}_sum`,
      ]),
    );
    const platform = new Set<string>([...PLATFORM_METRICS, ...CAPACITY_METRICS, ...CHAOS_MESH_METRICS]);
    // the game-day results the chaos runner pushes (contract/chaos.ts)
    for (const name of Object.values(CHAOS_METRICS)) contract.add(name);
    const used = new Set<string>();
    const unknown: string[] = [];
    for (const q of promQueries) {
      const names = promqlMetricNames(substituteGrafanaVariables(q.expr));
      if (!q.expr.startsWith("vector(")) expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        used.add(name);
        if (!records.has(name) && !contract.has(name) && !platform.has(name)) unknown.push(`${q.panel}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
    // single stacks read their local stores' volumes (Loki's chunks), which distributed prod keeps in object storage
    for (const q of withCapacity.staging.flatMap((d) => d.queries).filter((q) => q.datasource === "prometheus"))
      for (const name of promqlMetricNames(substituteGrafanaVariables(q.expr))) used.add(name);
    // and the allow-lists hold nothing the dashboards do not use
    expect([...PLATFORM_METRICS, ...CAPACITY_METRICS, ...CHAOS_MESH_METRICS].filter((name) => !used.has(name))).toEqual(
      [],
    );
  });

  test("the overview's panels read only recording rules, runtime, probe and responder metrics, except the range top lists (raw counters over $__range); exemplar panels read the raw buckets", () => {
    const latency = built.prod.find((d) => d.uid === "prod-latency");
    const exemplarTargets = panelsOf(latency as GeneratedDashboard)
      .flatMap((p) => p.targets)
      .filter((t: any) => t.exemplar === true);
    expect(exemplarTargets.length).toBeGreaterThan(0);
    for (const t of exemplarTargets) expect(t.expr).toContain(`${METRICS.serverDuration}_bucket`);
    const heatmap = panelsOf(latency as GeneratedDashboard).find((p) => p.type === "heatmap");
    expect(heatmap?.targets[0]).toMatchObject({ format: "heatmap" });
    expect(heatmap?.targets[0].expr).toContain(`${METRICS.serverDuration}_bucket`);

    const overview = built.prod.find((d) => d.uid === "prod-service-overview") as GeneratedDashboard;
    const runtime = [
      "nodejs_eventloop_lag_p99_seconds",
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "probe_success",
      "probe_duration_seconds",
    ];
    // the responder's few series (a handful of alerts × actions × outcomes) are as cheap as a record
    const cheap = new Set<string>([
      ...Object.values(AGGREGATE_RECORDS).filter((r) => typeof r === "string"),
      ...runtime,
      ...Object.values(RESPONDER_METRICS),
    ]);
    for (const p of ["p50", "p90", "p99"] as const) cheap.add(AGGREGATE_RECORDS.latencyQuantile(p));
    const topLists = overview.queries.filter(
      (q) => q.panel.endsWith("over the range") || q.panel.includes("over the range ("),
    );
    expect(topLists).toHaveLength(2);
    for (const q of topLists)
      expect(q.expr).toMatch(
        /^topk\(10, sum by \(service_name, http_route\) \(increase\(http_server_request_duration_seconds_count\{.*\}\[\$__range\]\)\)\)$/,
      );
    const names = overview.queries
      .filter((q) => !q.panel.startsWith("annotation:") && !topLists.includes(q))
      .flatMap((q) => promqlMetricNames(substituteGrafanaVariables(q.expr)));
    expect(names.filter((n) => !cheap.has(n))).toEqual([]);
    for (const name of runtime) expect(names).toContain(name);
  });
});

describe("the overview's Responder row", () => {
  /** The panels between the row header `title` and the next row. */
  const rowPanels = (d: GeneratedDashboard, title: string) => {
    const top = (d.json.panels ?? []) as any[];
    const start = top.findIndex((p) => p.type === "row" && p.title === title);
    const end = top.findIndex((p, i) => i > start && p.type === "row");
    return start < 0 ? [] : top.slice(start + 1, end < 0 ? undefined : end);
  };
  const overviewOf = (env: (typeof ENVIRONMENTS)[number]) =>
    built[env].find((d) => d.uid === `${env}-service-overview`) as GeneratedDashboard;

  test.each(ENVIRONMENTS)(
    "%s: decisions by outcome, actions by alert, their effect and the raises in force, last on the dashboard",
    (env) => {
      const panels = rowPanels(overviewOf(env), "Responder");
      expect(panels.map((p) => [p.type, p.title])).toEqual([
        ["timeseries", "Responder decisions by outcome"],
        ["bargauge", "Responder actions by alert"],
        ["bargauge", "Action effect"],
        ["stat", "Raises in force"],
      ]);
      const top = overviewOf(env).json.panels as any[];
      expect(top.slice(-panels.length)).toEqual(panels);
      // one line of the grid: the four panels fill its 24 columns
      expect(panels.reduce((sum, p) => sum + p.gridPos.w, 0)).toBe(24);
    },
  );

  test("each panel reads its responder metric, and only in the environment's platform namespace", () => {
    const panels = rowPanels(overviewOf("prod"), "Responder");
    const read = panels.map((p) =>
      p.targets.flatMap((t: any) =>
        selectorsOf({ datasource: "prometheus", expr: t.expr }).map((s) => [
          promqlMetricNames(s.text)[0],
          s.matchers.find((m) => m.label === "namespace")?.value,
        ]),
      ),
    );
    const platformNs = `$${DASHBOARD_VARIABLES.platformNamespace}`;
    expect(read.map((selectors) => [...new Set(selectors.map((s: string[]) => s.join(" ")))])).toEqual([
      [`${RESPONDER_METRICS.decisions} ${platformNs}`],
      [`${RESPONDER_METRICS.decisions} ${platformNs}`],
      [`${RESPONDER_METRICS.actionEffective} ${platformNs}`],
      [`${RESPONDER_METRICS.temporaryRaises} ${platformNs}`],
    ]);
  });

  test("actions are the decisions that acted, would have (dry run) or failed, counted over the range by alert and action", () => {
    const actions = rowPanels(overviewOf("prod"), "Responder")[1];
    const [target] = actions.targets;
    expect(target.instant).toBe(true);
    expect(target.expr).toMatch(/^round\(sum by \(alertname, action, outcome\) \(/);
    for (const s of selectorsOf({ datasource: "prometheus", expr: target.expr }))
      expect(s.matchers).toContainEqual({ label: "outcome", op: "=~", value: "acted|dry_run|failed" });
    expect(target.expr).toContain("[$__range]");
  });
});

/** Label names of the stream selectors of a LogQL query (not its label filters). */
function streamSelectorLabels(expr: string): string[] {
  const names: string[] = [];
  const walk = (node: SyntaxNode | null, inSelector: boolean): void => {
    for (let n = node; n; n = n.nextSibling) {
      const selector = inSelector || n.name === "Selector";
      if (selector && n.name === "Matcher") {
        const id = n.getChild("Identifier");
        if (id) names.push(expr.slice(id.from, id.to));
      }
      walk(n.firstChild, selector);
    }
  };
  logqlParser.parse(expr).iterate({
    enter: (node) => {
      if (node.name !== "LogQL") return undefined;
      walk(node.node.firstChild, false);
      return false;
    },
  });
  return names;
}

describe("log cost panels", () => {
  const health = built.prod.find((d) => d.uid === "prod-platform-health") as GeneratedDashboard;
  const panel = (title: string) => panelsOf(health).find((p) => p.title === title);

  test("bytes/s before and after sampling: after is log_bytes_total; before adds sampled-out access lines at the written lines' average size", () => {
    const p = panel("Log bytes/s per service, before and after sampling");
    expect(p?.fieldConfig.defaults.unit).toBe("Bps");
    const [before, after] = p.targets.map((t: { expr: string }) => t.expr) as [string, string];
    const svc = `namespace="$namespace",${LABELS.service}=~"$service"`;
    expect(after).toBe(`sum by (${LABELS.service}) (rate(${METRICS.logBytes}{${svc}}[$__rate_interval]))`);
    expect(before.startsWith(`${after} + (`)).toBe(true);
    const access = `${LABELS.logKind}="${LOG_KINDS.access}"`;
    expect(before).toContain(
      `${METRICS.logLines}{${svc},${access},${LABELS.logDecision}="${LOG_DECISIONS.sampledOut}"}`,
    );
    expect(before).toContain(`${METRICS.logBytes}{${svc},${access}}`);
    expect(before).toContain(`${METRICS.logLines}{${svc},${access},${LABELS.logDecision}="${LOG_DECISIONS.written}"}`);
    for (const expr of [before, after]) expect(promqlProblems(substituteGrafanaVariables(expr))).toEqual([]);
  });

  test("requests from access logs: unsampled lines count 1, sampled lines count adjusted_count, services with either kind kept", () => {
    const p = panel("Requests per service from access logs, scaled back");
    expect(p?.datasource).toEqual(DATASOURCES.loki);
    const expr = p.targets[0].expr as string;
    expect(logqlProblems(substituteGrafanaVariables(expr))).toEqual([]);
    const adjusted = LOG_FIELDS.adjustedCount;
    const [unsampled, sampled] = [`| ${adjusted}="" [$__auto]`, `| ${adjusted}!="" | unwrap ${adjusted} `];
    expect(expr.split(unsampled)).toHaveLength(3); // in the sum and on its own after `or`
    expect(expr.split(sampled)).toHaveLength(3);
    expect(expr).toMatch(
      /^\(sum by \(service_name\) \(rate\(.*\)\) \+ sum by \(service_name\) \(rate\(.*\)\)\) or sum .* or sum /,
    );
  });

  test("every Loki stream selector uses only labels Alloy attaches", () => {
    const labels = alloyLokiLabels(
      alloyPipeline({ namespaces: ["a"], lokiPushUrl: "http://loki", environment: "prod" }),
    );
    const used = lokiQueries.flatMap((q) => streamSelectorLabels(substituteGrafanaVariables(q.expr)));
    expect(used.length).toBeGreaterThanOrEqual(lokiQueries.length);
    expect(used.filter((l) => !labels.includes(l))).toEqual([]);
    expect(streamSelectorLabels('{trace_id="x"} | json | message="y"')).toEqual(["trace_id"]); // the check can fail
  });
});

describe("Dashboards component", () => {
  test("creates one labelled, folder-annotated ConfigMap per dashboard with its JSON under <uid>.json", async () => {
    const labels = { "app.kubernetes.io/part-of": "observability-platform", environment: "staging" };
    const { resources } = await collectResources("staging", {}, () => {
      new Dashboards("dashboards", { settings: settings.staging, namespace: "obs-staging-platform", labels });
      return {};
    });
    expect(resources.filter((r) => r.type === "observability-platform:dashboards:Dashboards")).toHaveLength(1);
    const configMaps = resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap");
    expect(configMaps).toHaveLength(6);
    const uids = built.staging.map((d) => d.uid);
    expect(configMaps.map((c) => c.name)).toEqual(uids.map((uid) => `dashboards-${uid}`));
    configMaps.forEach((c, i) => {
      const uid = uids[i] as string;
      expect(c.inputs.metadata.namespace).toBe("obs-staging-platform");
      expect(c.inputs.metadata.labels).toEqual({ ...labels, grafana_dashboard: "1" });
      expect(c.inputs.metadata.annotations).toEqual({ [DASHBOARD_FOLDER_ANNOTATION]: "Staging" });
      expect(Object.keys(c.inputs.data)).toEqual([`${uid}.json`]);
      const json = JSON.parse(c.inputs.data[`${uid}.json`]);
      expect(json.uid).toBe(uid);
      expect(json).toEqual(built.staging[i]?.json);
    });
  });
});
