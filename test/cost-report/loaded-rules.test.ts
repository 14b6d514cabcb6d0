import http from "node:http";
import type { AddressInfo } from "node:net";
import { httpPrometheus } from "../../apps/cost/prometheus";
import { buildReport } from "../../apps/cost/report";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { namespaces } from "../../infra/platform/naming";
import { isRead, loadedRulesOf, projectReads } from "../../infra/queries/used-metrics";
import { dev, queriesOf } from "./builders";

/*
 * A GET /api/v1/rules answer written by hand in Prometheus' shape, with rules as kube-prometheus-stack's mixins
 * write them (prometheus, alertmanager, node-exporter). dev's own rules and dashboards read none of the metrics
 * below but prometheus_rule_evaluation_failures_total (its meta-monitoring reads that one too).
 */
const KPS = 'job="kps-prometheus",namespace="monitoring"';
const RULES_BODY = {
  status: "success",
  data: {
    groups: [
      {
        name: "prometheus",
        file: "/etc/prometheus/rules/prometheus-kps-prometheus-rulefiles-0/monitoring-kps-prometheus.yaml",
        interval: 30,
        rules: [
          {
            state: "inactive",
            name: "PrometheusErrorSendingAlertsToSomeAlertmanagers",
            query: `(rate(prometheus_notifications_errors_total{${KPS}}[5m]) / rate(prometheus_notifications_sent_total{${KPS}}[5m])) * 100 > 1`,
            duration: 900,
            labels: { severity: "warning" },
            annotations: {},
            alerts: [],
            health: "ok",
            type: "alerting",
          },
          {
            state: "inactive",
            name: "PrometheusBadConfig",
            query: `max_over_time(prometheus_config_last_reload_successful{${KPS}}[5m]) == 0`,
            health: "ok",
            type: "alerting",
          },
          {
            state: "inactive",
            name: "PrometheusRuleFailures",
            query: `increase(prometheus_rule_evaluation_failures_total{${KPS}}[5m]) > 0`,
            health: "ok",
            type: "alerting",
          },
        ],
      },
      {
        name: "alertmanager.rules",
        rules: [
          {
            name: "AlertmanagerFailedReload",
            query:
              'max_over_time(alertmanager_config_last_reload_successful{job="kps-alertmanager",namespace="monitoring"}[5m]) == 0',
            health: "ok",
            type: "alerting",
          },
        ],
      },
      {
        name: "node-exporter.rules",
        rules: [
          {
            name: "instance:node_num_cpu:sum",
            query: 'count without (cpu, mode) (node_cpu_seconds_total{job="node-exporter",mode="idle"})',
            labels: {},
            health: "ok",
            type: "recording",
          },
        ],
      },
    ],
  },
};

/** Read by the sample's rules, by no rule, dashboard or tool of dev. */
const READ_ONLY_BY_KPS = [
  "prometheus_notifications_errors_total",
  "prometheus_notifications_sent_total",
  "prometheus_config_last_reload_successful",
  "alertmanager_config_last_reload_successful",
  "node_cpu_seconds_total",
];

test("loadedRulesOf: every group's rules, alerting and recording, become `loaded rule <group>/<name>` queries; recording rules' names are records", () => {
  const loaded = loadedRulesOf(RULES_BODY);
  expect(loaded.groups).toBe(3);
  expect(loaded.queries.map((q) => q.source)).toEqual([
    "loaded rule prometheus/PrometheusErrorSendingAlertsToSomeAlertmanagers",
    "loaded rule prometheus/PrometheusBadConfig",
    "loaded rule prometheus/PrometheusRuleFailures",
    "loaded rule alertmanager.rules/AlertmanagerFailedReload",
    "loaded rule node-exporter.rules/instance:node_num_cpu:sum",
  ]);
  expect(loaded.queries[1]?.expr).toBe(`max_over_time(prometheus_config_last_reload_successful{${KPS}}[5m]) == 0`);
  expect([...loaded.records]).toEqual(["instance:node_num_cpu:sum"]);
});

test("the union: metrics only the loaded kps rules read (through rate, ratios, count without) become used; without them dev reads none", () => {
  const groups = ruleGroupsFor(dev, namespaces(dev));
  const own = projectReads(dev, groups, queriesOf(dev));
  const withLoaded = projectReads(dev, groups, queriesOf(dev), loadedRulesOf(RULES_BODY));
  expect(READ_ONLY_BY_KPS.filter((name) => isRead(own, name))).toEqual([]);
  expect(READ_ONLY_BY_KPS.filter((name) => !isRead(withLoaded, name))).toEqual([]);
  // the project's own reads stay: the union adds, it never replaces
  expect(isRead(withLoaded, "kube_pod_container_resource_requests")).toBe(true);
  expect(isRead(withLoaded, "node_filesystem_avail_bytes")).toBe(false);
});

