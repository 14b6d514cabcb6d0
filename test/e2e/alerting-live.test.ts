import {
  LOCAL_CLUSTER,
  type MonitoringStack,
  startMonitoringStack,
  startWebhookReceiver,
  type WebhookCall,
} from "../../apps/demo/monitoring-stack";
import { COST_RECORDS } from "../../contract";
import { alertmanagerConfig, type DEFAULT_TIMINGS, RECEIVERS } from "../../infra/alerting/alertmanager";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { ALERT_NAMES } from "../../infra/alerting/rules";
import { parseStackConfig } from "../../infra/config/schema";
import { stackDashboards } from "../../infra/dashboards/dashboards";
import { promqlMetricNames, substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { CLUSTER_LABEL } from "../../infra/monitoring/scrape-class";
import { namespaces, PLATFORM_SERVICES } from "../../infra/platform/naming";
import { stackConfigFile } from "../../infra/preflight/collect";
import { openingValues } from "../dashboards/built";
import { waitFor } from "../support/http";
import { type ServiceProcess, startAll, stopAll } from "../support/services";
import { toolAvailable } from "../support/tools";
import { E2E_ADMIN_TOKEN, orderLoad } from "./live-support";

const ready = toolAvailable("prometheus") && toolAvailable("prometheus-alertmanager");
const describeLive = ready ? describe : describe.skip;
const ADMIN_TOKEN = E2E_ADMIN_TOKEN;

const WEBHOOK_TOKEN = "e2e-webhook-token-0123456789";
// Same routes, receivers and inhibitions as deployed; only the timers are shortened so the test is minutes long.
const FAST = {
  page: { group_wait: "1s", group_interval: "3s", repeat_interval: "1h" },
  ticket: { group_wait: "1s", group_interval: "3s", repeat_interval: "1h" },
  heartbeat: { group_wait: "1s", group_interval: "5s", repeat_interval: "10s" },
} satisfies typeof DEFAULT_TIMINGS;

/** Metrics of components the harness does not run: Loki, Alloy, the collector, Jaeger, Grafana, Kubernetes. */
const ABSENT_HERE = /^(loki_|otelcol_|grafana_|kube_|container_|kubelet_)/;

/**
 * Metrics whose panels another live test runs against the real component: the blackbox exporter's
 * (probes-live), the responder's (responder-live), the chaos game days' (chaos-live).
 */
const CHECKED_ELSEWHERE = /^(probe_|responder_|chaos_)/;
/** The cost records: their inputs (kube-state-metrics, cAdvisor, the collector) are synthesised in cost-live. */
const COST_RECORD_NAMES = new Set<string>(Object.values(COST_RECORDS));

/** Size gauges newer than Debian's Prometheus 2.42 (the pinned chart runs Prometheus 3). */
const NEWER_PROMETHEUS = ["prometheus_tsdb_wal_storage_size_bytes", "prometheus_tsdb_head_chunks_storage_size_bytes"];

/** Why a query may return nothing in a minutes-long run on loopback, or undefined when it must return data. */
function emptyAllowed(expr: string): string | undefined {
  const names = promqlMetricNames(expr);
  if (names.some((n) => NEWER_PROMETHEUS.includes(n))) return "reads a metric newer than this Prometheus";
  if (names.length > 0 && names.every((n) => ABSENT_HERE.test(n))) return "reads only components not running here";
  if (/\[\d+h:\d+m\]/.test(expr)) return "a subquery over hours of history";
  return undefined;
}

const isOrderAvailability = (a: { labels: Record<string, string> }, alertname: string) =>
  a.labels.alertname === alertname && a.labels.service === "order" && a.labels.slo === "availability";

describeLive("live: services → Prometheus (generated rules) → Alertmanager (generated routes) → webhooks", () => {
  const config = parseStackConfig(JSON.parse(stackConfigFile("dev")["observability-platform:platform"] as string));
  const rules = ruleGroupsFor(config, namespaces(config));
  let services: Record<"order" | "product" | "user", ServiceProcess>;
  let webhooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let stack: MonitoringStack;
  let load: ReturnType<typeof orderLoad>;
  let rate = 10;
  const callsTo = (receiver: string): WebhookCall[] => webhooks.calls.filter((c) => c.receiver === receiver);

  beforeAll(async () => {
    webhooks = await startWebhookReceiver();
    services = await startAll({ ADMIN_TOKEN, OTEL_SDK_DISABLED: "true", LOG_LEVEL: "warn" });
    stack = await startMonitoringStack({
      targets: Object.fromEntries(Object.entries(services).map(([name, p]) => [name, `127.0.0.1:${p.port}`])),
      namespaces: namespaces(config),
      rules,
      alertmanagerConfig: alertmanagerConfig(
        {
          pagingUrl: `${webhooks.url}/${RECEIVERS.paging}`,
          ticketUrl: `${webhooks.url}/${RECEIVERS.ticket}`,
          heartbeatUrl: `${webhooks.url}/${RECEIVERS.heartbeat}`,
          bearerToken: WEBHOOK_TOKEN,
        },
        FAST,
      ),
    });
    load = orderLoad({ order: services.order.url, product: services.product.url, user: services.user.url }, () => rate);
  }, 60_000);

  afterAll(async () => {
    await load?.stop();
    await stack?.stop();
    await stopAll(services ?? {});
    await webhooks?.close();
  }, 60_000);

  test("every target is up: the three services in the apps namespace, Prometheus and Alertmanager in the platform's", async () => {
    const targets = await waitFor(
      "five healthy targets",
      async () => {
        const body = (await (await fetch(`${stack.prometheusUrl}/api/v1/targets`)).json()) as {
          data: { activeTargets: { health: string; labels: { job: string; namespace: string } }[] };
        };
        const up = body.data.activeTargets.filter((t) => t.health === "up");
        return up.length === 5 ? up : undefined;
      },
      30_000,
    );
    const ns = namespaces(config);
    expect(targets.map((t) => `${t.labels.namespace}/${t.labels.job}`).sort()).toEqual(
      [
        `${ns.apps}/order`,
        `${ns.apps}/product`,
        `${ns.apps}/user`,
        `${ns.platform}/${PLATFORM_SERVICES.alertmanager.name}`,
        `${ns.platform}/${PLATFORM_SERVICES.prometheus.name}`,
      ].sort(),
    );
  });

  test("every scraped series carries the cluster label, as the operator's default scrape class puts it (the rules below run with it)", async () => {
    const all = await stack.query("count(up)");
    expect(Number(all[0]?.value[1])).toBe(5);
    expect(await stack.query(`count(up{${CLUSTER_LABEL}="${LOCAL_CLUSTER}"})`)).toEqual([
      expect.objectContaining({ value: [expect.any(Number), "5"] }),
    ]);
  });

  test("every recording rule produces series", async () => {
    // the cost groups read kube-state-metrics, cAdvisor and the collector: cost-live synthesises those
    const checked = rules.filter(
      (g) => !g.rules.some((r) => r.record !== undefined && COST_RECORD_NAMES.has(r.record)),
    );
    const records = [...new Set(checked.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))))];
    expect(records.length).toBeGreaterThan(10);
    const missing = await waitFor(
      "series for every record",
      async () => {
        const empty: string[] = [];
        for (const record of records) if ((await stack.query(record)).length === 0) empty.push(record);
        return empty.length === 0 ? empty : undefined;
      },
      60_000,
    ).catch(async () => {
      const empty: string[] = [];
      for (const record of records) if ((await stack.query(record)).length === 0) empty.push(record);
      return empty;
    });
    expect(missing).toEqual([]);
  }, 90_000);

  test("the Watchdog heartbeat reaches its receiver with the bearer token", async () => {
    const call = await waitFor("a heartbeat", async () => callsTo(RECEIVERS.heartbeat)[0], 60_000);
    expect(call.body.alerts[0]?.labels).toMatchObject({ alertname: ALERT_NAMES.watchdog, environment: "e2e" });
    expect(call.authorization).toBe(`Bearer ${WEBHOOK_TOKEN}`);
  }, 90_000);

  test(
    "50% errors injected into product: order's availability page reaches the pager within 5 minutes; its ticket is inhibited; clearing the fault resolves it",
    async () => {
      await new Promise((r) => setTimeout(r, 15_000)); // some healthy traffic first
      const injected = await fetch(`${services.product.url}/admin/faults`, {
        method: "PUT",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ errorRate: 0.5 }),
      });
      expect(injected.status).toBe(200);
      const started = Date.now();

      const page = await waitFor(
        "the order availability page",
        async () =>
          callsTo(RECEIVERS.paging).find((c) =>
            c.body.alerts.some((a) => a.status === "firing" && isOrderAvailability(a, ALERT_NAMES.fastBurn)),
          ),
        5 * 60_000,
      );
      expect(Date.now() - started).toBeLessThan(5 * 60_000);
      const alert = page.body.alerts.find((a) => isOrderAvailability(a, ALERT_NAMES.fastBurn));
      expect(alert?.labels).toMatchObject({
        severity: "page",
        service: "order",
        slo: "availability",
        environment: "e2e",
      });
      expect(alert?.annotations.runbook_url).toMatch(/\/docs\/runbooks\/SLOFastBurn\.md$/);
      expect(page.authorization).toBe(`Bearer ${WEBHOOK_TOKEN}`);

      // The ticket for the same SLO is firing in Prometheus, held back by Alertmanager's inhibition.
      const inhibited = await waitFor(
        "the ticket alert to be inhibited",
        async () => {
          const res = await fetch(
            `${stack.alertmanagerUrl}/api/v2/alerts?filter=alertname%3D%22${ALERT_NAMES.slowBurn}%22&filter=service%3D%22order%22`,
          );
          const alerts = (await res.json()) as { labels: Record<string, string>; status: { inhibitedBy: string[] } }[];
          return alerts.find((a) => a.labels.slo === "availability" && a.status.inhibitedBy.length > 0);
        },
        60_000,
      );
      expect(inhibited.status.inhibitedBy.length).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 5_000)); // longer than the ticket route's group_wait + group_interval
      expect(
        callsTo(RECEIVERS.ticket).filter((c) =>
          c.body.alerts.some((a) => isOrderAvailability(a, ALERT_NAMES.slowBurn)),
        ),
      ).toEqual([]);

      // While the fault is on, every PromQL query of every dashboard (annotations included) returns data,
      // except those that read only components this harness does not run, or need hours of history.
      const empty: string[] = [];
      const allowed: string[] = [];
      let checked = 0;
      const dashboards = stackDashboards(config);
      for (const d of dashboards) {
        const values = { ...openingValues(d), service: ".+", route: ".*", status: ".+", slo: ".+", __range: "15m" };
        for (const q of d.queries.filter((q) => q.datasource === "prometheus")) {
          const expr = substituteGrafanaVariables(q.expr, values);
          const names = promqlMetricNames(expr);
          if (names.length > 0 && names.every((n) => CHECKED_ELSEWHERE.test(n) || COST_RECORD_NAMES.has(n))) continue;
          checked += 1;
          if ((await stack.query(expr)).length > 0) continue;
          const why = emptyAllowed(expr);
          (why ? allowed : empty).push(`${d.uid} / ${q.panel}${why ? ` (${why})` : ""}: ${q.expr}`);
        }
      }
      expect(checked).toBeGreaterThan(100);
      expect(empty).toEqual([]);
      // the version excuse holds only while this Prometheus really lacks those metrics
      for (const name of NEWER_PROMETHEUS) expect(await stack.query(`count({__name__="${name}"})`)).toEqual([]);
      // what could not be checked here, for the record (and so a broken query cannot hide behind the rule)
      expect(allowed.length).toBeLessThan(checked / 4);

      // Clear the fault; more healthy traffic dilutes the short window faster.
      const cleared = await fetch(`${services.product.url}/admin/faults`, {
        method: "PUT",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: "{}",
      });
      expect(cleared.status).toBe(200);
      rate = 40;
      const resolved = await waitFor(
        "the page to resolve",
        async () =>
          callsTo(RECEIVERS.paging).find((c) =>
            c.body.alerts.some(
              (a) =>
                a.status === "resolved" &&
                isOrderAvailability(a, ALERT_NAMES.fastBurn) &&
                a.labels.long_window === "1h",
            ),
          ),
        4 * 60_000,
      );
      expect(resolved).toBeDefined();
    },
    10 * 60_000,
  );
});
