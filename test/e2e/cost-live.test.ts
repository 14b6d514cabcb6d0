import { CONTAINER_PORT, COST_LABELS, COST_RECORDS, COST_SCOPES, LABELS, SERVICE_NAMES } from "../../contract";
import { KPS_POD_OWNER_RECORD, OVER_PROVISIONED_RATIO } from "../../infra/alerting/cost-rules";
import type { RuleGroup } from "../../infra/alerting/rules";
import { loadStackConfig } from "../../infra/config/stack-file";
import { COST_DASHBOARD_KEY } from "../../infra/dashboards/dashboards";
import { namespaces, PLATFORM_SERVICES } from "../../infra/platform/naming";
import { STACKS } from "../dashboards/built";
import { toolAvailable } from "../support/tools";
import { dashboardUnderTest, type LiveDashboard, startLiveDashboard } from "./dashboard-live";
import {
  joinedSelectors,
  notSynthesisable,
  satisfies,
  seriesFor,
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

const costOf = (stack: string) => dashboardUnderTest(stack, COST_DASHBOARD_KEY, everySecond);

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
  const subject = costOf("dev");
  const { config, ns, dashboard, queries, rules } = subject;
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

  let live: LiveDashboard;
  const hasData = (expr: string) => live.hasData(expr);
  const values = async (expr: string, label: string) =>
    Object.fromEntries((await live.stack.query(expr)).map((s) => [s.metric[label] ?? "", Number(s.value[1])]));

  beforeAll(async () => {
    live = await startLiveDashboard(subject, workloads, {
      extraExprs: [brokenJoin, misspelt],
      externalRecords: EXTERNAL_RECORDS,
      waitMs: 90_000,
    });
  }, 150_000);
  afterAll(async () => live?.stop(), 60_000);

  test("every Prometheus query of the dashboard, panels and annotations, returns data", () => {
    const { empty, series, synthesised } = live;
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
    expect(await live.stack.query(brokenJoin)).toEqual([]);
    expect(await hasData(byTeam)).toBe(true);
    expect(await live.stack.query(misspelt)).toEqual([]);
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
    const budget = await live.stack.query(queryOf("Month to date and forecast vs budget", COST_RECORDS.monthlyBudget));
    expect(budget.map((s) => Number(s.value[1]))).toEqual([config.cost.monthlyBudget]);
  });

  test("only what the harness lacks is synthesised: no metric the services expose, no record the rules write", async () => {
    const exposed = new Set<string>();
    const { series } = live;
    for (const s of Object.values(live.services)) {
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
