import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { SERVICE_NAMES, SERVICE_VERSION_ENV } from "../../contract";
import { mergeValues, repoRoot } from "../../infra/charts/values-files";
import { parseStackConfig } from "../../infra/config/schema";
import { loadStackConfig, stackConfigFile } from "../../infra/config/stack-file";
import { MULTI_ENVIRONMENT_DASHBOARD_KEY } from "../../infra/dashboards/model";
import { multiEnvironmentDashboardOptions } from "../../infra/dashboards/multi-environment";
import { queryProblems } from "../../infra/dashboards/query-check";
import { CLUSTER_LABEL } from "../../infra/monitoring/scrape-class";
import { DATASOURCE_UIDS, RELEASES } from "../../infra/platform/naming";
import { chartSpecOf } from "../../infra/preflight/main";
import { chartSourcesDir, renderChart } from "../../infra/render/render";
import { alloyBlock, alloyMap } from "./alloy-text";
import { chart, ofType, runStack, type Stack } from "./support";

type Result = Awaited<ReturnType<typeof runStack>>;
type Json = Record<string, any>;
const STACKS: Stack[] = ["dev", "staging", "prod"];

const results = {} as Record<Stack, Result>;
/** prod's Grafana with staging (every store) and dev (Prometheus only) as peers. */
let withPeers: Result;
const PEERS = [
  {
    environment: "staging",
    prometheusUrl: "https://prometheus.staging.example.com",
    lokiUrl: "https://loki.staging.example.com",
    jaegerUrl: "https://jaeger.staging.example.com",
  },
  { environment: "dev", prometheusUrl: "http://prometheus.dev.example.com:9090" },
];
beforeAll(async () => {
  for (const stack of STACKS) results[stack] = await runStack(stack);
  withPeers = await runStack("prod", (p) => {
    p.peers = PEERS;
  });
});

const kps = (r: Result) => chart(r.resources, RELEASES.monitoring).inputs.values;
/** Every datasource this Grafana provisions: the chart's own Prometheus (uid from its values) and the additional ones. */
const datasources = (r: Result): Json[] => [
  { uid: kps(r).grafana.sidecar.datasources.uid ?? DATASOURCE_UIDS.prometheus, type: "prometheus", name: "chart" },
  ...(kps(r).grafana.additionalDataSources as Json[]),
];
const dashboardJson = (r: Result, environment: string): Json => {
  const name = `dashboard-${environment}-${MULTI_ENVIRONMENT_DASHBOARD_KEY}`;
  const map = ofType(r.resources, "kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name === name);
  if (!map) throw new Error(`no ConfigMap ${name}`);
  return JSON.parse(Object.values(map.inputs.data as Record<string, string>)[0] as string);
};
const panelsOf = (json: Json): Json[] =>
  (json.panels as Json[]).flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== "row");
/** A panel's datasource uid as Grafana opens it: a `${variable}` resolves to the variable's current value. */
const openedUid = (json: Json, uid: string): string => {
  const variable = /^\$\{(\w+)\}$/.exec(uid)?.[1];
  if (!variable) return uid;
  return (json.templating.list as Json[]).find((v) => v.name === variable)?.current?.value;
};

describe("external labels: every environment's Prometheus says which environment and cluster it is", () => {
  test.each(STACKS)("%s: externalLabels are its environment and cluster obs-<environment> (the default)", (stack) => {
    expect(kps(results[stack]).prometheus.prometheusSpec.externalLabels).toEqual({
      environment: stack,
      cluster: `obs-${stack}`,
    });
  });

  test("a configured cluster name replaces the default", async () => {
    const r = await runStack("prod", (p) => {
      p.cluster = "eks-eu-west-1-prod";
    });
    expect(kps(r).prometheus.prometheusSpec.externalLabels).toEqual({
      environment: "prod",
      cluster: "eks-eu-west-1-prod",
    });
  });
});

