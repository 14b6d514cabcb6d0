import { parse } from "yaml";
import { CONTAINER_PORT, SERVICE_NAMES } from "../../contract";
import { probeRuleGroup } from "../../infra/alerting/probe-rules";
import { CHARTS } from "../../infra/charts/pins";
import { chartDefaultsDir, loadChartDefaults, unknownValuePaths } from "../../infra/charts/values-check";
import { repoRoot } from "../../infra/charts/values-files";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces, PLATFORM_SERVICES, POD_LABELS, RELEASES } from "../../infra/platform/naming";
import { podTemplates, selects } from "../../infra/preflight/checks/objects";
import type { CollectedResource } from "../../infra/preflight/collect";
import { blackboxConfig } from "../../infra/probes/modules";
import { probeObjects } from "../../infra/probes/probes";
import { chartSourcesDir, type RenderedChart, renderChart } from "../../infra/render/render";
import { chart, ofType, runStack } from "../infra/support";

const config = loadStackConfig("dev");
const ns = namespaces(config);
let resources: CollectedResource[];
beforeAll(async () => {
  resources = (await runStack("dev")).resources;
}, 60_000);
const blackboxChart = () => chart(resources, RELEASES.blackboxExporter).inputs;

describe("the program deploys the probes (dev, under mocks)", () => {
  test("the pinned blackbox exporter chart in the platform namespace, with the stack's ownership labels", () => {
    const pin = CHARTS.blackboxExporter;
    expect(blackboxChart()).toMatchObject({
      chart: pin.chart,
      version: pin.version,
      repositoryOpts: { repo: pin.repo },
      namespace: ns.platform,
    });
    expect(blackboxChart().values.commonLabels).toEqual({
      environment: "dev",
      team: "platform",
      "cost-center": "cc-1000",
    });
  });

  test("one Probe custom resource per generated Probe, as generated", () => {
    const deployed = ofType(resources, "kubernetes:monitoring.coreos.com/v1:Probe").map((r) => r.inputs);
    const labels = deployed[0]?.metadata.labels;
    expect(labels).toMatchObject({ "app.kubernetes.io/name": "probes", environment: "dev" });
    expect(deployed).toEqual(probeObjects({ probes: config.probes, namespaces: ns, labels }));
  });

  test("the probe alerts are deployed as a PrometheusRule", () => {
    const rules = ofType(resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").flatMap(
      (r) => r.inputs.spec.groups,
    );
    expect(rules).toContainEqual(probeRuleGroup(config.probes, ns));
  });

  test("every service's NetworkPolicy admits the exporter's pods from the platform namespace on the HTTP port", () => {
    const policies = ofType(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    for (const service of SERVICE_NAMES) {
      const policy = policies.find((p) => p.inputs.metadata.name === service);
      const admits = ((policy?.inputs.spec.ingress ?? []) as any[]).some(
        (rule) =>
          rule.ports?.some((p: { port: number }) => p.port === CONTAINER_PORT) &&
          rule.from?.some(
            (peer: any) =>
              selects(peer.namespaceSelector, { "kubernetes.io/metadata.name": ns.platform }) &&
              selects(peer.podSelector, POD_LABELS.blackboxExporter),
          ),
      );
      expect([service, admits]).toEqual([service, true]);
    }
  });
});

const sources = chartSourcesDir(repoRoot());
const required = process.env.REQUIRE_CHART_SOURCES === "1";
if (!sources && !required) console.warn("chart sources absent (set CHART_SOURCES_DIR): blackbox render tests SKIPPED");
const describeRendered = sources || required ? describe : describe.skip;

describeRendered("the blackbox exporter chart rendered by real Helm with the dev values", () => {
  let rendered: RenderedChart;
  beforeAll(async () => {
    const c = blackboxChart();
    rendered = await renderChart(
      { release: c.name, namespace: c.namespace, chart: c.chart, version: c.version, values: c.values },
      sources as string,
    );
  }, 60_000);
  const ofKind = (kind: string) => rendered.objects.filter((o) => o.object.kind === kind).map((o) => o.object as any);

  test("its Service is the prober every Probe names (name and port from naming.ts)", () => {
    const [service] = ofKind("Service");
    const prober = PLATFORM_SERVICES.blackboxExporter;
    expect(service.metadata).toMatchObject({ name: prober.name, namespace: ns.platform });
    expect(service.spec.ports).toContainEqual(expect.objectContaining({ port: prober.port, name: "http" }));
    for (const probe of probeObjects({ probes: config.probes, namespaces: ns, labels: {} })) {
      expect(probe.spec.prober?.url).toBe(`${prober.name}.${ns.platform}.svc.cluster.local:${prober.port}`);
    }
  });

  test("its pods carry the labels the services' NetworkPolicies admit", () => {
    const pods = podTemplates(rendered.objects);
    expect(pods).toHaveLength(1);
    expect(selects({ matchLabels: POD_LABELS.blackboxExporter }, pods[0]?.labels ?? {})).toBe(true);
  });

  test("the exporter runs exactly the modules of the chart values (what the live test and the demo run)", () => {
    const [configMap] = ofKind("ConfigMap");
    expect(parse(configMap.data["blackbox.yaml"])).toEqual(blackboxConfig());
    const [deployment] = ofKind("Deployment");
    const container = deployment.spec.template.spec.containers[0];
    expect(container.args).toContain("--config.file=/config/blackbox.yaml");
    expect(deployment.spec.template.spec.volumes).toContainEqual({
      name: "config",
      configMap: { name: configMap.metadata.name },
    });
  });

  test("its own metrics are scraped through the chart's ServiceMonitor, at the stack's interval", () => {
    const [monitor] = ofKind("ServiceMonitor");
    expect(monitor.spec.endpoints[0]).toMatchObject({ interval: config.metrics.scrapeInterval, path: "/metrics" });
  });
});

const defaultsDir = chartDefaultsDir();
const describeDefaults = defaultsDir || process.env.REQUIRE_CHART_DEFAULTS === "1" ? describe : describe.skip;

describeDefaults("the values against the chart's published defaults", () => {
  /**
   * Read by the templates but absent from (or only partly shown in) the defaults: the exporter's own module
   * config (written to the ConfigMap as is), `fullnameOverride` (the fullname helper; the render above shows the
   * Service name it gives) and the container SecurityContext (copied with toYaml).
   */
  const FREE_FORM = ["config.modules", "fullnameOverride", "securityContext"];

  test("every key path the program sets exists in the chart, but for the documented free-form ones", () => {
    const pin = CHARTS.blackboxExporter;
    const defaults = loadChartDefaults(defaultsDir as string, pin.chart, pin.version);
    expect(unknownValuePaths(blackboxChart().values, defaults.values, { freeForm: FREE_FORM })).toEqual([]);
  });

  test("a misplaced key is reported (the check can fail)", () => {
    const pin = CHARTS.blackboxExporter;
    const defaults = loadChartDefaults(defaultsDir as string, pin.chart, pin.version);
    const misplaced = { ...blackboxChart().values, selfMonitor: { enabled: true } };
    expect(unknownValuePaths(misplaced, defaults.values, { freeForm: FREE_FORM }).map((p) => p.path)).toEqual([
      "selfMonitor",
    ]);
  });
});
