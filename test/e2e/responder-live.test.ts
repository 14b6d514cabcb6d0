import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { deploymentObject, FakeKubeApi, hpaObject } from "../../apps/demo/kube-api-stand-in";
import {
  type BlackboxExporter,
  type MonitoringStack,
  startBlackboxExporter,
  startMonitoringStack,
  startWebhookReceiver,
  type WebhookCall,
} from "../../apps/demo/monitoring-stack";
import {
  PATHS,
  RESPONDER_ENV,
  RESPONDER_METRICS,
  RESPONDER_NAME,
  RESPONDER_PATHS,
  RESTARTED_AT_ANNOTATION,
  SERVICE_NAMES,
  type ServiceName,
} from "../../contract";
import { alertmanagerConfig, RECEIVERS } from "../../infra/alerting/alertmanager";
import { holdQueryOf, playbookOf } from "../../infra/alerting/playbook";
import { probeRuleGroup } from "../../infra/alerting/probe-rules";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { ALERT_NAMES } from "../../infra/alerting/rules";
import { loadStackConfig } from "../../infra/config/stack-file";
import { type GeneratedDashboard, stackDashboards } from "../../infra/dashboards/dashboards";
import { substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { namespaces } from "../../infra/platform/naming";
import { durationSeconds } from "../../infra/preflight/checks/rendered-config/units";
import { blackboxConfig } from "../../infra/probes/modules";
import { PROBE_JOBS, probeObjects } from "../../infra/probes/probes";
import { probeScrapeConfig } from "../../infra/probes/scrape-config";
import { openingValues } from "../dashboards/built";
import { freePort, waitFor } from "../support/http";
import { type ServiceProcess, startAll, startProcess, stopAll } from "../support/services";
import { toolAvailable } from "../support/tools";
import { E2E_ADMIN_TOKEN, FAST_ROUTES, fastProbes, setFaults as setFaultsOf } from "./live-support";

const ready =
  toolAvailable("prometheus") &&
  toolAvailable("prometheus-alertmanager") &&
  toolAvailable("prometheus-blackbox-exporter");
const describeLive = ready ? describe : describe.skip;

const ADMIN_TOKEN = E2E_ADMIN_TOKEN;
const RESPONDER_TOKEN = "e2e-responder-token-0123456789abcdef";
const KUBE_TOKEN = "e2e-service-account-token";
const config = loadStackConfig("dev");
const ns = namespaces(config);
// The dev stack's probes, rules and routes with the waits shortened so the test takes a minute, not ten.
const FAST = fastProbes(config.probes);

interface Decision {
  alertname?: string;
  outcome?: string;
  action?: string;
  mode?: string;
  fingerprint?: string;
}

describeLive(
  "live: a service made unready → blackbox probe → Prometheus (generated rules) → Alertmanager (generated routes) → the responder → the Kubernetes API",
  () => {
    let services: Record<ServiceName, ServiceProcess>;
    let prober: BlackboxExporter;
    let stack: MonitoringStack;
    let webhooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
    let kube: FakeKubeApi;
    let responder: ServiceProcess | undefined;
    let responderPort: number;
    let tokenDir: string;
    let responderEnv: Record<string, string>;

    const restarts = () =>
      kube.requests.filter(
        (r) => r.method === "PATCH" && r.path === `/apis/apps/v1/namespaces/${ns.apps}/deployments/product`,
      );
    const decisions = (): Decision[] =>
      (responder?.logs ?? []).filter((l) => l.message === "decision") as unknown as Decision[];
    const pages = (): WebhookCall[] =>
      webhooks.calls.filter(
        (c) =>
          c.receiver === RECEIVERS.paging &&
          c.body.alerts.some((a) => a.labels.alertname === ALERT_NAMES.probeFailing && a.labels.service === "product"),
      );
    const setFaults = (service: ServiceName, body: object) => setFaultsOf(services, service, body);
    const metric = async (name: string, labels: Record<string, string>) => {
      const text = await (await fetch(`http://127.0.0.1:${responderPort}${PATHS.metrics}`)).text();
      return text
        .split("\n")
        .filter(
          (line) =>
            line.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)),
        )
        .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
    };
    const startResponder = async (mode: string) => {
      responder = await startProcess("responder", {
        ...responderEnv,
        [RESPONDER_ENV.mode]: mode,
        PORT: String(responderPort),
      });
    };

    beforeAll(async () => {
      webhooks = await startWebhookReceiver();
      services = await startAll({ ADMIN_TOKEN, OTEL_SDK_DISABLED: "true", LOG_LEVEL: "warn" });
      prober = await startBlackboxExporter(blackboxConfig());
      kube = new FakeKubeApi(ns.apps, KUBE_TOKEN);
      for (const service of SERVICE_NAMES) {
        kube.put("deployments", deploymentObject(service));
        kube.put("horizontalpodautoscalers", hpaObject(service, { max: 3, current: 2 }));
      }
      const kubeUrl = await kube.start();
      tokenDir = mkdtempSync(path.join(os.tmpdir(), "responder-sa-"));
      writeFileSync(path.join(tokenDir, "token"), KUBE_TOKEN);
      responderPort = await freePort();

      const probes = probeObjects({
        probes: FAST,
        namespaces: ns,
        labels: {},
        endpoints: { serviceUrl: (s) => services[s].url, prober: prober.address },
      });
      // the rules the alert comes from, and the playbook and hold query as the Pulumi component derives them
      const rules = [probeRuleGroup(FAST, ns)];
      const allRules = ruleGroupsFor(config, ns);
      stack = await startMonitoringStack({
        targets: {},
        namespaces: ns,
        rules,
        alertmanagerConfig: alertmanagerConfig(
          {
            pagingUrl: `${webhooks.url}/${RECEIVERS.paging}`,
            ticketUrl: `${webhooks.url}/${RECEIVERS.ticket}`,
            responder: { url: `http://127.0.0.1:${responderPort}${RESPONDER_PATHS.alerts}`, token: RESPONDER_TOKEN },
          },
          FAST_ROUTES,
        ),
        extraScrapeConfigs: [
          ...probes.map(probeScrapeConfig),
          // as its ServiceMonitor names it in-cluster: job responder, the platform namespace
          {
            job_name: RESPONDER_NAME,
            static_configs: [{ targets: [`127.0.0.1:${responderPort}`], labels: { namespace: ns.platform } }],
          },
        ],
      });
      responderEnv = {
        [RESPONDER_ENV.token]: RESPONDER_TOKEN,
        [RESPONDER_ENV.namespace]: ns.apps,
        [RESPONDER_ENV.playbook]: JSON.stringify(playbookOf(allRules)),
        [RESPONDER_ENV.holdQuery]: holdQueryOf(allRules, ns.apps, config.responder.holdWhenServicesBurning),
        [RESPONDER_ENV.prometheusUrl]: stack.prometheusUrl,
        [RESPONDER_ENV.kubernetesApiUrl]: kubeUrl,
        [RESPONDER_ENV.kubernetesTokenFile]: path.join(tokenDir, "token"),
        [RESPONDER_ENV.verifyWindowSeconds]: "8",
        [RESPONDER_ENV.verifyIntervalSeconds]: "1",
        OTEL_SDK_DISABLED: "true",
      };
      await startResponder("act");
    }, 90_000);

    afterAll(async () => {
      await responder?.stop();
      await stack?.stop();
      await prober?.stop();
      await stopAll(services ?? {});
      await webhooks?.close();
      await kube?.stop();
      if (tokenDir) rmSync(tokenDir, { recursive: true, force: true });
    }, 60_000);

    test("act: product made unready → ServiceProbeFailing (readiness) fires → exactly one rollout-restart PATCH of product, the page still goes out, repeats do not act again, the useless restart is judged ineffective", async () => {
      expect((await setFaults("product", { unready: true })).status).toBe(200);
      const faultAt = Date.now();
      const restart = await waitFor("the restart PATCH at the Kubernetes API", async () => restarts()[0], 90_000);
      const patchAt = Date.now();
      const [firing] = (await stack.query(`ALERTS{alertname="${ALERT_NAMES.probeFailing}",alertstate="firing"}`)).map(
        (r) => r.metric,
      );
      expect(firing).toEqual(
        expect.objectContaining({
          service: "product",
          job: PROBE_JOBS.readiness,
          namespace: ns.apps,
          response: "restart",
        }),
      );
      const activeAt = await stack.query(`ALERTS_FOR_STATE{alertname="${ALERT_NAMES.probeFailing}"}`);
      // ALERTS_FOR_STATE holds when the alert became pending; it fires `for` later
      const firedAt =
        (Number(activeAt[0]?.value[1]) + (durationSeconds(FAST.failingFor, "prometheus") as number)) * 1000;
      console.log(
        `responder: fault → restart PATCH ${((patchAt - faultAt) / 1000).toFixed(1)} s (probes every ${FAST.interval}, for: ${FAST.failingFor}); alert firing → PATCH ≈ ${((patchAt - firedAt) / 1000).toFixed(1)} s`,
      );
      // what kubectl rollout restart sends, with the service account's token
      expect(restart.contentType).toBe("application/strategic-merge-patch+json");
      expect(restart.authorization).toBe(`Bearer ${KUBE_TOKEN}`);
      const stamp = (restart.body as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec
        .template.metadata.annotations[RESTARTED_AT_ANNOTATION];
      expect(Date.parse(stamp as string)).toBeGreaterThanOrEqual(Math.floor(faultAt / 1000) * 1000);
      // the Event on the Deployment, and the page to the humans (continue: true)
      await waitFor("the Event", async () =>
        kube.requests.find((r) => r.method === "POST" && r.path.endsWith("/events")),
      );
      await waitFor("the page", async () => pages()[0], 30_000);

      // Alertmanager repeats the notification every few seconds; one firing, one action
      await waitFor(
        "a repeated notification decided as duplicate",
        async () => decisions().find((d) => d.alertname === ALERT_NAMES.probeFailing && d.outcome === "duplicate"),
        30_000,
      );
      expect(restarts()).toHaveLength(1);
      expect(kube.requests.filter((r) => r.method === "PATCH")).toHaveLength(1);
      expect(await metric(RESPONDER_METRICS.decisions, { alertname: ALERT_NAMES.probeFailing, outcome: "acted" })).toBe(
        1,
      );

      // the fake API restarts nothing, so the alert goes on firing: the effect check says so
      await waitFor(
        "the action judged ineffective",
        async () =>
          (await metric(RESPONDER_METRICS.actionEffective, { outcome: "ineffective" })) === 1 ? true : undefined,
        30_000,
      );
      // and Prometheus has scraped it (twice: the dashboard's counts need two samples) before this responder stops
      await waitFor(
        "the effect counter in Prometheus",
        async () =>
          (await stack.query(`count_over_time(${RESPONDER_METRICS.actionEffective}[1m]) >= 2`)).length > 0
            ? true
            : undefined,
        30_000,
      );
    }, 180_000);

    test("dry-run: the same firing alert is decided, logged and counted, and nothing reaches the Kubernetes API but reads", async () => {
      await responder?.stop();
      // the Deployment controller would finish the restart's rollout; the stand-in has none, so say it did
      const { generation } = (kube.get("deployments", "product") as { metadata: { generation: number } }).metadata;
      kube.put("deployments", deploymentObject("product", { generation }));
      const writesBefore = kube.writes().length;
      await startResponder("dry-run");
      const decision = await waitFor(
        "a dry-run decision on the still-firing alert",
        async () => decisions().find((d) => d.alertname === ALERT_NAMES.probeFailing && d.outcome === "dry_run"),
        30_000,
      );
      expect(decision).toEqual(expect.objectContaining({ action: "restart", mode: "dry-run" }));
      expect(
        await metric(RESPONDER_METRICS.decisions, { alertname: ALERT_NAMES.probeFailing, outcome: "dry_run" }),
      ).toBe(1);
      expect(kube.writes().length).toBe(writesBefore);
    }, 90_000);

    test("the service overview's Responder row shows the responder's decisions: each of its queries returns data", async () => {
      const overview = stackDashboards(config).find((d) => d.uid.endsWith("service-overview"));
      const queries = (overview?.queries ?? []).filter((q) => q.expr.includes("responder_"));
      expect(queries.length).toBeGreaterThanOrEqual(3);
      const values = { ...openingValues(overview as GeneratedDashboard), service: ".+", __range: "10m" };
      await waitFor(
        "the responder's series in Prometheus",
        async () => ((await stack.query(RESPONDER_METRICS.decisions)).length > 0 ? true : undefined),
        30_000,
      );
      for (const q of queries) {
        const result = await stack.query(substituteGrafanaVariables(q.expr, values));
        // the gauge of raises in force is 0 here (no raise), which is data too
        expect({ panel: q.panel, series: result.length > 0 }).toEqual({ panel: q.panel, series: true });
      }
      expect((await setFaults("product", {})).status).toBe(200);
    }, 60_000);
  },
);