describe("traces and logs carry the environment", () => {
  test.each(STACKS)(
    "%s: every Deployment that sends spans sets DEPLOYMENT_ENVIRONMENT (deployment.environment.name) to its environment",
    (stack) => {
      const senders = ofType(results[stack].resources, "kubernetes:apps/v1:Deployment").filter((d) =>
        (d.inputs.spec.template.spec.containers[0].env as Json[]).some((e) => e.name === "OTEL_EXPORTER_OTLP_ENDPOINT"),
      );
      // the three services and the responder
      expect(senders.map((d) => d.inputs.metadata.name).sort()).toEqual([...SERVICE_NAMES, "responder"].sort());
      for (const d of senders) {
        const env = d.inputs.spec.template.spec.containers[0].env as Json[];
        expect([d.inputs.metadata.name, env.find((e) => e.name === "DEPLOYMENT_ENVIRONMENT")?.value]).toEqual([
          d.inputs.metadata.name,
          stack,
        ]);
      }
    },
  );

  test.each(STACKS)("%s: Alloy labels every log stream it pushes with its environment", (stack) => {
    const content = chart(results[stack].resources, RELEASES.alloy).inputs.values.alloy.configMap.content as string;
    expect(alloyMap(alloyBlock(content, 'loki.write "loki"'), "external_labels")).toEqual({ environment: stack });
  });
});

describe("service_build_info: the Deployments tell the services their version", () => {
  const versions = (r: Result) =>
    Object.fromEntries(
      ofType(r.resources, "kubernetes:apps/v1:Deployment")
        .filter((d) => (SERVICE_NAMES as readonly string[]).includes(d.inputs.metadata.name))
        .map((d) => [
          d.inputs.metadata.name,
          (d.inputs.spec.template.spec.containers[0].env as Json[]).find((e) => e.name === SERVICE_VERSION_ENV)?.value,
        ]),
    );

  test.each(STACKS)("%s: each service's SERVICE_VERSION is the stack's images.tag (0.1.0)", (stack) => {
    expect(versions(results[stack])).toEqual({ order: "0.1.0", product: "0.1.0", user: "0.1.0" });
  });

  test("a new images.tag reaches every service as its version", async () => {
    const r = await runStack("staging", (p) => {
      (p.images as Json).tag = "2024.06.1-rc.2";
    });
    expect(versions(r)).toEqual({ order: "2024.06.1-rc.2", product: "2024.06.1-rc.2", user: "2024.06.1-rc.2" });
  });
});

describe("per-environment datasources (stack config peers)", () => {
  test.each(STACKS)("%s without peers: the chart's Prometheus, Loki and Jaeger only", (stack) => {
    expect(datasources(results[stack]).map((d) => d.uid)).toEqual(["prometheus", "loki", "jaeger"]);
  });

  test("with peers: one datasource per peer environment and store, named after it, uids distinct from each other and the local ones", () => {
    const all = datasources(withPeers);
    expect(all.map((d) => [d.uid, d.type, d.name])).toEqual([
      ["prometheus", "prometheus", "chart"],
      ["loki", "loki", "Loki"],
      ["jaeger", "jaeger", "Jaeger"],
      ["prometheus-staging", "prometheus", "Prometheus (staging)"],
      ["loki-staging", "loki", "Loki (staging)"],
      ["jaeger-staging", "jaeger", "Jaeger (staging)"],
      ["prometheus-dev", "prometheus", "Prometheus (dev)"],
    ]);
    expect(new Set(all.map((d) => d.uid)).size).toBe(all.length);
    expect(new Set(all.map((d) => d.name)).size).toBe(all.length);
    const byUid = Object.fromEntries(all.map((d) => [d.uid, d]));
    expect(byUid["prometheus-staging"]?.url).toBe(PEERS[0]?.prometheusUrl);
    expect(byUid["loki-staging"]?.url).toBe(PEERS[0]?.lokiUrl);
    expect(byUid["jaeger-staging"]?.url).toBe(PEERS[0]?.jaegerUrl);
    expect(byUid["prometheus-dev"]?.url).toBe(PEERS[1]?.prometheusUrl);
  });

  test("a peer's correlations stay inside that peer: its logs link to its traces, its traces to its logs and metrics", () => {
    const byUid = Object.fromEntries(datasources(withPeers).map((d) => [d.uid, d]));
    expect(byUid["loki-staging"]?.jsonData.derivedFields.map((f: Json) => f.datasourceUid)).toEqual(["jaeger-staging"]);
    expect(byUid["jaeger-staging"]?.jsonData.tracesToLogsV2.datasourceUid).toBe("loki-staging");
    expect(byUid["jaeger-staging"]?.jsonData.tracesToMetrics.datasourceUid).toBe("prometheus-staging");
    expect(byUid["prometheus-staging"]?.jsonData.exemplarTraceIdDestinations).toEqual([
      { datasourceUid: "jaeger-staging", name: "trace_id", urlDisplayLabel: "View trace" },
    ]);
    // dev gave only its Prometheus: no exemplar link to a Jaeger this Grafana does not have
    expect(byUid["prometheus-dev"]?.jsonData.exemplarTraceIdDestinations).toBeUndefined();
  });
});

