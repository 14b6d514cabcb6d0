import { CONTAINER_PORT, LABELS, SERVICE_NAMES } from "../../contract";
import { CAPACITY_RECORDS } from "../../infra/alerting/names";
import { CAPACITY_DASHBOARD_KEY } from "../../infra/dashboards/dashboards";
import { STACKS } from "../dashboards/built";
import { toolAvailable } from "../support/tools";
import { dashboardUnderTest, type LiveDashboard, startLiveDashboard } from "./dashboard-live";
import {
  exampleMatch,
  joinedSelectors,
  notSynthesisable,
  type Selector,
  satisfies,
  seriesFor,
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

const capacityOf = (stack: string) => dashboardUnderTest(stack, CAPACITY_DASHBOARD_KEY);

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
  const subject = capacityOf("dev");
  const { ns, dashboard, queries } = subject;
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

  let live: LiveDashboard;
  const hasData = (expr: string) => live.hasData(expr);

  beforeAll(async () => {
    live = await startLiveDashboard(subject, workloads, { extraExprs: [brokenJoin, misspelt], waitMs: 60_000 });
  }, 120_000);
  afterAll(async () => live?.stop(), 60_000);

  test("every Prometheus query of the dashboard, panels and annotations, returns data", () => {
    const { empty, series, synthesised } = live;
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
    expect(await live.stack.query(brokenJoin)).toEqual([]);
    expect(await hasData(capacity)).toBe(true);
    expect(await live.stack.query(misspelt)).toEqual([]);
  });

  test("only what the harness lacks is synthesised: no metric the services expose, every synthesised selector now in Prometheus", async () => {
    const exposed = new Set<string>();
    const { series, synthesised } = live;
    for (const s of Object.values(live.services)) {
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
