import { type MonitoringStack, startMonitoringStack, startWebhookReceiver } from "../../apps/demo/monitoring-stack";
import { CONTAINER_PORT, COST_LABELS, COST_RECORDS, COST_SCOPES, LABELS, SERVICE_NAMES } from "../../contract";
import { alertmanagerConfig, RECEIVERS } from "../../infra/alerting/alertmanager";
import { KPS_POD_OWNER_RECORD, OVER_PROVISIONED_RATIO } from "../../infra/alerting/cost-rules";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import type { RuleGroup } from "../../infra/alerting/rules";
import { loadStackConfig } from "../../infra/config/stack-file";
import { COST_DASHBOARD_KEY, type GeneratedDashboard, stackDashboards } from "../../infra/dashboards/dashboards";
import { REQUESTS } from "../../infra/dashboards/queries";
import { substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { namespaces, PLATFORM_SERVICES } from "../../infra/platform/naming";
import { openingValues, STACKS } from "../dashboards/built";
import { waitFor } from "../support/http";
import { type ServiceProcess, startAll, stopAll } from "../support/services";
import { toolAvailable } from "../support/tools";
import { E2E_ADMIN_TOKEN, FAST_ROUTES, orderLoad, setFaults } from "./live-support";
import {
  joinedSelectors,
  type Labels,
  notSynthesisable,
  type Selector,
  type SyntheticExporter,
  satisfies,
  selectorsToSynthesise,
  seriesFor,
  startSyntheticExporter,
  type Workload,
  withRuleInputs,
} from "./synthetic-exporter";

/*
 * The Cost dashboard against a real Prometheus running the stack's real rules, the cost rules among them. The
 * services' own series (scrape sizes, log bytes, request rates, fault settings, start times) come from the
 * three real services under load, with product failing half its requests so an alert fires and the fault
 * shows. What the harness lacks — kube-state-metrics, cAdvisor, the collector's span metrics and
 * kube-prometheus-stack's pod-owner record — is synthesised from the selectors of the queries and of the
 * rules they read (./synthetic-exporter.ts): requests of 250m CPU and 256 MiB, usage of 0.1 cores and about
 * 100 MiB per container.
 */

const ready = toolAvailable("prometheus") && toolAvailable("prometheus-alertmanager");
const describeLive = ready ? describe : describe.skip;

/** The rules as deployed, each group evaluated at the harness' 1 s instead of its own interval (5m for right-sizing). */
const everySecond = (groups: RuleGroup[]) => groups.map(({ interval: _interval, ...g }) => g);

const costOf = (stack: string) => {
  const config = loadStackConfig(stack);
  const ns = namespaces(config);
  const dashboard = stackDashboards(config).find(
    (d) => d.uid === `${stack}-${COST_DASHBOARD_KEY}`,
  ) as GeneratedDashboard;
  const values = openingValues(dashboard);
  const queries = dashboard.queries
    .filter((q) => q.datasource === "prometheus")
    .map((q) => ({ panel: q.panel, expr: substituteGrafanaVariables(q.expr, values) }));
  return { config, ns, dashboard, queries, rules: everySecond(ruleGroupsFor(config, ns)) };
};

/**
 * One pod per service in the apps namespace and Prometheus in the platform namespace, each carrying the
 * labels kube-state-metrics exports from the pod (label_team …), the owning workload (kube-prometheus-stack's
 * owner record) and, for the services, the namespace their spans name (k8s_namespace_name).
 */
function workloadsOf(stack: string): Workload[] {
  const config = loadStackConfig(stack);
  const ns = namespaces(config);
  const payer = {
    label_team: config.team,
    label_environment: config.environment,
    label_cost_center: config.costCenter,
  };
  const services = SERVICE_NAMES.map((s, k) => ({
    name: s,
    labels: {
      namespace: ns.apps,
      job: s,
      [LABELS.service]: s,
      container: s,
      pod: `${s}-7f9c6d5b4-q2x${k}z`,
      instance: `10.244.0.${10 + k}:${CONTAINER_PORT}`,
      [COST_LABELS.workload]: s,
      k8s_namespace_name: ns.apps,
      ...payer,
    },
  }));
  const prometheus = `prometheus-${PLATFORM_SERVICES.prometheus.name}`;
  return [
    ...services,
    {
      name: prometheus,
      labels: {
        namespace: ns.platform,
        job: PLATFORM_SERVICES.prometheus.name,
        container: "prometheus",
        pod: `${prometheus}-0`,
        instance: "10.244.0.20:9090",
        [COST_LABELS.workload]: prometheus,
        persistentvolumeclaim: `${prometheus}-db-${prometheus}-0`,
        ...payer,
      },
    },
  ];
}

/** kube-prometheus-stack's own record the cost rules read: synthesised, as its inputs are not here either. */
const EXTERNAL_RECORDS: ReadonlySet<string> = new Set([KPS_POD_OWNER_RECORD]);
const recordedNames = (rules: RuleGroup[]) =>
  new Set(rules.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));

