import { LABELS, METRICS } from "../../contract";
import { HIGH_LATENCY_P99_SECONDS, RUNBOOK_BASE_URL } from "../../infra/alerting/rules";
import { BURN_RATE_ALERTS, burnFactor } from "../../infra/alerting/slos";
import { generated } from "../../infra/dashboards/model";
import { COMPONENT_JOBS } from "../../infra/dashboards/platform-health";
import { FAILURE_LINES } from "../../infra/dashboards/queries";
import { logqlProblems, substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { dashboardSettings } from "../../infra/dashboards/settings";
import { slo } from "../../infra/dashboards/slo";
import { DATASOURCE_UIDS } from "../../infra/platform/naming";
import { byUid, configs, openingValues, panel, panelsOf, STACKS, type Stack, withCapacity } from "./built";

/** Every data link of a panel: on its fields, and on single columns (overrides). */
function linksOf(p: any): { title: string; url: string }[] {
  const overrides = (p.fieldConfig?.overrides ?? []).flatMap((o: any) =>
    (o.properties ?? []).filter((prop: any) => prop.id === "links").flatMap((prop: any) => prop.value),
  );
  return [...(p.fieldConfig?.defaults?.links ?? []), ...overrides];
}

const SAMPLE_FIELDS: Record<string, string> = {
  "__field.labels.service_name": "order",
  "__field.labels.http_route": "/orders",
  "__value.raw": "order",
  // a repeated panel's own value of the service variable
  service: "order",
  __from: "1700000000000",
  __to: "1700003600000",
};

/** What a link opens, with Grafana's `${…}` tokens resolved from the dashboard's opening values. */
function resolve(url: string, open: Record<string, string>) {
  const value = (name: string) => SAMPLE_FIELDS[name] ?? open[name.split(":")[0] as string];
  const tokens = [...url.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1] as string);
  const unknown = tokens.filter((t) => value(t) === undefined && !t.startsWith("__url_time_range"));
  if (url.startsWith("/d/")) return { kind: "dashboard" as const, uid: url.split("/")[2] as string, tokens, unknown };
  if (url.startsWith("/explore?")) {
    const panes = new URLSearchParams(url.split("?")[1]).get("panes") ?? "";
    const json = JSON.parse(panes.replace(/\$\{([^}]+)\}/g, (_m, t: string) => value(t) ?? "")) as {
      a: { datasource: string; queries: any[]; range: { from: string; to: string } };
    };
    return { kind: "explore" as const, pane: json.a, tokens, unknown };
  }
  return { kind: "external" as const, url, tokens, unknown };
}

/** Panels drawing one series per service: their legend names the service. */
const perServiceSeries = (stack: Stack) =>
  withCapacity[stack].flatMap((d) =>
    panelsOf(d)
      .filter((p) => p.type === "timeseries")
      .filter((p) => p.targets.some((t: any) => String(t.legendFormat ?? "").includes(`{{${LABELS.service}}}`)))
      .map((p) => ({ dashboard: d.uid, panel: p, open: openingValues(d) })),
  );

