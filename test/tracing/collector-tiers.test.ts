import { parse, stringify } from "yaml";
import { repoRoot, staticValues } from "../../infra/charts/values-files";
import { distributedSchema } from "../../infra/config/scale-schema";
import { parseStackConfig } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces, PLATFORM_SERVICES, POD_LABELS, RELEASES } from "../../infra/platform/naming";
import { selectsMap } from "../../infra/preflight/checks/objects";
import { collectorFindings } from "../../infra/preflight/checks/rendered-config/collector";
import { namespaceResolver } from "../../infra/preflight/checks/rendered-config/workloads";
import { PLATFORM_COMPONENTS } from "../../infra/preflight/checks/scraping/components";
import { chartSpecOf } from "../../infra/preflight/main";
import { chartSourcesDir, type RenderedObject, renderChart } from "../../infra/render/render";
import { slowRequestMs } from "../../infra/services/logging-env";
import { collectorAwsExport } from "../../infra/tracing/collector-aws";
import { collectorConfig } from "../../infra/tracing/collector-config";
import { settingsProblems } from "../../infra/tracing/collector-settings-check";
import {
  gatewayConfig,
  gatewayValues,
  SINGLE_COLLECTOR_VALUES,
  samplerTarget,
} from "../../infra/tracing/collector-tiers";
import { chart, ofType, runStack } from "../infra/support";
import { awsOnWithIrsa } from "../support/aws";

type Json = Record<string, any>;

const sources = chartSourcesDir(repoRoot());
const withSources = sources || process.env.REQUIRE_CHART_SOURCES === "1" ? test : test.skip;

const prod = loadStackConfig("prod");
const nsProd = namespaces(prod);
const envOf = (d: Json) =>
  Object.fromEntries((d.inputs.spec.template.spec.containers[0].env as Json[]).map((e) => [e.name, e.value]));

describe("gateway tier, pure", () => {
  test("the gateway routes by traceID over the DNS resolver to the sampler's Service and OTLP/gRPC port", () => {
    const lb = gatewayConfig(nsProd).exporters.loadbalancing;
    expect(lb.routing_key).toBe("traceID");
    expect(lb.resolver.dns).toEqual(
      expect.objectContaining({
        hostname: `${PLATFORM_SERVICES.collector.name}.${nsProd.platform}.svc.cluster.local`,
        port: String(PLATFORM_SERVICES.collector.otlpGrpcPort),
      }),
    );
    expect(gatewayConfig(nsProd).service.pipelines.traces).toEqual({
      receivers: ["otlp"],
      processors: ["memory_limiter"],
      exporters: ["loadbalancing"],
    });
  });

  test("queue and retries sit on the loadbalancing exporter (re-routed on retry, their metrics reported), the per-sampler exporters only send", () => {
    const lb = gatewayConfig(nsProd).exporters.loadbalancing;
    expect(lb.sending_queue).toEqual({ enabled: true, queue_size: 5000 });
    expect(lb.retry_on_failure).toEqual(expect.objectContaining({ enabled: true }));
    expect(lb.protocol.otlp.sending_queue).toEqual({ enabled: false });
    expect(lb.protocol.otlp.retry_on_failure).toEqual({ enabled: false });
  });

  test("the loadbalancing settings data accepts the gateway config and refuses a misspelt or mistyped key", () => {
    const cfg: Json = gatewayConfig(nsProd);
    expect(settingsProblems(cfg)).toEqual([]);
    cfg.exporters.loadbalancing.resolver.dns = { hostnme: "x", port: 4317 };
    expect(settingsProblems(cfg)).toEqual([
      expect.stringContaining("exporters.loadbalancing.resolver.dns.hostnme: unknown key"),
      expect.stringContaining("exporters.loadbalancing.resolver.dns.port: expected string, got int 4317"),
    ]);
  });

  test("HPA bounds, CPU target and resources come from distributed.collector.gateway", () => {
    const tiers = distributedSchema.parse({
      collector: {
        gateway: {
          replicas: 3,
          maxReplicas: 9,
          cpuTargetPercent: 55,
          resources: { cpuRequest: "250m", memoryRequest: "512Mi", memoryLimit: "1Gi" },
        },
      },
    }).collector;
    const v: Json = gatewayValues(staticValues("otelCollector"), tiers, nsProd, {});
    expect(v.autoscaling).toEqual({
      enabled: true,
      minReplicas: 3,
      maxReplicas: 9,
      targetCPUUtilizationPercentage: 55,
    });
    expect(v.resources).toEqual({ requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } });
    expect(v.podDisruptionBudget).toEqual({ enabled: true, maxUnavailable: 1 });
    expect(v.fullnameOverride).toBe(RELEASES.otelGateway);
  });

  test("the scraping check expects the gateway's metrics only in distributed stacks", () => {
    const names = (distributed: boolean) => PLATFORM_COMPONENTS(nsProd, { distributed }).map((c) => c.name);
    expect(names(true)).toContain("otel-gateway");
    expect(names(false)).not.toContain("otel-gateway");
  });
});

