import { DASHBOARD_SIDECAR_LABEL } from "../../infra/dashboards/model";
import { dashboardsHaveTargets } from "../../infra/preflight/checks/dashboard-targets";
import { jobMatchers, rulesHaveTargets } from "../../infra/preflight/checks/rule-targets";
import { deployment, obj } from "./support";

const NS = "p";
const ORDER = { "app.kubernetes.io/name": "order", "app.kubernetes.io/component": "demo-service" };

/** The order service, scraped through its Service: produces job "order". */
const scrapedOrder = [
  deployment("order", NS, ORDER),
  obj({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "order", namespace: NS, labels: ORDER },
    spec: { selector: ORDER, ports: [{ name: "http", port: 80, targetPort: "http" }] },
  }),
  obj({
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: "order", namespace: NS },
    spec: { selector: { matchLabels: ORDER }, endpoints: [{ port: "http" }] },
  }),
];

const prometheusRule = (rules: Record<string, unknown>[], origin = "program") =>
  obj(
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: { name: "service-health", namespace: NS },
      spec: { groups: [{ name: "service-health", rules }] },
    },
    origin,
  );

describe("jobMatchers", () => {
  test("finds = and =~ job matchers anywhere in the expression, ignores != and !~ and other labels", () => {
    const expr =
      'sum(rate(up{job="order", namespace="p"}[5m])) / on(job) count({"job"=~`prod.*`}) unless up{job!="x", job!~"y"}';
    expect(jobMatchers(expr)).toEqual([
      { op: "=", value: "order" },
      { op: "=~", value: "prod.*" },
    ]);
  });

  test("single-quoted literals and escapes are unquoted", () => {
    expect(jobMatchers(`up{job='order'} or up{job="a\\"b"}`)).toEqual([
      { op: "=", value: "order" },
      { op: "=", value: 'a"b' },
    ]);
  });
});

describe("rule-targets check", () => {
  test("passes when every job matcher selects a produced job (exact, and a regex that matches)", () => {
    const rules = prometheusRule([
      { alert: "OrderDown", expr: 'up{job="order"} == 0' },
      { alert: "ServiceDown", expr: 'up{job=~"order|product|user"} == 0' },
      { record: "job:up:sum", expr: 'sum by (job) (up{job=~".*rder"})' },
    ]);
    expect(rulesHaveTargets([...scrapedOrder, rules])).toEqual([]);
  });

  test("fails on an alert about a job nobody produces, naming rule, group, alert and the jobs available", () => {
    const rules = prometheusRule([{ alert: "JaegerDown", expr: 'up{job="jaeger"} == 0' }]);
    const findings = rulesHaveTargets([...scrapedOrder, rules]);
    expect(findings).toEqual([
      {
        check: "rule-targets",
        object: "PrometheusRule p/service-health (program)",
        message:
          'group "service-health", alert JaegerDown: job="jaeger" matches no job any monitor produces (jobs produced: order)',
      },
    ]);
  });

  test("regex matchers are anchored as Prometheus anchors them: a partial match is no match", () => {
    const rules = prometheusRule([{ record: "order:up", expr: 'up{job=~"rde"}' }]);
    const findings = rulesHaveTargets([...scrapedOrder, rules]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.message).toMatch(/^group "service-health", record order:up: job=~"rde" matches no job/);
  });

  test("the jobs come from the monitors: without the ServiceMonitor the same rule fails", () => {
    const rules = prometheusRule([{ alert: "OrderDown", expr: 'up{job="order"} == 0' }]);
    expect(rulesHaveTargets([...scrapedOrder, rules])).toEqual([]);
    expect(rulesHaveTargets([...scrapedOrder.slice(0, 2), rules])).toHaveLength(1);
  });

  test("negative matchers and matchers that also match the empty string need no target", () => {
    const rules = prometheusRule([
      { alert: "A", expr: 'up{job!="nobody"} == 0' },
      { alert: "B", expr: 'up{job!~"nobody.*"} == 0' },
      { alert: "C", expr: 'up{job=~"nobody|"} == 0' },
    ]);
    expect(rulesHaveTargets([...scrapedOrder, rules])).toEqual([]);
  });

  test("chart-made PrometheusRules are checked too, and each failing matcher is reported once per rule", () => {
    const rules = prometheusRule(
      [
        {
          alert: "KubeStateMetricsDown",
          expr: 'absent(up{job="kube-state-metrics"}) or up{job="kube-state-metrics"} == 0',
        },
      ],
      "kps",
    );
    const findings = rulesHaveTargets([...scrapedOrder, rules]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.object).toBe("PrometheusRule p/service-health (kps)");
  });
});

describe("dashboard-targets check", () => {
  const dashboard = (exprs: string[]) =>
    obj({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "dashboard-x", namespace: NS, labels: DASHBOARD_SIDECAR_LABEL },
      data: {
        "x.json": JSON.stringify({
          panels: [
            {
              title: "Up",
              type: "stat",
              targets: exprs.map((expr) => ({ expr, datasource: { type: "prometheus", uid: `\${datasource}` } })),
            },
          ],
        }),
      },
    });

  test("a panel on a scraped job passes, after Grafana variables are substituted", () => {
    expect(dashboardsHaveTargets([...scrapedOrder, dashboard(['up{job="order"}', 'up{job=~"$service"}'])])).toEqual([]);
  });

  test("a panel on a job nobody scrapes is reported with the jobs that are", () => {
    const findings = dashboardsHaveTargets([...scrapedOrder, dashboard(['sum(up{job=~"alloy"})'])]);
    expect(findings).toEqual([
      {
        check: "dashboard-targets",
        object: expect.stringContaining("ConfigMap p/dashboard-x"),
        message: 'panel "Up": job=~"alloy" matches no job any monitor produces (order)',
      },
    ]);
  });

  test("a matcher naming a component a partial render lacks is not judged; ConfigMaps without the sidecar label are ignored", () => {
    expect(dashboardsHaveTargets([...scrapedOrder, dashboard(['up{job="kps-grafana"}'])], ["grafana"])).toEqual([]);
    const plain = dashboard(['up{job="nobody"}']);
    plain.object.metadata.labels = {};
    expect(dashboardsHaveTargets([...scrapedOrder, plain])).toEqual([]);
  });
});