describe("drill-downs", () => {
  test.each(STACKS)(
    "%s: every per-service time series links to its latency and errors dashboards, its logs in Loki and its traces in Jaeger",
    (stack) => {
      const panels = perServiceSeries(stack);
      expect(panels.length).toBeGreaterThanOrEqual(15);
      const missing: string[] = [];
      for (const { dashboard, panel: p, open } of panels) {
        const opened = linksOf(p).map((l) => resolve(l.url, open));
        const explores = (uid: string) => opened.some((r) => r.kind === "explore" && r.pane.datasource === uid);
        const has = {
          latency: opened.some((r) => r.kind === "dashboard" && r.uid === `${stack}-latency`),
          errors: opened.some((r) => r.kind === "dashboard" && r.uid === `${stack}-errors`),
          logs: explores(DATASOURCE_UIDS.loki),
          traces: explores(DATASOURCE_UIDS.jaeger),
        };
        for (const [what, ok] of Object.entries(has))
          if (!ok) missing.push(`${dashboard} / ${p.title}: no ${what} link`);
      }
      expect(missing).toEqual([]);
    },
  );

  test.each(STACKS)(
    "%s: every link resolves: dashboards to existing uids with the time range and datasources kept, Explore to a provisioned datasource with a valid query, runbooks to the runbook folder",
    (stack) => {
      const uids = new Set(withCapacity[stack].map((d) => d.uid));
      const known = Object.values(DATASOURCE_UIDS) as string[];
      const problems: string[] = [];
      let checked = 0;
      for (const d of withCapacity[stack]) {
        const open = openingValues(d);
        for (const p of panelsOf(d)) {
          for (const link of linksOf(p)) {
            checked += 1;
            const where = `${d.uid} / ${p.title} / ${link.title}`;
            const r = resolve(link.url, open);
            if (r.unknown.length > 0) problems.push(`${where}: unknown variables ${r.unknown.join(", ")}`);
            if (r.kind === "dashboard") {
              if (!uids.has(r.uid)) problems.push(`${where}: no dashboard ${r.uid}`);
              for (const keep of ["__url_time_range", "datasource:queryparam", "logs:queryparam", "traces:queryparam"])
                if (!r.tokens.includes(keep)) problems.push(`${where}: does not keep ${keep}`);
            } else if (r.kind === "explore") {
              if (!known.includes(r.pane.datasource)) problems.push(`${where}: datasource ${r.pane.datasource}`);
              if (r.pane.range.from !== SAMPLE_FIELDS.__from) problems.push(`${where}: time range not kept`);
              for (const q of r.pane.queries) {
                if (q.datasource.uid !== r.pane.datasource) problems.push(`${where}: query datasource differs`);
                if (q.datasource.type === "loki") {
                  const expr = substituteGrafanaVariables(q.expr, open);
                  if (logqlProblems(expr).length > 0) problems.push(`${where}: ${logqlProblems(expr).join("; ")}`);
                  if (!expr.includes(`namespace="${open.namespace}"`))
                    problems.push(`${where}: logs of another environment`);
                }
                if (q.datasource.type === "jaeger" && !(q.queryType === "search" && q.service === "order"))
                  problems.push(`${where}: not a search of the clicked service`);
              }
            } else if (!r.url.startsWith(RUNBOOK_BASE_URL)) {
              problems.push(`${where}: external link ${r.url}`);
            }
          }
        }
      }
      expect(checked).toBeGreaterThan(60);
      expect(problems).toEqual([]);
    },
  );

  test("links from error panels search failed traces only (error=true); the others search all traces", () => {
    const errors = byUid("prod", "errors");
    const traceSearches = (p: any) =>
      linksOf(p)
        .map((l) => resolve(l.url, openingValues(errors)))
        .flatMap((r) => (r.kind === "explore" ? r.pane.queries.filter((q: any) => q.queryType === "search") : []));
    const ratio = traceSearches(panel(errors, "Error ratio by service"));
    expect(ratio).toHaveLength(1);
    expect(ratio[0].tags).toBe("error=true");
    const overview = byUid("prod", "service-overview");
    expect(traceSearches(panel(overview, "Request rate by service"))[0].tags).toBeUndefined();
  });

  test("the link resolver can fail: an unknown uid, datasource or variable is reported", () => {
    const open = openingValues(byUid("prod", "latency"));
    expect(resolve(`/d/prod-nope/?\${__url_time_range}`, open)).toMatchObject({ uid: "prod-nope", unknown: [] });
    expect(resolve(`/d/x/?var-a=\${nope}`, open).unknown).toEqual(["nope"]);
    const pane = encodeURIComponent(JSON.stringify({ a: { datasource: "elsewhere", queries: [], range: {} } }));
    expect(resolve(`/explore?panes=${pane}`, open)).toMatchObject({
      kind: "explore",
      pane: { datasource: "elsewhere" },
    });
  });

  test("the SLO alerts table links each alert name to its runbook", () => {
    const table = panel(byUid("prod", "slo"), "SLO alerts firing in the range");
    const runbook = linksOf(table).find((l) => l.title === "Runbook");
    expect(runbook?.url).toBe(`${RUNBOOK_BASE_URL}\${__value.raw}.md`);
  });
});

/** Threshold values of a panel, without the base step. */
const stepValues = (p: any) =>
  (p.fieldConfig.defaults.thresholds.steps as { value: number | null }[]).map((s) => s.value).slice(1);

