import { CHARTS } from "../../infra/charts/pins";
import { repoRoot, staticValues } from "../../infra/charts/values-files";
import { CAPACITY_METRICS } from "../../infra/dashboards/capacity";
import { PLATFORM_METRICS } from "../../infra/dashboards/dashboards";
import { generated } from "../../infra/dashboards/model";
import { COMPONENT_JOBS, platformHealth } from "../../infra/dashboards/platform-health";
import { promqlMetricNames, promqlProblems, substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { PLATFORM_SERVICES, RELEASES } from "../../infra/platform/naming";
import { scrapeTargets } from "../../infra/preflight/checks/scraping/jobs";
import { chartSourcesDir, renderChart } from "../../infra/render/render";
import { gatewayConfig, gatewayValues } from "../../infra/tracing/collector-tiers";
import { byUid, configs, type Selector, selectorsOf, settings } from "./built";

/*
 * The trace gateway (`scale: distributed`, prod) on the Platform health dashboard: its own row before the
 * collector's, reading the gateway's job and HPA only; single stacks (dev, staging) show nothing of it.
 */

type Json = Record<string, any>;

const GATEWAY_ROW = "OpenTelemetry Collector gateway";
const health = (stack: "dev" | "staging" | "prod") => byUid(stack, "platform-health");

/** The panels between a row and the next row, in dashboard order. */
function rowPanels(json: Json, title: string): Json[] {
  const panels = json.panels as Json[];
  const start = panels.findIndex((p) => p.type === "row" && p.title === title);
  if (start < 0) return [];
  const end = panels.findIndex((p, i) => i > start && p.type === "row");
  return panels.slice(start + 1, end < 0 ? undefined : end);
}

const gatewayPanels = () => rowPanels(health("prod").json, GATEWAY_ROW);
const byTitle = (title: string) => gatewayPanels().find((p) => p.title === title) as Json;
const exprs = (p: Json) => (p.targets as Json[]).map((t) => t.expr as string);
const selectors = (expr: string): Selector[] => selectorsOf({ datasource: "prometheus", expr });
const matcher = (s: Selector, label: string) => s.matchers.find((m) => m.label === label);
const metricOf = (s: Selector) => s.text.split("{")[0];

/** The component id the gateway's traces pipeline exports with: its metrics' `exporter` label. */
const [EXPORTER_ID] = gatewayConfig(settings.prod.namespaces).service.pipelines.traces.exporters;

describe("gateway panels only where the stack is distributed", () => {
  test("dev and staging are single, and nothing of their Platform health names the gateway", () => {
    for (const stack of ["dev", "staging"] as const) {
      expect(configs[stack].scale).toBe("single");
      const text = JSON.stringify(health(stack).json);
      expect(text).not.toContain(PLATFORM_SERVICES.otelGateway.name);
      expect(text.toLowerCase()).not.toContain("gateway");
    }
  });

  test("prod is distributed and its gateway row comes between Alloy's and the collector's", () => {
    expect(configs.prod.scale).toBe("distributed");
    const rows = (health("prod").json.panels as Json[]).filter((p) => p.type === "row").map((p) => p.title);
    expect(rows.slice(rows.indexOf("Alloy"), rows.indexOf("OpenTelemetry Collector") + 1)).toEqual([
      "Alloy",
      GATEWAY_ROW,
      "OpenTelemetry Collector",
    ]);
    expect(gatewayPanels().map((p) => p.title)).toEqual([
      "Collector gateway up",
      "Gateway spans accepted and refused",
      "Gateway spans sent and failed",
      "Gateway sending queue: size / capacity",
      "Gateway replicas: current and maximum",
    ]);
  });

  test("the gateway row only adds: prod built as single has the same panels and queries minus that row", () => {
    const titlesAndQueries = (json: Json) =>
      (json.panels as Json[]).map((p) => [p.type, p.title, (p.targets ?? []).map((t: Json) => t.expr)]);
    const asSingle = generated(platformHealth({ ...settings.prod, scale: "single" })).json as Json;
    const gatewayTitles = new Set([GATEWAY_ROW, ...gatewayPanels().map((p) => p.title)]);
    const distributed = titlesAndQueries(health("prod").json).filter(([, title]) => !gatewayTitles.has(title));
    expect(titlesAndQueries(asSingle)).toEqual(distributed);
    expect(gatewayTitles.size).toBe(6);
  });
});

describe("what the gateway panels read", () => {
  test("every selector reads the platform namespace and the gateway: its job, or its HPA", () => {
    const all = gatewayPanels().flatMap((p) => exprs(p).flatMap(selectors));
    expect(all.length).toBe(9); // up, 2 receiver, 2 exporter, size and capacity, 2 HPA series
    for (const s of all) {
      expect({ s: s.text, ns: matcher(s, "namespace") }).toEqual({
        s: s.text,
        ns: { label: "namespace", op: "=", value: "$platform_namespace" },
      });
      const job = matcher(s, "job");
      const hpa = matcher(s, "horizontalpodautoscaler");
      if (job) expect(new RegExp(`^(?:${job.value})$`).test(RELEASES.otelGateway)).toBe(true);
      else
        expect(hpa).toEqual({ label: "horizontalpodautoscaler", op: "=", value: PLATFORM_SERVICES.otelGateway.name });
    }
    // the job matcher is the gateway's alone: it cannot also read the samplers' series
    expect(new RegExp(`^(?:${COMPONENT_JOBS.gateway})$`).test(RELEASES.collector)).toBe(false);
  });

  test("accepted and refused are the receiver's span counters, per receiver", () => {
    const [accepted, refused] = exprs(byTitle("Gateway spans accepted and refused")).map(selectors);
    expect([accepted?.map(metricOf), refused?.map(metricOf)]).toEqual([
      ["otelcol_receiver_accepted_spans_total"],
      ["otelcol_receiver_refused_spans_total"],
    ]);
  });

  test("sent and failed select the traces pipeline's exporter by its component id, a key of the gateway's exporters", () => {
    expect(Object.keys(gatewayConfig(settings.prod.namespaces).exporters)).toContain(EXPORTER_ID);
    const [sent, failed] = exprs(byTitle("Gateway spans sent and failed")).map(selectors);
    for (const [list, metric] of [
      [sent, "otelcol_exporter_sent_spans_total"],
      [failed, "otelcol_exporter_send_failed_spans_total"],
    ] as const) {
      expect(list?.map(metricOf)).toEqual([metric]);
      expect(matcher(list?.[0] as Selector, "exporter")).toEqual({ label: "exporter", op: "=", value: EXPORTER_ID });
    }
  });

  test("the queue panel divides the exporter's queue size by its capacity, per pod, on a 0–1 axis", () => {
    const p = byTitle("Gateway sending queue: size / capacity");
    const [expr] = exprs(p);
    const list = selectors(expr as string);
    expect(list.map(metricOf)).toEqual(["otelcol_exporter_queue_size", "otelcol_exporter_queue_capacity"]);
    for (const s of list) expect(matcher(s, "exporter")?.value).toBe(EXPORTER_ID);
    expect(expr).toMatch(/^max by \(pod\) \(otelcol_exporter_queue_size\{.*\}\) \/ max by \(pod\) \(/);
    expect(p.fieldConfig.defaults).toMatchObject({ unit: "percentunit", min: 0, max: 1 });
  });

  test("the replicas panel reads kube-state-metrics' current and maximum replicas of the gateway HPA", () => {
    const list = exprs(byTitle("Gateway replicas: current and maximum")).flatMap(selectors);
    expect(list.map(metricOf)).toEqual([
      "kube_horizontalpodautoscaler_status_current_replicas",
      "kube_horizontalpodautoscaler_spec_max_replicas",
    ]);
  });

  test("every gateway query parses and names only allow-listed metrics", () => {
    const allowed = new Set<string>([...PLATFORM_METRICS, ...CAPACITY_METRICS]);
    for (const expr of gatewayPanels().flatMap(exprs)) {
      const substituted = substituteGrafanaVariables(expr);
      expect({ expr, problems: promqlProblems(substituted) }).toEqual({ expr, problems: [] });
      expect(promqlMetricNames(substituted).filter((n) => !allowed.has(n))).toEqual([]);
    }
    expect(promqlProblems("sum(rate(otelcol_exporter_queue_size{exporter=}[5m]))")).not.toEqual([]); // can fail
  });
});

const sources = chartSourcesDir(repoRoot());
const withSources = sources || process.env.REQUIRE_CHART_SOURCES === "1" ? test : test.skip;

describe("the gateway release as the collector chart renders it", () => {
  withSources("its ServiceMonitor's job and its HPA's name are what the panels select", async () => {
    const ns = settings.prod.namespaces;
    const values = gatewayValues(staticValues("otelCollector"), configs.prod.distributed.collector, ns, {});
    const { objects } = await renderChart(
      { release: RELEASES.otelGateway, namespace: ns.platform, ...CHARTS.otelCollector, values },
      sources as string,
    );
    const jobs = scrapeTargets(objects, () => true).map((t) => t.job);
    expect(jobs).toEqual([COMPONENT_JOBS.gateway]);
    const hpas = objects.filter((o) => o.object.kind === "HorizontalPodAutoscaler").map((o) => o.object.metadata.name);
    const [current] = exprs(byTitle("Gateway replicas: current and maximum")).flatMap(selectors);
    expect(hpas).toEqual([matcher(current as Selector, "horizontalpodautoscaler")?.value]);
  });
});