describe("prod (distributed): program under mocks, collector charts rendered by real Helm", () => {
  let program: Awaited<ReturnType<typeof runStack>>;
  let objects: RenderedObject[] = [];
  beforeAll(async () => {
    program = await runStack("prod");
    if (!sources) return;
    const releases = [RELEASES.collector, RELEASES.otelGateway, RELEASES.jaeger];
    const rendered = await Promise.all(
      releases.map((r) => renderChart(chartSpecOf(chart(program.resources, r)), sources)),
    );
    objects = rendered.flatMap((r) => r.objects);
  }, 60_000);

  const find = (set: RenderedObject[], kind: string, release: string) => {
    const found = set.find((o) => o.object.kind === kind && o.origin === release);
    if (!found) throw new Error(`no ${kind} in ${release}`);
    return found.object as Json;
  };
  const relayOf = (set: RenderedObject[], release: string): Json => parse(find(set, "ConfigMap", release).data.relay);
  const findings = (set: RenderedObject[]) =>
    collectorFindings(set, namespaceResolver(set), prod).map((f) => f.message);

  withSources("every service and the responder export to the rendered gateway Service, on a port it serves", () => {
    const svc = find(objects, "Service", RELEASES.otelGateway);
    const url = `http://${svc.metadata.name}.${nsProd.platform}.svc.cluster.local:${PLATFORM_SERVICES.otelGateway.otlpHttpPort}`;
    expect(svc.spec.ports.map((p: Json) => p.port)).toContain(PLATFORM_SERVICES.otelGateway.otlpHttpPort);
    const deployments = ofType(program.resources, "kubernetes:apps/v1:Deployment");
    expect(deployments.map((d) => d.inputs.metadata.name).sort()).toEqual(["order", "product", "responder", "user"]);
    for (const d of deployments) expect(envOf(d).OTEL_EXPORTER_OTLP_ENDPOINT).toBe(url);
  });

  withSources(
    "the services' and the responder's NetworkPolicies admit OTLP to the gateway pods, not the samplers",
    () => {
      const podLabels = (release: string, kind: string) => find(objects, kind, release).spec.template.metadata.labels;
      const gateway = podLabels(RELEASES.otelGateway, "Deployment");
      const sampler = podLabels(RELEASES.collector, "StatefulSet");
      for (const np of ofType(program.resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")) {
        const otlp = (np.inputs.spec.egress as Json[]).filter((r) =>
          (r.ports ?? []).some((p: Json) => p.port === PLATFORM_SERVICES.otelGateway.otlpHttpPort),
        );
        const peers = otlp.flatMap((r) => r.to as Json[]);
        expect(peers.length).toBeGreaterThan(0);
        for (const peer of peers) {
          expect(selectsMap(peer.podSelector.matchLabels, gateway)).toBe(true);
          expect(selectsMap(peer.podSelector.matchLabels, sampler)).toBe(false);
        }
      }
    },
  );

  withSources(
    "the gateway's resolver names the rendered headless sampler Service and a port it and its pods serve",
    () => {
      const lb = relayOf(objects, RELEASES.otelGateway).exporters.loadbalancing;
      expect(lb.routing_key).toBe("traceID");
      const svc = find(objects, "Service", RELEASES.collector);
      const sts = find(objects, "StatefulSet", RELEASES.collector);
      expect(lb.resolver.dns.hostname).toBe(`${svc.metadata.name}.${nsProd.platform}.svc.cluster.local`);
      expect(svc.spec.clusterIP).toBe("None");
      expect(sts.spec.serviceName).toBe(svc.metadata.name);
      const port = Number(lb.resolver.dns.port);
      expect(svc.spec.ports.find((p: Json) => p.port === port)?.targetPort).toBe(port);
      expect(sts.spec.template.spec.containers[0].ports.map((p: Json) => p.containerPort)).toContain(port);
      expect(samplerTarget(nsProd).port).toBe(port);
    },
  );

  withSources("the sampler keeps memory_limiter → span_metrics (unsampled) → tail_sampling → exporters", () => {
    const pipelines = relayOf(objects, RELEASES.collector).service.pipelines;
    expect(pipelines.traces).toEqual({
      receivers: ["otlp"],
      processors: ["memory_limiter"],
      exporters: ["span_metrics", "forward"],
    });
    expect(pipelines["traces/sampled"].receivers).toEqual(["forward"]);
    expect(pipelines["traces/sampled"].processors).toEqual(["memory_limiter", "tail_sampling", "batch"]);
    expect(pipelines["traces/sampled"].exporters).toEqual(["otlp_grpc/jaeger"]);
  });

  withSources("replicas, HPA bounds and PDBs of both tiers are what distributed.collector says", () => {
    const { gateway, sampler } = prod.distributed.collector;
    expect(find(objects, "StatefulSet", RELEASES.collector).spec.replicas).toBe(sampler.replicas);
    const hpa = find(objects, "HorizontalPodAutoscaler", RELEASES.otelGateway);
    expect(hpa.spec.scaleTargetRef).toEqual(
      expect.objectContaining({ kind: "Deployment", name: RELEASES.otelGateway }),
    );
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([gateway.replicas, gateway.maxReplicas]);
    expect(hpa.spec.metrics[0].resource.target.averageUtilization).toBe(gateway.cpuTargetPercent);
    for (const [release, kind] of [
      [RELEASES.otelGateway, "Deployment"],
      [RELEASES.collector, "StatefulSet"],
    ] as const) {
      const pdb = find(objects, "PodDisruptionBudget", release);
      expect(
        selectsMap(pdb.spec.selector.matchLabels, find(objects, kind, release).spec.template.metadata.labels),
      ).toBe(true);
    }
  });

  withSources("the rendered tiers have no rendered-config findings", () => {
    expect(findings(objects)).toEqual([]);
  });

  /** A copy of the rendered set with one object (or the gateway's relay config) edited. */
  const mutated = (kind: string, release: string, edit: (o: Json) => void) =>
    objects.map((o) => {
      if (o.object.kind !== kind || o.origin !== release) return o;
      const copy = structuredClone(o);
      edit(copy.object as Json);
      return copy;
    });
  const editGateway = (edit: (cfg: Json) => void) =>
    mutated("ConfigMap", RELEASES.otelGateway, (cm) => {
      const cfg = parse(cm.data.relay);
      edit(cfg);
      cm.data.relay = stringify(cfg);
    });

  test.each<[string, () => RenderedObject[], string | string[]]>([
    [
      "sampler replicas",
      () => mutated("StatefulSet", RELEASES.collector, (s) => (s.spec.replicas = 2)),
      "replicas 2, expected 3 (distributed.collector.sampler.replicas)",
    ],
    [
      "HPA maxReplicas",
      () => mutated("HorizontalPodAutoscaler", RELEASES.otelGateway, (h) => (h.spec.maxReplicas = 4)),
      "HPA maxReplicas 4, expected 6 (distributed.collector.gateway.maxReplicas)",
    ],
    [
      "a ClusterIP sampler Service",
      () => mutated("Service", RELEASES.collector, (s) => delete s.spec.clusterIP),
      [
        'has clusterIP absent, expected "None"',
        // the StatefulSet's governing Service must be headless too (stable pod DNS names)
        'serviceName "otel-collector" is not a headless Service in the set',
      ],
    ],
    [
      "routing by service",
      () => editGateway((c) => (c.exporters.loadbalancing.routing_key = "service")),
      'routing_key "service", expected "traceID"',
    ],
    [
      "the resolver on the OTLP/HTTP port",
      () => editGateway((c) => (c.exporters.loadbalancing.resolver.dns.port = "4318")),
      "whose OTLP/gRPC receiver listens on",
    ],
    [
      "a static resolver",
      () => editGateway((c) => (c.exporters.loadbalancing.resolver = { static: { hostnames: ["a:4317"] } })),
      "a fixed list does not follow the samplers",
    ],
    [
      "span metrics on the gateway",
      () =>
        editGateway((c) => {
          c.connectors = { span_metrics: {} };
          c.exporters.prometheus = { endpoint: "0.0.0.0:8889" };
          c.service.pipelines.traces.exporters.push("span_metrics");
          c.service.pipelines.metrics = { receivers: ["span_metrics"], exporters: ["prometheus"] };
        }),
      "would see only the spans this replica received",
    ],
  ])("a wrong %s becomes a finding", (_, set, message) => {
    if (!sources) return;
    const expected = typeof message === "string" ? [message] : message;
    expect(findings(set())).toEqual(expected.map((m) => expect.stringContaining(m)));
  });

  withSources("without a PDB on the gateway, the check says so", () => {
    const set = objects.filter((o) => !(o.object.kind === "PodDisruptionBudget" && o.origin === RELEASES.otelGateway));
    expect(findings(set)).toEqual(["no PodDisruptionBudget selects the gateway pods"]);
  });
});

describe("single (dev): the collector as committed", () => {
  test("no gateway release; collector values are the static values with the generated config, exporting to itself", async () => {
    const { resources } = await runStack("dev");
    const dev = loadStackConfig("dev");
    expect(() => chart(resources, RELEASES.otelGateway)).toThrow("no chart otel-gateway");
    const values = chart(resources, RELEASES.collector).inputs.values;
    const config = collectorConfig({
      namespaces: namespaces(dev),
      samplingPercentage: dev.traces.samplingPercentage,
      numTraces: dev.traces.maxTracesInMemory,
      slowMs: slowRequestMs(dev),
      aws: collectorAwsExport(dev),
    });
    const { additionalLabels, podLabels, config: _, ...rest } = values;
    expect(rest).toEqual({ ...staticValues("otelCollector"), ...SINGLE_COLLECTOR_VALUES });
    expect(values.config).toEqual(JSON.parse(JSON.stringify(config)));
    expect(additionalLabels).toEqual(podLabels);
    for (const np of ofType(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")) {
      const otlp = (np.inputs.spec.egress as Json[]).filter((r) =>
        (r.ports ?? []).some((p: Json) => p.port === PLATFORM_SERVICES.collector.otlpHttpPort),
      );
      expect(otlp.flatMap((r) => r.to.map((peer: Json) => peer.podSelector.matchLabels))).toEqual([
        POD_LABELS.collector,
      ]);
    }
  });

  test("with AWS on, the sampler's pipeline order holds and the AWS exporters follow tail sampling", () => {
    const withAws = parseStackConfig({ ...prod, aws: { ...prod.aws, ...awsOnWithIrsa() } });
    const pipelines = collectorConfig({
      namespaces: nsProd,
      samplingPercentage: 10,
      numTraces: 1000,
      slowMs: 500,
      aws: collectorAwsExport(withAws),
    }).service.pipelines;
    expect(pipelines.traces.exporters).toEqual(["span_metrics", "forward"]);
    expect(pipelines["traces/sampled"].processors).toEqual(["memory_limiter", "tail_sampling", "batch"]);
    expect(pipelines["traces/sampled"].exporters.length).toBeGreaterThan(1);
  });
});