describe("thresholds come from the stack's SLO config", () => {
  test.each(STACKS)(
    "%s: error-ratio panels are yellow at the error budget and red at budget × the smallest paging factor",
    (stack) => {
      const config = configs[stack];
      const budget = Math.round((1 - config.slo.availability) * 1e9) / 1e9;
      const factor = Math.min(
        ...BURN_RATE_ALERTS.filter((a) => a.severity === "page").map((a) => burnFactor(a, config.slo.period)),
      );
      const expected = [budget, Math.round(budget * factor * 1e9) / 1e9];
      expect(stepValues(panel(byUid(stack, "service-overview"), "Error ratio"))).toEqual(expected);
      expect(stepValues(panel(byUid(stack, "service-overview"), "Error ratio by service"))).toEqual(expected);
      expect(stepValues(panel(byUid(stack, "errors"), "Error ratio by service"))).toEqual(expected);
    },
  );

  test("prod and dev differ where their objectives differ (99.9 % vs 99 %, 99 % vs 95 %)", () => {
    const errorSteps = (stack: Stack) => stepValues(panel(byUid(stack, "service-overview"), "Error ratio"));
    expect(errorSteps("prod")).toEqual([0.001, 0.006]);
    expect(errorSteps("dev")).toEqual([0.01, 0.06]);
    const latencySli = (stack: Stack) =>
      panelsOf(byUid(stack, "latency")).find((p) => p.title.startsWith("Latency SLI by service"));
    expect(stepValues(latencySli("prod"))).toEqual([configs.prod.slo.latency]);
    expect(stepValues(latencySli("dev"))).toEqual([configs.dev.slo.latency]);
    expect(configs.prod.slo.latency).not.toBe(configs.dev.slo.latency);
  });

  test.each(STACKS)(
    "%s: p99 panels are yellow at the latency SLO's threshold and red where ServiceHighLatencyP99 fires",
    (stack) => {
      const expected = [configs[stack].slo.latencyThresholdSeconds, HIGH_LATENCY_P99_SECONDS];
      expect(stepValues(panel(byUid(stack, "service-overview"), "Slowest p99 latency"))).toEqual(expected);
      expect(stepValues(panel(byUid(stack, "latency"), "p50 / p90 / p99 by service"))).toEqual(expected);
      expect(stepValues(panel(byUid(stack, "latency"), "p99 by route (click a dot for its trace)"))).toEqual(expected);
    },
  );

  test.each(STACKS)(
    "%s: the SLO dashboard opens on the period; its SLI stats turn red below each objective; each burn-rate pair is drawn against its factor",
    (stack) => {
      const config = configs[stack];
      const d = byUid(stack, "slo");
      expect((d.json.time as any).from).toBe(`now-${config.slo.period}`);
      expect(stepValues(panel(d, `Availability SLI over ${config.slo.period}`))).toEqual([config.slo.availability]);
      expect(stepValues(panel(d, `Latency SLI over ${config.slo.period}`))).toEqual([config.slo.latency]);
      for (const a of BURN_RATE_ALERTS) {
        const factor = burnFactor(a, config.slo.period);
        const p = panelsOf(d).find((x) =>
          x.title.startsWith(`${a.severity === "page" ? "Page" : "Ticket"}: ${a.longWindow} and ${a.shortWindow}`),
        );
        // yellow from 1 (faster than the budget) only where the alert's factor is above it
        expect(stepValues(p)).toEqual(factor > 1 ? [1, factor] : [factor]);
        expect(p.fieldConfig.defaults.custom.thresholdsStyle.mode).toBe("dashed");
        const exprs = p.targets.map((t: any) => t.expr as string);
        expect(exprs[0]).toContain(`ratio_rate${a.longWindow}{`);
        expect(exprs[1]).toContain(`ratio_rate${a.shortWindow}{`);
        expect(exprs[2]).toMatch(
          new RegExp(`^${factor} \\* max by .*ALERTS\\{.*long_window="${a.longWindow}".* or 0 \\* max by`),
        );
      }
    },
  );

  test("a 28-day period changes the factors, the opening range and the time-to-exhaustion hours", () => {
    const config = { ...configs.prod, slo: { ...configs.prod.slo, period: "28d" as const } };
    const d = generated(slo(dashboardSettings(config)));
    expect((d.json.time as any).from).toBe("now-28d");
    expect(panelsOf(d).some((p) => p.title === "Page: 1h and 5m burn against 13.44×")).toBe(true);
    // 10 % of a 28-day budget in 3 days is a burn below 1: the steps stay ordered
    expect(stepValues(panelsOf(d).find((p) => p.title.startsWith("Ticket: 3d")))).toEqual([0.933]);
    expect(d.queries.some((q) => q.expr.includes("* 672 /"))).toBe(true);
    expect(byUid("prod", "slo").queries.some((q) => q.expr.includes("* 720 /"))).toBe(true);
  });

  test.each(STACKS)("%s: Prometheus storage is drawn against 80 % and 90 % of its retention size", (stack) => {
    const bytes = configs[stack].metrics.retentionSizeGi * 2 ** 30;
    expect(stepValues(panel(byUid(stack, "platform-health"), "Storage used by blocks"))).toEqual([
      Math.round(bytes * 0.8),
      Math.round(bytes * 0.9),
    ]);
  });

  test("threshold steps ascend in every panel, for every stack and a 28-day period", () => {
    const period28 = generated(
      slo(dashboardSettings({ ...configs.dev, slo: { ...configs.dev.slo, period: "28d" as const } })),
    );
    const panels = [...STACKS.flatMap((s) => withCapacity[s].flatMap(panelsOf)), ...panelsOf(period28)];
    const unordered = panels.filter((p) => {
      const values = (p.fieldConfig?.defaults?.thresholds?.steps ?? []).slice(1).map((x: { value: number }) => x.value);
      return values.some((v: number, i: number) => i > 0 && v <= values[i - 1]);
    });
    expect(unordered.map((p) => p.title)).toEqual([]);
  });

  test("no stat, gauge or bar gauge relies on Grafana's default thresholds (red at 80)", () => {
    const gauges = STACKS.flatMap((s) =>
      withCapacity[s].flatMap((d) => panelsOf(d).map((p) => ({ d: d.uid, p }))),
    ).filter(({ p }) => ["stat", "gauge", "bargauge"].includes(p.type));
    expect(gauges.length).toBeGreaterThan(30);
    const bad = gauges.filter(({ p }) => {
      const steps = p.fieldConfig?.defaults?.thresholds?.steps as { value: number | null; color: string }[] | undefined;
      return !steps || steps.length === 0 || steps.some((s) => s.value === 80 && s.color === "red");
    });
    expect(bad.map(({ d, p }) => `${d} / ${p.title}`)).toEqual([]);
  });
});

