import { type MonitoringStack, startMonitoringStack, startWebhookReceiver } from "../../apps/demo/monitoring-stack";
import { CONTAINER_PORT, LABELS, SERVICE_NAMES } from "../../contract";
import { alertmanagerConfig, RECEIVERS } from "../../infra/alerting/alertmanager";
import { CAPACITY_RECORDS } from "../../infra/alerting/names";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { loadStackConfig } from "../../infra/config/stack-file";
import { CAPACITY_DASHBOARD_KEY, type GeneratedDashboard, stackDashboards } from "../../infra/dashboards/dashboards";
import { REQUESTS } from "../../infra/dashboards/queries";
import { substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { namespaces } from "../../infra/platform/naming";
import { openingValues, STACKS } from "../dashboards/built";
import { waitFor } from "../support/http";
import { type ServiceProcess, startAll, stopAll } from "../support/services";
import { toolAvailable } from "../support/tools";
import { E2E_ADMIN_TOKEN, FAST_ROUTES, orderLoad, setFaults } from "./live-support";
import {
  exampleMatch,
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
 * The Capacity dashboard against a real Prometheus running the stack's real rules. The services' own series
 * (request rates, fault settings, process start times, their scrape targets) come from the three real
 * services under load, with product failing half its requests so an SLO alert fires and the fault shows.
 * Everything else the queries read — kube-state-metrics, cAdvisor, the kubelet, Loki's and Prometheus 3's
 * size metrics — is synthesised from the queries' selectors (./synthetic-exporter.ts) with 50 minutes of
 * history, so the 6h:15m subqueries of the fill predictions have points.
 */

const ready = toolAvailable("prometheus") && toolAvailable("prometheus-alertmanager");
const describeLive = ready ? describe : describe.skip;

const capacityOf = (stack: string) => {
  const config = loadStackConfig(stack);
  const ns = namespaces(config);
  const dashboard = stackDashboards(config).find(
    (d) => d.uid === `${stack}-${CAPACITY_DASHBOARD_KEY}`,
  ) as GeneratedDashboard;
  const values = openingValues(dashboard);
  const queries = dashboard.queries
    .filter((q) => q.datasource === "prometheus")
    .map((q) => ({ panel: q.panel, expr: substituteGrafanaVariables(q.expr, values) }));
  return { config, ns, dashboard, queries, rules: ruleGroupsFor(config, ns) };
};

/** One workload per service, one pod each, in the apps namespace; a selector on another namespace moves it. */
const workloadsOf = (apps: string): Workload[] =>
  SERVICE_NAMES.map((s, k) => ({
    name: s,
    labels: {
      namespace: apps,
      job: s,
      [LABELS.service]: s,
      container: s,
      pod: `${s}-7f9c6d5b4-q2x${k}z`,
      instance: `10.244.0.${10 + k}:${CONTAINER_PORT}`,
    },
  }));

const seriesKey = (s: Labels) => JSON.stringify(Object.entries(s).sort());
const uniqueSeries = (list: Labels[]) => [...new Map(list.map((s) => [seriesKey(s), s])).values()];

/** History replayed before the present: under the hour Prometheus accepts, three 15-minute subquery steps. */
const HISTORY_SECONDS = 50 * 60;
const HISTORY_STEP_SECONDS = 4 * 60;

describe("the synthesiser (no Prometheus needed)", () => {
  test("derives a string each regex matches in full, and gives up where its derivation does not match", () => {
    expect(exampleMatch("order|product|user")).toBe("order");
    expect(exampleMatch("storage-loki-[0-9]+")).toBe("storage-loki-0");
    expect(exampleMatch(".*jaeger.*")).toBe("jaeger");
    expect(exampleMatch("(?:ab|c)d{2}[^0-9]")).toBe("abdda");
    expect(exampleMatch("\\bword")).toBeUndefined();
  });

  test("groups the selectors a binary operator joins; `or` joins nothing and the right side of `unless` is left out", () => {
    const names = (expr: string) => joinedSelectors(expr).map((g) => g.map((s) => s.name));
    expect(names("sum by (x) (a) / on(x) b + 2 or c unless d")).toEqual([["a", "b"], ["c"]]);
    expect(names('max(a{n="1"} + b) * vector(3)')).toEqual([["a", "b"]]);
  });

  test("a selector's series keep each workload's labels where its matchers allow, else the matchers' values", () => {
    const workloads = workloadsOf("apps");
    const selector = (text: string) => joinedSelectors(text)[0]?.[0] as Selector;
    const hpa = seriesFor(selector('hpa_replicas{namespace="apps",horizontalpodautoscaler=~"order|user"}'), workloads);
    expect(hpa.map((s) => [s.pod, s.horizontalpodautoscaler])).toEqual([
      [workloads[0]?.labels.pod, "order"],
      [workloads[2]?.labels.pod, "user"],
    ]);
    const moved = seriesFor(selector('volume_bytes{namespace="platform",route!~"/metrics"}'), workloads);
    expect(moved.map((s) => [s.namespace, s.container, s.route])).toEqual(
      SERVICE_NAMES.map((s) => ["platform", s, undefined]),
    );
  });

  test.each(STACKS)(
    "%s: every selector of the Capacity queries and of the rules they read can be synthesised",
    (stack) => {
      const { queries, rules, ns } = capacityOf(stack);
      const selectors = withRuleInputs(
        queries.map((q) => q.expr),
        rules,
      )
        .flatMap(joinedSelectors)
        .flat()
        .filter((s) => !notSynthesisable(s.name));
      expect(selectors.length).toBeGreaterThan(15);
      const unmet = selectors.flatMap((s) =>
        seriesFor(s, workloadsOf(ns.apps)).flatMap((series) =>
          s.matchers.filter((m) => !satisfies(m, series[m.label])).map((m) => `${s.text}: ${m.label}`),
        ),
      );
      expect(unmet).toEqual([]);
    },
  );
});

describeLive("live: every query of the Capacity dashboard (dev) against a real Prometheus and the real rules", () => {
  const { ns, dashboard, queries, rules } = capacityOf("dev");
  const workloads = workloadsOf(ns.apps);
  const queryOf = (panel: string, contains = "") =>
    queries.find((q) => q.panel === panel && q.expr.includes(contains))?.expr as string;

  // Two broken variants the synthesiser is asked to satisfy as well: each must still return nothing.
  const volumes = queryOf("Volumes reported by the kubelet");
  const [, capacitySide] = joinedSelectors(volumes)[0] as Selector[];
  const movedSide = (capacitySide as Selector).text.replace(`namespace="${ns.platform}"`, `namespace="${ns.apps}"`);
  const brokenJoin = volumes.replace((capacitySide as Selector).text, movedSide);
  const capacity = queryOf("Request rate vs capacity by service", CAPACITY_RECORDS.capacity);
  const misspelt = capacity.replace(CAPACITY_RECORDS.capacity, `${CAPACITY_RECORDS.capacity}_misspelt`);

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
    // half of product's answers fail: order's availability SLO pages at once and the fault annotation has data
    expect((await setFaults(services, "product", { errorRate: 0.5 })).ok).toBe(true);
    load = orderLoad({ order: services.order.url, product: services.product.url, user: services.user.url }, () => 10);
    // what the real processes produce is in before the synthesiser asks what is missing
    await waitFor(
      "every service's request series",
      async () => ((await stack.query(`count by (${LABELS.service}) (${REQUESTS})`)).length === 3 ? true : undefined),
      30_000,
    );
    const exprs = withRuleInputs([...queries.map((q) => q.expr), brokenJoin, misspelt], rules);
    synthesised = await selectorsToSynthesise(exprs, hasData);
    series = uniqueSeries(synthesised.flatMap((s) => seriesFor(s, workloads)));
    exporter.serve(series, HISTORY_SECONDS, HISTORY_STEP_SECONDS);
    // until every query has data (or a minute has passed: the test then names the empty ones)
    const deadline = Date.now() + 60_000;
    do {
      await new Promise((r) => setTimeout(r, 1_000));
      empty = exporter.caughtUp() ? await emptyQueries() : ["the synthetic history is still replaying"];
    } while (empty.length > 0 && Date.now() < deadline);
  }, 120_000);

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
      `Capacity (dev): ${queries.length} Prometheus queries (${annotations.length} annotations) checked, ${queries.length - empty.length} returned data; synthesised ${series.length} series of ${new Set(series.map((s) => s.__name__)).size} metrics for ${synthesised.length} selectors`,
    );
    expect(queries).toHaveLength(dashboard.queries.length);
    expect(annotations.length).toBeGreaterThan(0);
    expect(empty).toEqual([]);
  });

  test("a join made impossible (one side moved to the apps namespace) and a misspelt record return nothing, though the moved side has series and the originals have data", async () => {
    expect(await hasData(volumes)).toBe(true);
    expect(await hasData(movedSide)).toBe(true);
    expect(await stack.query(brokenJoin)).toEqual([]);
    expect(await hasData(capacity)).toBe(true);
    expect(await stack.query(misspelt)).toEqual([]);
  });

  test("only what the harness lacks is synthesised: no metric the services expose, every synthesised selector now in Prometheus", async () => {
    const exposed = new Set<string>();
    for (const s of Object.values(services)) {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      for (const line of text.split("\n")) if (line && !line.startsWith("#")) exposed.add(line.split(/[{ ]/)[0] ?? "");
    }
    const names = [...new Set(series.map((s) => s.__name__ as string))].sort();
    console.log(`synthesised metrics: ${names.join(", ")}`);
    expect(exposed.size).toBeGreaterThan(10);
    expect(names.filter((n) => exposed.has(n))).toEqual([]);
    const missing: string[] = [];
    for (const s of synthesised) if (!(await hasData(s.text))) missing.push(s.text);
    expect(missing).toEqual([]);
  });
});