describe("the commented peers example of the staging and prod stack files", () => {
  test.each(["staging", "prod"] as const)(
    "%s: uncommented, it is valid stack config naming the other environment",
    (stack) => {
      const text = readFileSync(path.join(repoRoot(), `Pulumi.${stack}.yaml`), "utf8");
      const lines = text.split("\n");
      const start = lines.findIndex((l) => l.trim() === "# peers:");
      const block = lines.slice(start).filter((l, i) => i === 0 || /^\s+#\s{3}/.test(l));
      const example = parse(block.map((l) => l.replace(/^(\s*)# /, "")).join("\n"))?.peers;
      expect(example).toHaveLength(1);
      const platform = JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string);
      const config = parseStackConfig({ ...platform, peers: example });
      expect(config.peers.map((p) => p.environment)).toEqual([stack === "prod" ? "staging" : "prod"]);
    },
  );
});

describe("the multi-environment dashboard as deployed (its ConfigMap)", () => {
  const columnsOf = (json: Json) =>
    panelsOf(json)
      .filter((p) => p.title.startsWith("Requests/s"))
      .map((p) => [p.title, openedUid(json, p.datasource.uid)]);

  test.each(STACKS)("%s without peers: one column, the local environment on the provisioned Prometheus", (stack) => {
    expect(columnsOf(dashboardJson(results[stack], stack))).toEqual([[`Requests/s (${stack})`, "prometheus"]]);
  });

  test("with peers: dev, staging and prod side by side, each on its own Prometheus", () => {
    expect(columnsOf(dashboardJson(withPeers, "prod"))).toEqual([
      ["Requests/s (dev)", "prometheus-dev"],
      ["Requests/s (staging)", "prometheus-staging"],
      ["Requests/s (prod)", "prometheus"],
    ]);
  });

  test("a peer with its own namespacePrefix: its column reads its namespaces, the others keep this stack's", () => {
    const config = loadStackConfig("prod");
    const options = multiEnvironmentDashboardOptions({
      ...config,
      peers: [
        { environment: "staging", prometheusUrl: "https://prometheus.staging.example.com", auth: "none" },
        {
          environment: "dev",
          prometheusUrl: "https://prometheus.dev.example.com",
          auth: "none",
          namespacePrefix: "team-a",
        },
      ],
    });
    expect(options.columns.map((c) => [c.environment, c.namespaces.apps])).toEqual([
      ["dev", "team-a-dev-apps"],
      ["staging", `${config.namespacePrefix}-staging-apps`],
      ["prod", `${config.namespacePrefix}-prod-apps`],
    ]);
  });

  test("every panel and target reads a datasource this Grafana provisions, and every query parses", () => {
    const provisioned = new Set(datasources(withPeers).map((d) => d.uid));
    const json = dashboardJson(withPeers, "prod");
    const panels = panelsOf(json);
    expect(panels.length).toBe(6 * 3);
    const problems: string[] = [];
    for (const p of panels) {
      if (!provisioned.has(openedUid(json, p.datasource.uid))) problems.push(`${p.title}: ${p.datasource.uid}`);
      for (const t of p.targets) {
        if (openedUid(json, t.datasource.uid) !== openedUid(json, p.datasource.uid))
          problems.push(`${p.title}: target on ${t.datasource.uid}`);
        problems.push(...queryProblems({ datasource: t.datasource.type, expr: t.expr }).map((q) => `${p.title}: ${q}`));
      }
    }
    expect(problems).toEqual([]);
    // the check can fail: a broken query and an unknown uid are reported
    expect(queryProblems({ datasource: "prometheus", expr: "sum(up" })).not.toEqual([]);
    expect(provisioned.has("prometheus-qa")).toBe(false);
  });
});

// CI sets REQUIRE_CHART_SOURCES=1: without the pinned charts' sources the render test fails instead of skipping.
const sources = chartSourcesDir(repoRoot());
const withSources = sources || process.env.REQUIRE_CHART_SOURCES === "1" ? test : test.skip;

describe("kube-prometheus-stack's own dashboards and grafana.sidecar.dashboards.multicluster.global.enabled", () => {
  test.each(STACKS)(
    "%s: on, the static sidecar settings kept beside it; the default scrape class puts the stack's cluster on every series the variable lists",
    (stack) => {
      const values = kps(results[stack]);
      const sidecar = values.grafana.sidecar.dashboards;
      expect(sidecar.multicluster).toEqual({ global: { enabled: true } });
      expect(sidecar).toMatchObject({ enabled: true, label: "grafana_dashboard", folderAnnotation: "grafana_folder" });
      const cluster = loadStackConfig(stack).cluster;
      expect(values.prometheus.prometheusSpec.scrapeClasses).toEqual([
        {
          name: "default",
          default: true,
          relabelings: [{ action: "replace", targetLabel: "cluster", replacement: cluster }],
        },
      ]);
      expect(values.prometheus.prometheusSpec.externalLabels.cluster).toBe(cluster);
    },
  );

  /**
   * The chart's dashboards (file → JSON model) as Helm renders them with these values; forced, because the
   * renderer switches Grafana off when the sources lack its sub-chart, and the dashboards are kps' own templates.
   */
  async function renderedDashboards(values: Json): Promise<Map<string, Json>> {
    const resource = chart(results.prod.resources, RELEASES.monitoring);
    const forced = mergeValues(values, { grafana: { forceDeployDashboards: true } });
    const rendered = await renderChart({ ...chartSpecOf(resource), values: forced }, sources as string);
    const maps = rendered.objects
      .map((r) => r.object as Json)
      .filter((o) => o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard === "1");
    return new Map(
      maps.flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([file, text]) => [file, JSON.parse(text)]),
      ),
    );
  }
  /** Dotted paths where two JSON values differ. */
  const differences = (a: unknown, b: unknown, at = ""): string[] => {
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null)
      return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differences((a as Json)[k], (b as Json)[k], at ? `${at}.${k}` : k));
  };

  withSources(
    "turning it on only un-hides each rendered dashboard's cluster variable: every query stays the same",
    async () => {
      const values = chart(results.prod.resources, RELEASES.monitoring).inputs.values;
      const on = await renderedDashboards(values);
      const off = await renderedDashboards(
        mergeValues(values, { grafana: { sidecar: { dashboards: { multicluster: { global: { enabled: false } } } } } }),
      );
      expect(off.size).toBeGreaterThan(10);
      expect([...on.keys()].sort()).toEqual([...off.keys()].sort());
      const beyondVisibility: string[] = [];
      const withCluster: string[] = [];
      for (const [file, model] of off) {
        const list = model.templating.list as Json[];
        const clusterAt = list.findIndex((v) => v.name === "cluster");
        const changed = differences(model, on.get(file));
        if (changed.some((p) => p !== `templating.list.${clusterAt}.hide`)) beyondVisibility.push(file);
        if (clusterAt < 0) continue;
        // hidden (2) when off, shown (0) when on: nothing else moves
        expect([file, list[clusterAt]?.hide, on.get(file)?.templating.list[clusterAt].hide]).toEqual([file, 2, 0]);
        // its values: the label the default scrape class puts on every series
        expect([file, JSON.stringify(list[clusterAt]?.query)]).toEqual([
          file,
          expect.stringMatching(new RegExp(`label_values\\(.*, *${CLUSTER_LABEL}\\)`)),
        ]);
        withCluster.push(file);
      }
      // (etcd's dashboard, the one that would swap its job selector for cluster, is off: kubeEtcd is disabled)
      expect(beyondVisibility).toEqual([]);
      expect(withCluster.length).toBeGreaterThan(10);
    },
  );
});