describe("readability", () => {
  const timeseries = STACKS.flatMap((s) =>
    withCapacity[s].flatMap((d) => panelsOf(d).filter((p) => p.type === "timeseries")),
  );

  test("every time series has a sorted multi-series tooltip and a table legend with last, mean and max", () => {
    expect(timeseries.length).toBeGreaterThan(60);
    for (const p of timeseries) {
      expect(p.options.tooltip).toEqual({ mode: "multi", sort: "desc" });
      expect(p.options.legend).toMatchObject({ displayMode: "table", calcs: ["lastNotNull", "mean", "max"] });
    }
  });

  test("series of 5xx are red and of 4xx amber wherever a panel splits by status", () => {
    const errors = byUid("prod", "errors");
    for (const title of ["5xx and 4xx per second by service", "Responses by route and status"]) {
      const overrides = panel(errors, title).fieldConfig.overrides;
      const colour = (prefix: string) =>
        overrides.find((o: any) => new RegExp(o.matcher.options).test(`${prefix} order /orders`))?.properties[0].value
          .fixedColor;
      expect([colour("5xx"), colour("503"), colour("4xx"), colour("404")]).toEqual(["red", "red", "orange", "orange"]);
      expect(colour("200")).toBeUndefined();
    }
  });

  test("exemplars are on for every panel drawing raw request durations; the heatmap repeats per service", () => {
    const latency = byUid("prod", "latency");
    const raw = panelsOf(latency).filter(
      (p) =>
        p.fieldConfig?.defaults?.unit === "s" &&
        p.targets.some((t: any) => t.expr?.includes(`${METRICS.serverDuration}_bucket`)),
    );
    expect(raw.map((p) => p.title)).toEqual(["p99 by route (click a dot for its trace)"]);
    for (const p of raw) expect(p.targets.every((t: any) => t.exemplar === true)).toBe(true);
    const heatmap = panelsOf(latency).find((p) => p.type === "heatmap");
    expect(heatmap).toMatchObject({ repeat: "service", repeatDirection: "h" });
    expect(heatmap.targets[0]).toMatchObject({ exemplar: true, format: "heatmap" });
  });
});

