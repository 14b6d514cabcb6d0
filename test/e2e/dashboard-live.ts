/**
 * One generated dashboard against a real Prometheus running the stack's real rules: the three real services
 * under load (product failing half its requests, so an alert fires and the fault shows), and whatever else the
 * queries read — kube-state-metrics, cAdvisor, the kubelet, the collector — synthesised from the selectors of
 * the queries and of the rules they read (./synthetic-exporter.ts), with history replayed before the present.
 */
import { type MonitoringStack, startMonitoringStack, startWebhookReceiver } from "../../apps/demo/monitoring-stack";
import { LABELS, type SERVICE_NAMES } from "../../contract";
import { alertmanagerConfig, RECEIVERS } from "../../infra/alerting/alertmanager";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import type { RuleGroup } from "../../infra/alerting/rules";
import type { StackConfig } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { stackDashboards } from "../../infra/dashboards/dashboards";
import type { AnyDashboardKey, GeneratedDashboard } from "../../infra/dashboards/model";
import { REQUESTS } from "../../infra/dashboards/queries";
import { substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { type Namespaces, namespaces } from "../../infra/platform/naming";
import { openingValues } from "../dashboards/built";
import { waitFor } from "../support/http";
import { type ServiceProcess, startAll, stopAll } from "../support/services";
import { E2E_ADMIN_TOKEN, FAST_ROUTES, orderLoad, setFaults } from "./live-support";
import {
  type Labels,
  type Selector,
  type SyntheticExporter,
  selectorsToSynthesise,
  seriesFor,
  startSyntheticExporter,
  type Workload,
  withRuleInputs,
} from "./synthetic-exporter";

/** History replayed before the present: under the hour Prometheus accepts. */
export const HISTORY_SECONDS = 50 * 60;
export const HISTORY_STEP_SECONDS = 4 * 60;

export interface DashboardUnderTest {
  config: StackConfig;
  ns: Namespaces;
  dashboard: GeneratedDashboard;
  /** Its Prometheus queries with the variables at their opening values. */
  queries: { panel: string; expr: string }[];
  rules: RuleGroup[];
}

/** A stack's dashboard and rules as deployed; `rules` may adapt the groups to the harness (e.g. faster intervals). */
export function dashboardUnderTest(
  stack: string,
  key: AnyDashboardKey,
  adapt: (groups: RuleGroup[]) => RuleGroup[] = (g) => g,
): DashboardUnderTest {
  const config = loadStackConfig(stack);
  const ns = namespaces(config);
  const dashboard = stackDashboards(config).find((d) => d.uid === `${stack}-${key}`) as GeneratedDashboard;
  const values = openingValues(dashboard);
  const queries = dashboard.queries
    .filter((q) => q.datasource === "prometheus")
    .map((q) => ({ panel: q.panel, expr: substituteGrafanaVariables(q.expr, values) }));
  return { config, ns, dashboard, queries, rules: adapt(ruleGroupsFor(config, ns)) };
}

const seriesKey = (s: Labels) => JSON.stringify(Object.entries(s).sort());
export const uniqueSeries = (list: Labels[]) => [...new Map(list.map((s) => [seriesKey(s), s])).values()];

export interface LiveDashboard {
  stack: MonitoringStack;
  services: Record<(typeof SERVICE_NAMES)[number], ServiceProcess>;
  hasData(expr: string): Promise<boolean>;
  /** Queries still empty when the wait ended (`panel: expr`); none when every query has data. */
  empty: string[];
  synthesised: Selector[];
  series: Labels[];
  stop(): Promise<void>;
}

/**
 * Starts the services, the stack and the synthesiser, then waits until every query has data or `waitMs`
 * passes. `extraExprs` (broken variants a test expects to stay empty) are synthesised for as well, so their
 * emptiness is the query's fault, not the harness'.
 */
export async function startLiveDashboard(
  subject: DashboardUnderTest,
  workloads: Workload[],
  options: { extraExprs?: string[]; externalRecords?: ReadonlySet<string>; waitMs: number },
): Promise<LiveDashboard> {
  const { ns, queries, rules } = subject;
  let services: Record<(typeof SERVICE_NAMES)[number], ServiceProcess> | undefined;
  let webhooks: Awaited<ReturnType<typeof startWebhookReceiver>> | undefined;
  let exporter: SyntheticExporter | undefined;
  let stack: MonitoringStack | undefined;
  let load: ReturnType<typeof orderLoad> | undefined;
  const stop = async () => {
    await load?.stop();
    await stack?.stop();
    await exporter?.stop();
    await stopAll(services ?? {});
    await webhooks?.close();
  };
  try {
    services = await startAll({ ADMIN_TOKEN: E2E_ADMIN_TOKEN, OTEL_SDK_DISABLED: "true", LOG_LEVEL: "warn" });
    webhooks = await startWebhookReceiver();
    exporter = await startSyntheticExporter("synthetic-inputs");
    const running = services;
    stack = await startMonitoringStack({
      targets: Object.fromEntries(Object.entries(running).map(([name, p]) => [name, `127.0.0.1:${p.port}`])),
      namespaces: ns,
      rules,
      alertmanagerConfig: alertmanagerConfig(
        { pagingUrl: `${webhooks.url}/${RECEIVERS.paging}`, ticketUrl: `${webhooks.url}/${RECEIVERS.ticket}` },
        FAST_ROUTES,
      ),
      extraScrapeConfigs: [exporter.scrapeConfig],
    });
    const prometheus = stack;
    const hasData = async (expr: string) => (await prometheus.query(expr)).length > 0;
    // half of product's answers fail: an SLO alert fires at once and the fault annotation has data
    if (!(await setFaults(running, "product", { errorRate: 0.5 })).ok) throw new Error("product refused the fault");
    load = orderLoad({ order: running.order.url, product: running.product.url, user: running.user.url }, () => 10);
    // what the real processes produce is in before the synthesiser asks what is missing
    await waitFor(
      "every service's request series",
      async () =>
        (await prometheus.query(`count by (${LABELS.service}) (${REQUESTS})`)).length === 3 ? true : undefined,
      30_000,
    );
    const exprs = withRuleInputs([...queries.map((q) => q.expr), ...(options.extraExprs ?? [])], rules);
    const synthesised = await selectorsToSynthesise(exprs, hasData, options.externalRecords);
    const series = uniqueSeries(synthesised.flatMap((s) => seriesFor(s, workloads)));
    exporter.serve(series, HISTORY_SECONDS, HISTORY_STEP_SECONDS);
    const emptyQueries = async () => {
      const out: string[] = [];
      for (const q of queries) if (!(await hasData(q.expr))) out.push(`${q.panel}: ${q.expr}`);
      return out;
    };
    const deadline = Date.now() + options.waitMs;
    let empty: string[];
    const replaying = exporter;
    do {
      await new Promise((r) => setTimeout(r, 1_000));
      empty = replaying.caughtUp() ? await emptyQueries() : ["the synthetic history is still replaying"];
    } while (empty.length > 0 && Date.now() < deadline);
    return { stack: prometheus, services: running, hasData, empty, synthesised, series, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