test.each([
  [
    { status: "error", errorType: "internal", error: "rule manager not ready" },
    "/api/v1/rules answered status error: rule manager not ready",
  ],
  [{ status: "success", data: {} }, "/api/v1/rules answered no data.groups list"],
  [
    { status: "success", data: { groups: [{ name: "g", rules: [{ name: "NoQuery", type: "alerting" }] }] } },
    "loaded rule g/NoQuery has no query",
  ],
  ["<html>", "/api/v1/rules answered status none: no error"],
])("an answer that is not readable rules is refused, never half read: %j", (body, message) => {
  expect(() => loadedRulesOf(body)).toThrow(message);
});

/*
 * The whole report on a fake Prometheus over HTTP: it holds the series below (seriesByName answers them, every
 * other query an empty vector, no active targets) and answers /api/v1/rules with RULES_BODY or with an HTML 404.
 */
const q = queriesOf(dev);
const SERIES: [string, string, number][] = [
  ["node_cpu_seconds_total", "node-exporter", 16],
  ["node_filesystem_avail_bytes", "node-exporter", 4],
  ["prometheus_notifications_errors_total", "kps-prometheus", 2],
  ["prometheus_notifications_sent_total", "kps-prometheus", 2],
  ["alertmanager_config_last_reload_successful", "kps-alertmanager", 1],
  // written by the loaded recording rule, keeping node-exporter's job label: relabelling cannot drop it
  ["instance:node_num_cpu:sum", "node-exporter", 1],
  ["prometheus_config_last_reload_successful", "kps-prometheus", 1],
];

async function withFakePrometheus<T>(rulesAnswer: "rules" | "404", run: (url: string) => Promise<T>): Promise<T> {
  const json = (res: http.ServerResponse, body: unknown) =>
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/api/v1/rules") {
      if (rulesAnswer === "rules") return json(res, RULES_BODY);
      return res.writeHead(404, { "content-type": "text/html" }).end("<html>not here</html>");
    }
    if (url.pathname === "/api/v1/targets") return json(res, { status: "success", data: { activeTargets: [] } });
    const result =
      url.searchParams.get("query") === q.seriesByName
        ? SERIES.map(([name, job, count]) => ({ metric: { __name__: name, job }, value: [0, String(count)] }))
        : [];
    return json(res, { status: "success", data: { resultType: "vector", result } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    return await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const unusedSectionOf = async (rulesAnswer: "rules" | "404") => {
  const report = await withFakePrometheus(rulesAnswer, (url) => buildReport(httpPrometheus(url), dev, { top: 50 }));
  const section = report.sections.find((s) => s.title.startsWith("Metrics scraped but used by no rule"));
  if (!section) throw new Error("no unused-metrics section in the report");
  const largest = section.tables.find((t) => t.title.startsWith("Largest unused metrics"));
  return { section, listed: largest?.rows.map((r) => r[0]) };
};

test("report over HTTP: the loaded rules' inputs and their record leave the list; only node_filesystem_avail_bytes, which no rule reads, stays", async () => {
  const { section, listed } = await unusedSectionOf("rules");
  expect(listed).toEqual(["node_filesystem_avail_bytes"]);
  expect(section.intro).toContain("every rule loaded in that Prometheus");
  expect(section.notes).toContain("Counted as readers: the 5 rules in 3 groups loaded in Prometheus.");
});

test("report over HTTP: /api/v1/rules answering a 404 page, the report still runs, lists what only dev judges unused and says the list may hold what other rules read", async () => {
  const { section, listed } = await unusedSectionOf("404");
  // largest first, ties by name; prometheus_notifications_errors_total and
  // alertmanager_config_last_reload_successful are not listed: the Watchdog runbook queries them
  expect(listed).toEqual([
    "node_cpu_seconds_total",
    "node_filesystem_avail_bytes",
    "prometheus_notifications_sent_total",
    "instance:node_num_cpu:sum",
    "prometheus_config_last_reload_successful",
  ]);
  const note = section.notes.find((n) => n.startsWith("The rules loaded in Prometheus could not be read"));
  expect(note).toContain("/api/v1/rules answered 404");
  expect(note).toContain("the list may include metrics other rules (kube-prometheus-stack's own, for one) read");
});