describe("annotations", () => {
  test.each(STACKS)(
    "%s: service dashboards mark firing alerts, fault injection and pod starts of the environment; platform health its own alerts and starts",
    (stack) => {
      for (const d of withCapacity[stack]) {
        // the chaos dashboard adds its fault windows after these (test/dashboards/chaos.test.ts)
        const all = (d.json.annotations as any).list as any[];
        const list = d.uid.endsWith("-chaos") ? all.slice(0, 3) : all;
        const names = list.map((a) => a.name);
        const platformScope = d.uid.endsWith("platform-health");
        expect(names).toEqual(
          platformScope
            ? ["Firing alerts", "Pod starts (deploys, restarts)"]
            : ["Firing alerts", "Fault injection", "Pod starts (deploys, restarts)"],
        );
        const ns = platformScope ? "$platform_namespace" : "$namespace";
        for (const a of list) expect(a.expr).toContain(`namespace="${ns}"`);
        expect(list[0].expr).toContain('ALERTS{alertstate="firing"');
        expect(list.at(-1)).toMatchObject({ useValueForTime: true });
        if (!platformScope) expect(list[1].expr).toContain(`${METRICS.faultSetting}{`);
      }
    },
  );
});

describe("errors and platform health", () => {
  test("the failure log panels read error and warning lines and 5xx access lines, through the same query", () => {
    const errors = byUid("prod", "errors");
    expect(panel(errors, "Failure logs").targets[0].expr).toBe(FAILURE_LINES);
    expect(FAILURE_LINES).toContain(`level=~"error|warn" or status_code=~"5.."`);
    for (const q of errors.queries.filter((q) => q.datasource === "loki")) expect(q.expr).toContain(FAILURE_LINES);
  });

  test("failed traces: one Jaeger search table per selected service, error spans only", () => {
    const p = panelsOf(byUid("prod", "errors")).find((x) => x.title.startsWith("Failed traces"));
    expect(p).toMatchObject({ type: "table", repeat: "service", datasource: { type: "jaeger" } });
    expect(p.targets[0]).toMatchObject({ queryType: "search", service: "$service", tags: "error=true" });
  });

  test("platform health has a row per component, each with its up stat on the component's job", () => {
    const d = byUid("prod", "platform-health");
    const rows = (d.json.panels as any[]).filter((p) => p.type === "row").map((p) => p.title);
    expect(rows).toEqual([
      "Scrapes",
      "Prometheus",
      "Alertmanager",
      "Grafana",
      "Loki",
      "Alloy",
      "OpenTelemetry Collector gateway",
      "OpenTelemetry Collector",
      "Jaeger",
      "Log cost",
    ]);
    for (const [component, job] of Object.entries(COMPONENT_JOBS)) {
      const up = panelsOf(d).find(
        (p) => p.type === "stat" && p.targets[0].expr.includes(`job=~"${job}"`) && p.title.endsWith(" up"),
      );
      expect({ component, up: up?.targets[0].expr }).toEqual({
        component,
        up: `sum(up{namespace="$platform_namespace",job=~"${job}"}) or vector(0)`,
      });
    }
    expect(panel(d, "Rule group duration / interval").targets[0].expr).toContain(
      "prometheus_rule_group_last_duration_seconds",
    );
    expect(panel(d, "Missed iterations and failed evaluations").targets[0].expr).toContain(
      "prometheus_rule_group_iterations_missed_total",
    );
    expect(panel(d, "Targets by share of the range down")).toMatchObject({ type: "table" });
  });
});
