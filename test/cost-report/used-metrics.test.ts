import path from "node:path";
import { readRunbooks } from "../../apps/cost/report";
import { AGGREGATE_RECORDS } from "../../infra/alerting/names";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { repoRoot } from "../../infra/charts/values-files";
import { stackDashboards } from "../../infra/dashboards/dashboards";
import { namespaces } from "../../infra/platform/naming";
import {
  dashboardQueries,
  isRead,
  metricReads,
  namePatterns,
  projectReads,
  runbookQueries,
  unreadRecords,
  variablePromql,
} from "../../infra/queries/used-metrics";
import { dev, queriesOf } from "./builders";

test('names of every selector (name{…}, {__name__="…"}), through functions, binary operators and subqueries', () => {
  const reads = metricReads([
    { source: "a", expr: 'sum by (x) (rate(a_total{job="j"}[5m])) / on (x) group_left b + max_over_time(c[1h:5m])' },
    { source: "b", expr: '{__name__="d", job="k"} or vector(1)' },
  ]);
  expect([...reads.names].sort()).toEqual(["a_total", "b", "c", "d"]);
  expect(reads.patterns).toEqual([]);
});

test("a __name__ regex is read anchored (\"go_.*\" reads go_gc but not cgo_calls); '…' and `…` literals too", () => {
  const [double] = namePatterns('count({__name__=~"go_.*"})');
  expect(double?.test("go_gc")).toBe(true);
  expect(double?.test("cgo_calls")).toBe(false);
  expect(namePatterns("{__name__=~'a|b'}")[0]?.test("b")).toBe(true);
  expect(namePatterns("{__name__=~`x\\d`}")[0]?.test("x1")).toBe(true);
  expect(isRead({ names: new Set(), patterns: namePatterns('{__name__=~"go_.*"}') }, "go_threads")).toBe(true);
});

test("Grafana variable queries: label_values' selector, query_result's expression, metrics()' regex; label_values(label) reads none", () => {
  expect(variablePromql('label_values(up{job="x"}, instance)')).toBe('up{job="x"}');
  expect(variablePromql("query_result(topk(5, rate(a[5m])))")).toBe("topk(5, rate(a[5m]))");
  expect(variablePromql("metrics(node_.*)")).toBe('{__name__=~"node_.*"}');
  expect(variablePromql("label_values(instance)")).toBeUndefined();
});

test("dev's dashboards: their route variable reads the per-route request record (a template variable, not a panel)", () => {
  const queries = dashboardQueries(stackDashboards(dev));
  const variables = queries.filter((q) => q.source.includes(": variable "));
  expect(variables.length).toBeGreaterThan(0);
  expect(variables.some((q) => q.expr.includes(AGGREGATE_RECORDS.routeRequestRate))).toBe(true);
});

test("a record is unread when no rule, dashboard or tool reads it; a chain of records is read through", () => {
  const groups = [
    {
      name: "g",
      rules: [
        { record: "a:x:rate5m", expr: "rate(x_total[5m])" },
        { record: "b:x:sum", expr: "sum(a:x:rate5m)" },
        { alert: "XHigh", expr: "b:x:sum > 1" },
        { record: "c:y:max", expr: "max(y)" },
      ],
    },
  ];
  const reads = metricReads(groups.flatMap((g) => g.rules.map((r) => ({ source: "rule", expr: r.expr }))));
  expect(unreadRecords(groups, reads)).toEqual(["c:y:max"]);
  // an unread record's input is still read: dropping y would empty the rule
  expect(isRead(reads, "y")).toBe(true);
});

test("dev: what the stack reads includes its rules' inputs (kube-state-metrics, the services' histograms) and not prom-client's GC histogram", () => {
  const ns = namespaces(dev);
  const reads = projectReads(dev, ruleGroupsFor(dev, ns), queriesOf(dev));
  for (const name of [
    "kube_pod_container_resource_requests",
    "http_server_request_duration_seconds_bucket",
    "log_bytes_total",
    AGGREGATE_RECORDS.requestRate,
  ]) {
    expect(isRead(reads, name)).toBe(true);
  }
  // false also shows the report's own `{__name__=~".+"}` listing is left out: it would read every name
  expect(isRead(reads, "nodejs_gc_duration_seconds_bucket")).toBe(false);
});

test("runbook queries: inline code and code-block lines that parse as PromQL; prose words and shell lines are not queries", () => {
  const text = [
    '1. Which routes: `service_route:http_server_errors:rate5m{service_name="order"}` and `order` (the service).',
    "```",
    "kubectl -n obs-dev-apps rollout restart deploy/order",
    "sum by (reason) (rate(order_failures_total[5m]))",
    "```",
    "Then `pulumi up` and `a_record:without_braces`.",
  ].join("\n");
  const queries = runbookQueries([{ name: "X.md", text }]);
  expect(queries.map((q) => q.expr)).toEqual([
    "sum by (reason) (rate(order_failures_total[5m]))",
    'service_route:http_server_errors:rate5m{service_name="order"}',
    "a_record:without_braces",
  ]);
  expect(new Set(queries.map((q) => q.source))).toEqual(new Set(["runbook X.md"]));
});

test("dev with the committed runbooks: the per-route error record is read (SLO runbooks query it by hand); without them it is not", () => {
  const ns = namespaces(dev);
  const groups = ruleGroupsFor(dev, ns);
  const runbooks = readRunbooks(path.join(repoRoot(), "docs", "runbooks"));
  expect(runbooks.length).toBeGreaterThan(10);
  const record = AGGREGATE_RECORDS.routeErrorRate;
  expect(unreadRecords(groups, projectReads(dev, groups, queriesOf(dev)))).toContain(record);
  expect(unreadRecords(groups, projectReads(dev, groups, queriesOf(dev), undefined, runbooks))).not.toContain(record);
});
