import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FaultApi } from "../../apps/chaos/fault-api";
import { localInjector } from "../../apps/chaos/inject";
import { planner } from "../../apps/chaos/main";
import { httpObserver } from "../../apps/chaos/observe";
import { progressDisplay } from "../../apps/chaos/progress";
import { pushResults } from "../../apps/chaos/push";
import { realClock, runExperiment } from "../../apps/chaos/runner";
import type { ExperimentReport } from "../../apps/chaos/types";
import {
  type MonitoringStack,
  type Pushgateway,
  startMonitoringStack,
  startPushgateway,
  startWebhookReceiver,
} from "../../apps/demo/monitoring-stack";
import { Supervisor } from "../../apps/demo/supervisor";
import { CHAOS_LABELS, CHAOS_METRICS, dependencyUrlEnv, SERVICE_NAMES, type ServiceName } from "../../contract";
import { alertmanagerConfig, RECEIVERS } from "../../infra/alerting/alertmanager";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { CATALOGUE } from "../../infra/chaos/catalogue";
import type { Experiment, ExperimentDefinition } from "../../infra/chaos/experiments";
import { alertHolds } from "../../infra/chaos/plan";
import { loadStackConfig } from "../../infra/config/stack-file";
import { CHAOS_MESH_METRICS } from "../../infra/dashboards/chaos";
import { type GeneratedDashboard, stackDashboards } from "../../infra/dashboards/dashboards";
import { substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { namespaces } from "../../infra/platform/naming";
import { openingValues } from "../dashboards/built";
import { freePort, waitFor } from "../support/http";
import { ROOT } from "../support/services";
import { toolAvailable } from "../support/tools";
import { compressWindows, E2E_ADMIN_TOKEN, FAST_ROUTES, orderLoad } from "./live-support";

const ready =
  toolAvailable("prometheus") && toolAvailable("prometheus-alertmanager") && toolAvailable("prometheus-pushgateway");
const describeLive = ready ? describe : describe.skip;

const config = loadStackConfig("dev");
const ns = namespaces(config);
/** Every rule range and `for` divided by this: the page pairs (1h/5m, 6h/30m) become 2m/10s and 12m/60s. */
const COMPRESSION = 30;

const catalogued = (name: string) => CATALOGUE.find((e) => e.name === name) as ExperimentDefinition;

/** A catalogue experiment with fixed limits, its fault and its time limits shortened like the rule windows. */
function shortened(name: string, durationSeconds: number): Experiment {
  const experiment = catalogued(name) as Experiment;
  const h = experiment.hypothesis;
  return {
    ...experiment,
    durationSeconds,
    hypothesis: {
      ...h,
      maxDetectSeconds: Math.ceil(h.maxDetectSeconds / 2),
      maxRecoverSeconds: Math.ceil(h.maxRecoverSeconds / 4),
    },
  };
}

describeLive(
  "live, rule windows shortened ×30: game days through the runner against the three services, real Prometheus, Alertmanager and Pushgateway",
  () => {
    let supervisor: Supervisor;
    let stack: MonitoringStack;
    let pushgateway: Pushgateway;
    let webhooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
    let load: ReturnType<typeof orderLoad>;
    let dir: string;
    const urls = {} as Record<ServiceName, string>;

    const run = async (experiment: ExperimentDefinition): Promise<ExperimentReport> => {
      const faultApi = new FaultApi(urls, E2E_ADMIN_TOKEN);
      const progress = progressDisplay({ write: () => true, isTTY: false } as never, () => Date.now());
      const observer = httpObserver({
        prometheusUrl: stack.prometheusUrl,
        alertmanagerUrl: stack.alertmanagerUrl,
        namespace: ns.apps,
        latencyThresholdSeconds: config.slo.latencyThresholdSeconds,
      });
      return runExperiment(
        experiment,
        {
          observer,
          // planned as the CLI plans, for rules whose windows are divided like these
          plan: planner({
            observer,
            slo: config.slo,
            sampleSeconds: 2,
            sliWindowSeconds: 15,
            maxFaultSeconds: 600,
            windowDivisor: COMPRESSION,
            alertHolds: alertHolds(config),
          }),
          injector: localInjector({ faultApi, pidsFile: path.join(dir, "pids.json") }),
          ready: (service) => faultApi.ready(service),
          clock: realClock,
          progress,
          push: (report) => pushResults(pushgateway.url, report),
        },
        {
          runTarget: "local",
          slo: config.slo,
          sampleSeconds: 2,
          sliWindow: "15s",
          steadyWindow: "20s",
          settleSeconds: 120,
          watchSeconds: 150,
        },
      );
    };
    const pushed = async (metric: string, experiment: string) =>
      (await stack.query(`${metric}{${CHAOS_LABELS.experiment}="${experiment}"}`)).map((r) => Number(r.value[1]));

    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), "chaos-live-"));
      const ports = Object.fromEntries(
        await Promise.all(SERVICE_NAMES.map(async (s) => [s, await freePort()] as const)),
      ) as Record<ServiceName, number>;
      for (const s of SERVICE_NAMES) urls[s] = `http://127.0.0.1:${ports[s]}`;
      // the services as the demo runs them: a killed one is started again, its pid kept in pids.json
      supervisor = new Supervisor(path.join(dir, "pids.json"), () => undefined);
      for (const s of SERVICE_NAMES) {
        supervisor.start({
          name: s,
          script: path.join(ROOT, "dist", "apps", s, "main.js"),
          logFile: path.join(dir, `${s}.log`),
          env: {
            PATH: process.env.PATH,
            PORT: String(ports[s]),
            ADMIN_TOKEN: E2E_ADMIN_TOKEN,
            OTEL_SDK_DISABLED: "true",
            LOG_LEVEL: "warn",
            [dependencyUrlEnv("user")]: urls.user,
            [dependencyUrlEnv("product")]: urls.product,
          },
        });
      }
      for (const s of SERVICE_NAMES) {
        await waitFor(`${s} to be ready`, async () => ((await fetch(`${urls[s]}/readyz`)).ok ? true : undefined));
      }
      webhooks = await startWebhookReceiver();
      pushgateway = await startPushgateway(ns);
      stack = await startMonitoringStack({
        targets: Object.fromEntries(SERVICE_NAMES.map((s) => [s, `127.0.0.1:${ports[s]}`])),
        namespaces: ns,
        rules: compressWindows(ruleGroupsFor(config, ns), COMPRESSION),
        alertmanagerConfig: alertmanagerConfig(
          { pagingUrl: `${webhooks.url}/${RECEIVERS.paging}`, ticketUrl: `${webhooks.url}/${RECEIVERS.ticket}` },
          FAST_ROUTES,
        ),
        extraScrapeConfigs: [pushgateway.scrapeConfig],
      });
      load = orderLoad({ order: urls.order, product: urls.product, user: urls.user }, () => 15);
    }, 90_000);

    afterAll(async () => {
      await load?.stop();
      await stack?.stop();
      await pushgateway?.stop();
      await supervisor?.stopAll();
      await webhooks?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    test(
      "product fails half its requests, fault length and limits planned from the SLO and this young Prometheus: order's page fires in time, its ticket stays inhibited, recovery in time, the measures agree with Prometheus and are pushed",
      async () => {
        const definition = catalogued("product-errors");
        // With minutes of history the ticket's long windows cannot dilute the burst (in a cluster, days of
        // history do): the plan expects the ticket after the page and makes its line "inhibited while the page
        // fires". Alertmanager is also watched directly here, as independent evidence of the inhibition.
        const whilePaged: string[] = [];
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            const alerts = (await (await fetch(`${stack.alertmanagerUrl}/api/v2/alerts`)).json()) as {
              labels: Record<string, string>;
              status: { state: string };
            }[];
            const order = alerts.filter((a) => a.labels.service === "order" && a.labels.slo === "availability");
            const paged = order.some((a) => a.labels.alertname === "SLOFastBurn" && a.status.state === "active");
            const ticket = order.find((a) => a.labels.alertname === "SLOSlowBurn");
            if (paged && ticket) whilePaged.push(ticket.status.state);
            await new Promise((r) => setTimeout(r, 1_000));
          }
        })();
        const report = await run(definition).finally(() => {
          sampling = false;
        });
        await sampler;
        const experiment = report.definition;
        console.log(`product-errors plan:\n  ${experiment.plan?.lines.join("\n  ")}`);
        expect(experiment.plan?.ticketsExpected.length).toBeGreaterThan(0);
        expect(experiment.hypothesis.mustBeInhibited?.map((a) => a.alertname)).toEqual(["SLOSlowBurn"]);
        console.log(
          `product-errors: detected in ${report.detectionSeconds} s, recovered in ${report.recoverySeconds} s, budget ${(report.budgetConsumed * 100).toFixed(2)} %, peak error ratio ${report.peakErrorRatio.toFixed(3)}`,
        );
        expect(report.lines.map((l) => [l.statement, l.passed])).toEqual(report.lines.map((l) => [l.statement, true]));
        expect(report.passed).toBe(true);
        expect(report.cleanup.faultRemoved).toBe(true);
        const faults = await fetch(`${urls.product}/admin/faults`, {
          headers: { authorization: `Bearer ${E2E_ADMIN_TOKEN}` },
        });
        expect(((await faults.json()) as { errorRate: number }).errorRate).toBe(0);
        // consistent with Prometheus: order's error ratio peaked during the fault as the report says
        const faultSeconds = Math.ceil((Date.parse(report.faultEndedAt) - Date.parse(report.faultStartedAt)) / 1000);
        expect(report.detectionSeconds).toBeLessThanOrEqual(experiment.hypothesis.maxDetectSeconds);
        expect(report.recoverySeconds).not.toBeNull();
        expect(report.peakErrorRatio).toBeGreaterThan(0.2);
        expect(report.peakErrorRatio).toBeLessThan(0.8);
        expect(report.budgetConsumed).toBeGreaterThan(0);
        const pages = webhooks.calls.filter(
          (c) =>
            c.receiver === RECEIVERS.paging &&
            c.body.alerts.some((a) => a.labels.alertname === "SLOFastBurn" && a.labels.service === "order"),
        );
        expect(pages.length).toBeGreaterThan(0);
        // the ticket fired while the page did, and was inhibited every time it was seen so
        expect(whilePaged.length).toBeGreaterThan(0);
        expect(new Set(whilePaged)).toEqual(new Set(["suppressed"]));
        expect(faultSeconds).toBeGreaterThanOrEqual(experiment.durationSeconds);
        // the pushed results are in Prometheus, equal to the report's
        const detection = await waitFor(
          "the pushed detection time in Prometheus",
          async () => {
            const values = await pushed(CHAOS_METRICS.detection, experiment.name);
            return values.length > 0 ? values : undefined;
          },
          30_000,
        );
        expect(detection[0]).toBeCloseTo(report.detectionSeconds as number, 1);
        expect(await pushed(CHAOS_METRICS.hypothesisPassed, experiment.name)).toEqual([1]);
      },
      8 * 60_000,
    );

    test(
      "product's process is killed: ServiceTargetDown fires, recovery once the supervisor has it back, pushed",
      async () => {
        const experiment = shortened("product-killed", 20);
        const report = await run(experiment);
        console.log(
          `product-killed: detected in ${report.detectionSeconds} s, recovered in ${report.recoverySeconds} s, budget ${(report.budgetConsumed * 100).toFixed(2)} %`,
        );
        expect(report.lines.map((l) => [l.statement, l.passed])).toEqual(report.lines.map((l) => [l.statement, true]));
        expect(report.detectionSeconds).not.toBeNull();
        expect(report.recoverySeconds).not.toBeNull();
        expect((await fetch(`${urls.product}/readyz`)).ok).toBe(true);
        const detection = await waitFor(
          "the pushed results of product-killed",
          async () => {
            const values = await pushed(CHAOS_METRICS.recovery, experiment.name);
            return values.length > 0 ? values : undefined;
          },
          30_000,
        );
        expect(detection[0]).toBeCloseTo(report.recoverySeconds as number, 1);
      },
      8 * 60_000,
    );

    test("the Chaos dashboard's queries return data after the two game days (Chaos Mesh's own metrics aside: it runs only in a cluster)", async () => {
      const chaos = stackDashboards(config).find((d) => d.uid.endsWith("chaos")) as GeneratedDashboard;
      const values = { ...openingValues(chaos), service: ".+", experiment: ".+", __range: "15m" };
      const empty: string[] = [];
      let checked = 0;
      for (const q of chaos.queries.filter((q) => q.datasource === "prometheus")) {
        const expr = substituteGrafanaVariables(q.expr, values);
        if (CHAOS_MESH_METRICS.some((m) => expr.includes(m))) continue;
        checked += 1;
        // an annotation marks a window: Grafana asks over the time range, so look back over the game days
        const asked = q.panel.startsWith("annotation:") ? `max_over_time((${expr})[10m:2s])` : expr;
        if ((await stack.query(asked)).length === 0) empty.push(`${q.panel}: ${expr}`);
      }
      expect(checked).toBeGreaterThan(8);
      expect(empty).toEqual([]);
    }, 60_000);
  },
);
