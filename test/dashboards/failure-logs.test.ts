import { SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { startTelemetry, type Telemetry } from "../../apps/lib/telemetry";
import { ACCESS_LOG_MESSAGE, LOG_FIELDS } from "../../contract";
import { logqlProblems, substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { grafanaDatasources, TRACE_ID_IN_LOG_LINE } from "../../infra/monitoring/datasources";
import { DATASOURCE_UIDS, namespaces } from "../../infra/platform/naming";
import { countByLabels, type LogEntry, selectLogLines } from "../../infra/queries/logql-eval";
import { call } from "../support/http";
import { type InProcess, startInProcess } from "../support/services";
import { byUid, configs, openingValues, panel, settings } from "./built";

/**
 * The Errors dashboard's Loki queries fed the lines a real product service writes while a fault makes
 * it answer 500: the lines reach Loki as Alloy ships them (stream labels namespace, service_name and
 * level; the line itself is the JSON the service wrote).
 */
const TOKEN = "failure-logs-token-0123456789";
const errors = byUid("prod", "errors");
const open = openingValues(errors);
const lokiQueries = errors.queries.filter((q) => q.datasource === "loki");
const resolved = (expr: string) => substituteGrafanaVariables(expr, open);

/** What Grafana's data links carry from the clicked series into the next dashboard. */
function follow(fromUid: string, panelTitle: string, linkTitle: RegExp, clicked: Record<string, string>) {
  const from = byUid("prod", fromUid.replace(/^prod-/, ""));
  const link = (panel(from, panelTitle).fieldConfig.defaults.links as { title: string; url: string }[]).find((l) =>
    linkTitle.test(l.title),
  );
  if (!link) throw new Error(`no link ${linkTitle} on ${fromUid} / ${panelTitle}`);
  const url = link.url.replace(/\$\{__field\.labels\.(\w+)\}/g, (_m, label: string) => clicked[label] ?? "");
  const [path, query] = url.split("?") as [string, string];
  const vars = Object.fromEntries(
    [...new URLSearchParams(query)].filter(([k]) => k.startsWith("var-")).map(([k, v]) => [k.slice(4), v]),
  );
  return { uid: path.split("/")[2] as string, vars };
}

describe("Errors dashboard log queries on a real service's lines", () => {
  let product: InProcess;
  let telemetry: Telemetry;
  const exporter = new InMemorySpanExporter();
  let entries: LogEntry[];
  const access = (status: (s: number) => boolean) =>
    entries.filter((e) => {
      const line = JSON.parse(e.line);
      return line[LOG_FIELDS.message] === ACCESS_LOG_MESSAGE && status(Number(line[LOG_FIELDS.status]));
    });

  beforeAll(async () => {
    telemetry = startTelemetry("product", {}, { spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    product = await startInProcess("product", { ADMIN_TOKEN: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (let i = 0; i < 3; i++) await call(`${product.url}/products`);
    await call(`${product.url}/products/p-unknown`);
    await call(`${product.url}/admin/faults`, { method: "PUT", body: { errorRate: 1 }, headers: auth });
    for (let i = 0; i < 4; i++) await call(`${product.url}/products/p-1001`);
    await call(`${product.url}/admin/faults`, { method: "PUT", body: {}, headers: auth });
    entries = product.logs.map((line) => ({
      labels: {
        namespace: settings.prod.namespaces.apps,
        [LOG_FIELDS.service]: String(line[LOG_FIELDS.service]),
        [LOG_FIELDS.level]: String(line[LOG_FIELDS.level]),
      },
      line: JSON.stringify(line),
    }));
  });
  afterAll(async () => {
    await product.close();
    await telemetry?.shutdown(1_000);
  });

  test("the service wrote 5xx access lines at info, and 2xx/4xx ones", () => {
    const fivexx = access((s) => s >= 500);
    expect(fivexx).toHaveLength(4);
    for (const e of fivexx) expect(e.labels.level).toBe("info");
    expect(access((s) => s < 500).length).toBeGreaterThanOrEqual(4);
  });

  test("every Loki query of the Errors dashboard parses and selects every 5xx access line, and no 2xx or 4xx one", () => {
    expect(lokiQueries.length).toBeGreaterThanOrEqual(3);
    const fivexx = access((s) => s >= 500).map((e) => e.line);
    const others = access((s) => s < 500).map((e) => e.line);
    for (const q of lokiQueries) {
      expect(logqlProblems(resolved(q.expr))).toEqual([]);
      const selected = selectLogLines(resolved(q.expr), entries).map((e) => e.line);
      expect({ panel: q.panel, missing: fivexx.filter((l) => !selected.includes(l)) }).toEqual({
        panel: q.panel,
        missing: [],
      });
      expect({ panel: q.panel, wrong: others.filter((l) => selected.includes(l)) }).toEqual({
        panel: q.panel,
        wrong: [],
      });
    }
  });

  test("warnings are failure lines too (the fault change is logged at warn); another environment's lines are not", () => {
    const logsPanel = panel(errors, "Failure logs").targets[0].expr as string;
    const warnings = entries.filter((e) => e.labels.level === "warn");
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    const elsewhere = warnings.map((e) => ({ ...e, labels: { ...e.labels, namespace: "obs-other-apps" } }));
    const selected = selectLogLines(resolved(logsPanel), [...warnings, ...elsewhere]);
    expect(selected).toHaveLength(warnings.length);
  });

  test("the failure-line rate counts them per service and level; the top messages put the failing route's 500 first", () => {
    const rate = countByLabels(
      resolved(lokiQueries.find((q) => q.panel === "Failure log lines per service")?.expr ?? ""),
      entries,
    );
    const failures = entries.filter((e) => e.labels.level === "warn" || e.labels.level === "error").length + 4;
    expect(rate.reduce((sum, s) => sum + s.count, 0)).toBe(failures);
    expect(rate.find((s) => s.labels.level === "info")).toEqual({
      labels: { service_name: "product", level: "info" },
      count: 4,
    });
    const top = countByLabels(
      resolved(lokiQueries.find((q) => q.panel === "Top failure messages over the range")?.expr ?? ""),
      entries,
    );
    expect(top[0]).toEqual({
      labels: { service_name: "product", message: ACCESS_LOG_MESSAGE, http_route: "/products/:id", status_code: "500" },
      count: 4,
    });
  });

  test("by clicks alone: overview error ratio → Errors of the service → Errors of its failing route → its 5xx lines → the failing trace", () => {
    // 1. the overview's error-ratio series of product
    const errorsOfService = follow("prod-service-overview", "Error ratio by service", /^Errors of /, {
      service_name: "product",
    });
    expect(errorsOfService).toEqual({ uid: "prod-errors", vars: { service: "product" } });
    // 2. on the Errors dashboard, the failing route's series
    const errorsOfRoute = follow("prod-errors", "Responses by route and status", /^Errors of /, {
      service_name: "product",
      http_route: "/products/:id",
    });
    expect(errorsOfRoute).toEqual({ uid: "prod-errors", vars: { service: "product", route: "/products/:id" } });
    // 3. the Failure logs panel with those variables: the route's 5xx access lines
    const logsQuery = substituteGrafanaVariables(panel(errors, "Failure logs").targets[0].expr, {
      ...open,
      ...errorsOfRoute.vars,
    });
    const lines = selectLogLines(logsQuery, entries).map((e) => e.line);
    expect(lines).toEqual(access((s) => s >= 500).map((e) => e.line));
    // 4. the Loki datasource's derived field takes each line's trace id to the Jaeger datasource
    const loki = grafanaDatasources(namespaces(configs.prod)).find((d) => d.uid === DATASOURCE_UIDS.loki) as any;
    const derived = loki.jsonData.derivedFields[0];
    expect(derived).toMatchObject({ matcherRegex: TRACE_ID_IN_LOG_LINE, datasourceUid: open.traces });
    const failed = exporter.getFinishedSpans().filter((span) => span.status.code === SpanStatusCode.ERROR);
    for (const line of lines) {
      const traceId = new RegExp(derived.matcherRegex).exec(line)?.[1];
      expect(failed.map((span) => span.spanContext().traceId)).toContain(traceId);
    }
  });
});
