import {
  type BlackboxExporter,
  type MonitoringStack,
  startBlackboxExporter,
  startMonitoringStack,
  startWebhookReceiver,
  type WebhookCall,
} from "../../apps/demo/monitoring-stack";
import { LABELS, PATHS, type ServiceName } from "../../contract";
import { alertmanagerConfig, RECEIVERS } from "../../infra/alerting/alertmanager";
import { probeRuleGroup } from "../../infra/alerting/probe-rules";
import { ALERT_NAMES } from "../../infra/alerting/rules";
import { loadStackConfig } from "../../infra/config/stack-file";
import { type GeneratedDashboard, stackDashboards } from "../../infra/dashboards/dashboards";
import { substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { namespaces } from "../../infra/platform/naming";
import { durationSeconds } from "../../infra/preflight/checks/rendered-config/units";
import { blackboxConfig, PROBE_MODULES } from "../../infra/probes/modules";
import { PROBE_JOBS, type ProbeObject, probeObjects } from "../../infra/probes/probes";
import { probeScrapeConfig } from "../../infra/probes/scrape-config";
import { openingValues } from "../dashboards/built";
import { waitFor } from "../support/http";
import { type ServiceProcess, startAll, stopAll } from "../support/services";
import { toolAvailable } from "../support/tools";
import { E2E_ADMIN_TOKEN, FAST_ROUTES, fastProbes, setFaults as setFaultsOf } from "./live-support";

const ready =
  toolAvailable("prometheus") &&
  toolAvailable("prometheus-alertmanager") &&
  toolAvailable("prometheus-blackbox-exporter");
const describeLive = ready ? describe : describe.skip;

const ADMIN_TOKEN = E2E_ADMIN_TOKEN;
const config = loadStackConfig("dev");
const ns = namespaces(config);
// The dev stack's probes and alert rules with the waits shortened so the test takes seconds, not minutes.
const FAST = fastProbes(config.probes);

interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

describeLive(
  "live: services → blackbox exporter (the chart's modules) → Prometheus (the Probes' scrape configs, probe rules)",
  () => {
    let services: Record<ServiceName, ServiceProcess>;
    let prober: BlackboxExporter;
    let stack: MonitoringStack;
    let webhooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
    let probes: ProbeObject[];

    const firing = async (): Promise<PromAlert[]> => {
      const body = (await (await fetch(`${stack.prometheusUrl}/api/v1/alerts`)).json()) as {
        data: { alerts: PromAlert[] };
      };
      return body.data.alerts.filter((a) => a.labels.alertname === ALERT_NAMES.probeFailing && a.state === "firing");
    };
    const setFaults = (service: ServiceName, body: object) => setFaultsOf(services, service, body);
    const pages = (service: string): WebhookCall[] =>
      webhooks.calls.filter(
        (c) =>
          c.receiver === RECEIVERS.paging &&
          c.body.alerts.some((a) => a.labels.alertname === ALERT_NAMES.probeFailing && a.labels.service === service),
      );

    beforeAll(async () => {
      webhooks = await startWebhookReceiver();
      services = await startAll({ ADMIN_TOKEN, OTEL_SDK_DISABLED: "true", LOG_LEVEL: "warn" });
      prober = await startBlackboxExporter(blackboxConfig());
      // the generated Probes, pointed at these processes and this exporter: paths, modules, jobs and labels as deployed
      probes = probeObjects({
        probes: FAST,
        namespaces: ns,
        labels: {},
        endpoints: { serviceUrl: (s) => services[s].url, prober: prober.address },
      });
      stack = await startMonitoringStack({
        targets: {},
        namespaces: ns,
        rules: [probeRuleGroup(FAST, ns)],
        alertmanagerConfig: alertmanagerConfig({ pagingUrl: `${webhooks.url}/${RECEIVERS.paging}` }, FAST_ROUTES),
        extraScrapeConfigs: probes.map(probeScrapeConfig),
      });
    }, 60_000);

    afterAll(async () => {
      await stack?.stop();
      await prober?.stop();
      await stopAll(services ?? {});
      await webhooks?.close();
    }, 60_000);

    test("every probe succeeds on the healthy services, each series labelled with its job, service, namespace and URL", async () => {
      const expected = probes.map((p) => [
        p.spec.jobName,
        p.spec.targets?.staticConfig?.labels?.[LABELS.service],
        ns.apps,
        p.spec.targets?.staticConfig?.static?.[0],
      ]);
      const results = await waitFor(
        "a successful result of every probe",
        async () => {
          const found = await stack.query("probe_success == 1");
          return found.length === probes.length ? found : undefined;
        },
        30_000,
      );
      const got = results.map(({ metric: m }) => [m.job, m[LABELS.service], m.namespace, m.instance]);
      expect(got.sort()).toEqual(expected.sort());
      // order's end-to-end probe passed on the lookup route's own 404, not on any 404
      expect(await stack.query(`probe_http_status_code{service_name="order",job="${PROBE_JOBS.endToEnd}"}`)).toEqual([
        expect.objectContaining({ value: [expect.any(Number), "404"] }),
      ]);
      expect(await firing()).toEqual([]);
    });

    test("the service overview's probe panels show every probe: each of their queries returns data", async () => {
      const overview = stackDashboards(config).find((d) => d.uid.endsWith("service-overview"));
      const queries = (overview?.queries ?? []).filter((q) => q.expr.includes("probe_"));
      expect(queries.map((q) => q.panel)).toEqual([
        "Probes failing now",
        "Probe success by service",
        "End-to-end probe duration",
      ]);
      const values = { ...openingValues(overview as GeneratedDashboard), service: ".+" };
      for (const q of queries) {
        const result = await stack.query(substituteGrafanaVariables(q.expr, values));
        expect({ panel: q.panel, series: result.length > 0 }).toEqual({ panel: q.panel, series: true });
      }
    });

    test("the end-to-end modules refuse what they must: an unknown path's catch-all 404, and a 200 that is not JSON", async () => {
      const probe = async (module: string, target: string) => {
        const res = await fetch(`http://${prober.address}/probe?module=${module}&target=${encodeURIComponent(target)}`);
        return /^probe_success (\d)$/m.exec(await res.text())?.[1];
      };
      const order = services.order.url;
      const product = services.product.url;
      expect(await probe(PROBE_MODULES.jsonNotFound, `${order}/orders/synthetic-probe`)).toBe("1");
      expect(await probe(PROBE_MODULES.jsonNotFound, `${order}/no-such-route`)).toBe("0");
      expect(await probe(PROBE_MODULES.jsonRead, `${product}/products`)).toBe("1");
      expect(await probe(PROBE_MODULES.jsonRead, `${product}${PATHS.metrics}`)).toBe("0");
    });

    test("an outage of GET /products: ServiceProbeFailing fires for product's end-to-end probe only, pages, and resolves after", async () => {
      expect((await setFaults("product", { outageRoutes: ["/products"] })).status).toBe(200);
      const started = Date.now();
      const alerts = await waitFor(
        "ServiceProbeFailing to fire",
        async () => {
          const now = await firing();
          return now.length > 0 ? now : undefined;
        },
        60_000,
      );
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `ServiceProbeFailing fired ${seconds.toFixed(1)} s after the outage began (probes every ${FAST.interval}, for: ${FAST.failingFor})`,
      );
      expect(seconds).toBeGreaterThanOrEqual(durationSeconds(FAST.failingFor, "prometheus") as number); // not before `for`
      expect(alerts.map((a) => a.labels)).toEqual([
        expect.objectContaining({
          service: "product",
          [LABELS.service]: "product",
          job: PROBE_JOBS.endToEnd,
          namespace: ns.apps,
          severity: "page",
        }),
      ]);
      // readiness cannot see a broken route: product's readiness probe still passes
      expect(await stack.query(`probe_success{job="${PROBE_JOBS.readiness}",service_name="product"}`)).toEqual([
        expect.objectContaining({ value: [expect.any(Number), "1"] }),
      ]);
      const page = await waitFor("the page at the paging receiver", async () => pages("product")[0], 30_000);
      expect(page.body.alerts[0]?.annotations.runbook_url).toMatch(/\/docs\/runbooks\/ServiceProbeFailing\.md$/);

      expect((await setFaults("product", {})).status).toBe(200);
      await waitFor("the alert to resolve", async () => ((await firing()).length === 0 ? true : undefined), 30_000);
    }, 120_000);

    test("user stopped (no ready pod behind its Service): its readiness probe fails and pages for user alone", async () => {
      const started = Date.now();
      await services.user.stop();
      const alerts = await waitFor(
        "ServiceProbeFailing for user",
        async () => {
          const now = await firing();
          return now.some((a) => a.labels.service === "user") ? now : undefined;
        },
        60_000,
      );
      console.log(`ServiceProbeFailing fired ${((Date.now() - started) / 1000).toFixed(1)} s after user stopped`);
      // user alone: nothing called user meanwhile, so order stays ready and product was never affected
      expect(alerts.map((a) => [a.labels.service, a.labels.job, a.labels.severity])).toEqual([
        ["user", PROBE_JOBS.readiness, "page"],
      ]);
      const up = await stack.query("probe_success == 1");
      expect(up.map((r) => `${r.metric[LABELS.service]}/${r.metric.job}`).sort()).toEqual(
        probes
          .filter((p) => p.spec.targets?.staticConfig?.labels?.[LABELS.service] !== "user")
          .map((p) => `${p.spec.targets?.staticConfig?.labels?.[LABELS.service]}/${p.spec.jobName}`)
          .sort(),
      );
      await waitFor("the page for user", async () => pages("user")[0], 30_000);
    }, 120_000);
  },
);