const seriesKey = (s: Labels) => JSON.stringify(Object.entries(s).sort());
const uniqueSeries = (list: Labels[]) => [...new Map(list.map((s) => [seriesKey(s), s])).values()];

/** History replayed before the present: under the hour Prometheus accepts. */
const HISTORY_SECONDS = 50 * 60;
const HISTORY_STEP_SECONDS = 4 * 60;

describe("the cost inputs can be synthesised (no Prometheus needed)", () => {
  test.each(STACKS)(
    "%s: every selector of the Cost queries and of the rules they read, kube-prometheus-stack's owner record included",
    (stack) => {
      const { queries, rules } = costOf(stack);
      const recorded = recordedNames(rules);
      expect(recorded.has(COST_RECORDS.workloadHourly)).toBe(true);
      expect(recorded.has(KPS_POD_OWNER_RECORD)).toBe(false);
      const selectors = withRuleInputs(
        queries.map((q) => q.expr),
        rules,
      )
        .flatMap(joinedSelectors)
        .flat()
        .filter((s) => !notSynthesisable(s.name, EXTERNAL_RECORDS));
      const names = new Set(selectors.map((s) => s.name));
      expect(
        [KPS_POD_OWNER_RECORD, "kube_pod_labels", "container_cpu_usage_seconds_total"].filter((n) => !names.has(n)),
      ).toEqual([]);
      const unmet = selectors.flatMap((s) =>
        seriesFor(s, workloadsOf(stack)).flatMap((series) =>
          s.matchers.filter((m) => !satisfies(m, series[m.label])).map((m) => `${s.text}: ${m.label}`),
        ),
      );
      expect(unmet).toEqual([]);
      // any other colon name is left alone: a misspelt record stays empty
      expect(notSynthesisable(`${COST_RECORDS.teamHourly}_misspelt`, EXTERNAL_RECORDS)).toBe(true);
      expect(notSynthesisable(KPS_POD_OWNER_RECORD)).toBe(true);
    },
  );
});

describeLive("live: every query of the Cost dashboard (dev) against a real Prometheus and the real rules", () => {
  const { config, ns, dashboard, queries, rules } = costOf("dev");
  const workloads = workloadsOf("dev");
  const queryOf = (panel: string, contains = "") => {
    const found = queries.find((q) => q.panel === panel && q.expr.includes(contains));
    if (!found) throw new Error(`no query on "${panel}" containing "${contains}"`);
    return found.expr;
  };

  // The efficiency join with its two sides in different namespaces, and a misspelt record: each must return nothing.
  const used = queryOf("Used share of the billed cost by workload");
  const own = `namespace=~"${ns.apps}|${ns.platform}"`;
  const [idleSide, billedSide] = used.split(" / ") as [string, string];
  const brokenJoin = `${idleSide.replace(own, `namespace="${ns.apps}"`)} / ${billedSide.replace(own, `namespace="${ns.platform}"`)}`;
  const byTeam = queryOf("Hourly cost by team", COST_RECORDS.teamHourly);
  const misspelt = byTeam.replace(COST_RECORDS.teamHourly, `${COST_RECORDS.teamHourly}_misspelt`);

  let services: Record<(typeof SERVICE_NAMES)[number], ServiceProcess>;
  let webhooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let exporter: SyntheticExporter;
  let stack: MonitoringStack;
  let load: ReturnType<typeof orderLoad>;
  let synthesised: Selector[] = [];
  let series: Labels[] = [];
  let empty: string[] = [];

  const hasData = async (expr: string) => (await stack.query(expr)).length > 0;
  const emptyQueries = async () => {
    const out: string[] = [];
    for (const q of queries) if (!(await hasData(q.expr))) out.push(`${q.panel}: ${q.expr}`);
    return out;
  };
  const values = async (expr: string, label: string) =>
    Object.fromEntries((await stack.query(expr)).map((s) => [s.metric[label] ?? "", Number(s.value[1])]));

  beforeAll(async () => {
    services = await startAll({ ADMIN_TOKEN: E2E_ADMIN_TOKEN, OTEL_SDK_DISABLED: "true", LOG_LEVEL: "warn" });
    webhooks = await startWebhookReceiver();
    exporter = await startSyntheticExporter("synthetic-inputs");
    stack = await startMonitoringStack({
      targets: Object.fromEntries(Object.entries(services).map(([name, p]) => [name, `127.0.0.1:${p.port}`])),
      namespaces: ns,
      rules,
      alertmanagerConfig: alertmanagerConfig(
        { pagingUrl: `${webhooks.url}/${RECEIVERS.paging}`, ticketUrl: `${webhooks.url}/${RECEIVERS.ticket}` },
        FAST_ROUTES,
      ),
      extraScrapeConfigs: [exporter.scrapeConfig],
    });
    // half of product's answers fail: an SLO alert fires at once and the fault annotation has data
    expect((await setFaults(services, "product", { errorRate: 0.5 })).ok).toBe(true);
    load = orderLoad({ order: services.order.url, product: services.product.url, user: services.user.url }, () => 10);
    await waitFor(
      "every service's request series",
      async () => ((await stack.query(`count by (${LABELS.service}) (${REQUESTS})`)).length === 3 ? true : undefined),
      30_000,
    );
    const exprs = withRuleInputs([...queries.map((q) => q.expr), brokenJoin, misspelt], rules);
    synthesised = await selectorsToSynthesise(exprs, hasData, EXTERNAL_RECORDS);
    series = uniqueSeries(synthesised.flatMap((s) => seriesFor(s, workloads)));
    exporter.serve(series, HISTORY_SECONDS, HISTORY_STEP_SECONDS);
    // until every query has data (or 90 s have passed: the test then names the empty ones)
    const deadline = Date.now() + 90_000;
    do {
      await new Promise((r) => setTimeout(r, 1_000));
      empty = exporter.caughtUp() ? await emptyQueries() : ["the synthetic history is still replaying"];
    } while (empty.length > 0 && Date.now() < deadline);
  }, 150_000);

  afterAll(async () => {
    await load?.stop();
    await stack?.stop();
    await exporter?.stop();
    await stopAll(services ?? {});
    await webhooks?.close();
  }, 60_000);

  test("every Prometheus query of the dashboard, panels and annotations, returns data", () => {
    const annotations = queries.filter((q) => q.panel.startsWith("annotation:"));
    console.log(
      `Cost (dev): ${queries.length} Prometheus queries (${annotations.length} annotations) checked, ${queries.length - empty.length} returned data; synthesised ${series.length} series of ${new Set(series.map((s) => s.__name__)).size} metrics for ${synthesised.length} selectors`,
    );
    expect(queries).toHaveLength(dashboard.queries.length);
    expect(annotations.length).toBeGreaterThan(0);
    expect(empty).toEqual([]);
  });

  test("a join made impossible (its sides in different namespaces) and a misspelt record return nothing, though each side and the original have data", async () => {
    expect(await hasData(used)).toBe(true);
    expect(await hasData(idleSide.replace(own, `namespace="${ns.apps}"`))).toBe(true);
    expect(await hasData(billedSide.replace(own, `namespace="${ns.platform}"`))).toBe(true);
    expect(await stack.query(brokenJoin)).toEqual([]);
    expect(await hasData(byTeam)).toBe(true);
    expect(await stack.query(misspelt)).toEqual([]);
  });

  test("a service's hourly cost is its request at the configured prices (250m × the vCPU-hour + 0.25 GiB × the GiB-hour); the table shows both its requests above 2× their recommendations", async () => {
    // usage (at most 0.1 cores, ~103 MiB) is below the requests, so max(request, usage) is the request
    const expected = 0.25 * config.cost.cpuCoreHour + 0.25 * config.cost.memoryGiBHour;
    const hourly = queryOf("Hourly cost by workload and volume", COST_RECORDS.workloadHourly);
    const byWorkload = await values(hourly, COST_LABELS.workload);
    for (const s of SERVICE_NAMES) expect([s, byWorkload[s]]).toEqual([s, expect.closeTo(expected, 9)]);
    // 250m over a recommendation of at most 0.1 cores (the rate only nears 0.1 once 5 minutes of samples are in);
    // 256 MiB over at most (100 MiB + 1 KiB/s of history) × 1.15
    const table = "Right-sizing: requests vs recommendations per container";
    for (const record of [COST_RECORDS.cpuRequestToRecommendation, COST_RECORDS.memoryRequestToRecommendation]) {
      const ratios = await values(queryOf(table, record), COST_LABELS.workload);
      for (const s of SERVICE_NAMES) expect([record, s, ratios[s]]).toEqual([record, s, expect.any(Number)]);
      for (const s of SERVICE_NAMES) expect(ratios[s]).toBeGreaterThan(OVER_PROVISIONED_RATIO);
    }
  });

  test("the split shows workload, platform and idle, and the budget line reads the configured budget", async () => {
    const scopes = await values(queryOf("Hourly cost: workload vs platform vs idle"), COST_LABELS.scope);
    expect(Object.keys(scopes).sort()).toEqual([...COST_SCOPES].sort());
    const budget = await stack.query(queryOf("Month to date and forecast vs budget", COST_RECORDS.monthlyBudget));
    expect(budget.map((s) => Number(s.value[1]))).toEqual([config.cost.monthlyBudget]);
  });

  test("only what the harness lacks is synthesised: no metric the services expose, no record the rules write", async () => {
    const exposed = new Set<string>();
    for (const s of Object.values(services)) {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      for (const line of text.split("\n")) if (line && !line.startsWith("#")) exposed.add(line.split(/[{ ]/)[0] ?? "");
    }
    const names = [...new Set(series.map((s) => s.__name__ as string))].sort();
    console.log(`synthesised metrics: ${names.join(", ")}`);
    expect(exposed.size).toBeGreaterThan(10);
    const recorded = recordedNames(rules);
    expect(names.filter((n) => exposed.has(n) || recorded.has(n))).toEqual([]);
    expect(names).toContain(KPS_POD_OWNER_RECORD);
  });
});
