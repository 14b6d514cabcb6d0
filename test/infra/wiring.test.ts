import { createLogger } from "../../apps/lib/logger";
import { CONTAINER_PORT, dependencyUrlEnv, HTTP_PORT_NAME, LOG_FIELDS, OTLP_HTTP_PORT } from "../../contract";
import { TRACE_ID_IN_LOG_LINE } from "../../infra/monitoring/datasources";
import { DATASOURCE_UIDS, PLATFORM_SERVICES, RELEASES } from "../../infra/platform/naming";
import { SERVICE_PORT } from "../../infra/services/microservice";
import { chart, ofType, runStack } from "./support";

type Env = { name: string; value?: string };

describe("wiring between components (dev stack)", () => {
  let result: Awaited<ReturnType<typeof runStack>>;
  beforeAll(async () => {
    result = await runStack("dev");
  });
  const deployments = () => ofType(result.resources, "kubernetes:apps/v1:Deployment");
  const envOf = (d: { inputs: Record<string, any> }) =>
    Object.fromEntries((d.inputs.spec.template.spec.containers[0].env as Env[]).map((e) => [e.name, e.value]));

  test("the services' OTLP endpoint is the collector Service and port the collector chart creates", () => {
    const collector = chart(result.resources, RELEASES.collector).inputs;
    expect(collector.values.fullnameOverride).toBe(PLATFORM_SERVICES.collector.name);
    expect(collector.values.ports["otlp-http"]).toBeUndefined(); // the chart's default otlp-http port stays on
    const httpReceiver = collector.values.config.receivers.otlp.protocols.http.endpoint as string;
    expect(httpReceiver.endsWith(`:${OTLP_HTTP_PORT}`)).toBe(true);
    for (const d of deployments()) {
      expect(envOf(d).OTEL_EXPORTER_OTLP_ENDPOINT).toBe(
        `http://${PLATFORM_SERVICES.collector.name}.${collector.namespace}.svc.cluster.local:${OTLP_HTTP_PORT}`,
      );
    }
  });

  test("order reaches user and product through their Services", () => {
    const order = deployments().find((d) => d.inputs.metadata.name === "order");
    const services = ofType(result.resources, "kubernetes:core/v1:Service");
    for (const dep of ["user", "product"] as const) {
      const url = new URL(envOf(order as never)[dependencyUrlEnv(dep)] as string);
      const svc = services.find((s) => s.inputs.metadata.name === dep);
      expect(url.hostname).toBe(`${dep}.${svc?.inputs.metadata.namespace}.svc.cluster.local`);
      expect(Number(url.port || 80)).toBe(svc?.inputs.spec.ports[0].port); // WHATWG URL drops the default port
    }
  });

  test("each ServiceMonitor selects its Service's labels and port name, in its namespace", () => {
    const services = ofType(result.resources, "kubernetes:core/v1:Service");
    // The demo services' and the responder's monitors; Jaeger's (selecting a chart-made Service) is checked on the render.
    const monitors = ofType(result.resources, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor").filter((m) =>
      services.some((s) => s.inputs.metadata.name === m.inputs.metadata.name),
    );
    expect(monitors.map((m) => m.inputs.metadata.name).sort()).toEqual(["order", "product", "responder", "user"]);
    for (const m of monitors) {
      const svc = services.find((s) => s.inputs.metadata.name === m.inputs.metadata.name);
      const labels = svc?.inputs.metadata.labels as Record<string, string>;
      for (const [k, v] of Object.entries(m.inputs.spec.selector.matchLabels as Record<string, string>))
        expect(labels[k]).toBe(v);
      expect(m.inputs.spec.namespaceSelector.matchNames).toEqual([svc?.inputs.metadata.namespace]);
      const portNames = ((svc?.inputs.spec.ports ?? []) as { name: string }[]).map((p) => p.name);
      expect(portNames).toContain(m.inputs.spec.endpoints[0].port);
      expect(m.inputs.spec.endpoints[0].path).toBe("/metrics");
    }
  });

  test("the Service targets the container port the app listens on, and the pods match its selector", () => {
    for (const d of deployments()) {
      const container = d.inputs.spec.template.spec.containers[0];
      expect(container.ports).toEqual([{ name: HTTP_PORT_NAME, containerPort: CONTAINER_PORT, protocol: "TCP" }]);
      expect(envOf(d).PORT).toBe(String(CONTAINER_PORT));
      const svc = ofType(result.resources, "kubernetes:core/v1:Service").find(
        (s) => s.inputs.metadata.name === d.inputs.metadata.name,
      );
      expect(svc?.inputs.spec.ports[0]).toMatchObject({ port: SERVICE_PORT, targetPort: HTTP_PORT_NAME });
      for (const [k, v] of Object.entries(svc?.inputs.spec.selector as Record<string, string>)) {
        expect(d.inputs.spec.template.metadata.labels[k]).toBe(v);
      }
    }
  });

  test("Prometheus selects monitors and rules with any labels (no release-label trap), from the namespaces labelled with its environment", () => {
    const spec = chart(result.resources, RELEASES.monitoring).inputs.values.prometheus.prometheusSpec;
    const namespaceLabels = ofType(result.resources, "kubernetes:core/v1:Namespace").map(
      (n) => n.inputs.metadata.labels as Record<string, string>,
    );
    expect(namespaceLabels).toHaveLength(2);
    for (const key of ["serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"]) {
      expect([key, spec[`${key}SelectorNilUsesHelmValues`]]).toEqual([key, false]);
      const own = spec[`${key}NamespaceSelector`].matchLabels as Record<string, string>;
      expect([key, own.environment]).toEqual([key, "dev"]);
      for (const labels of namespaceLabels) expect(labels).toMatchObject(own);
    }
    expect(spec.enableFeatures).toContain("exemplar-storage");
  });

  test("the Loki derived field extracts the trace id from a line the services' own logger writes", async () => {
    const lines: string[] = [];
    const { logger } = createLogger({ service: "order", level: "info", sink: { write: (l: string) => lines.push(l) } });
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    logger.info("request completed", { [LOG_FIELDS.traceId]: traceId, [LOG_FIELDS.spanId]: "00f067aa0ba902b7" });
    await new Promise((r) => setImmediate(r));
    const kps = chart(result.resources, RELEASES.monitoring).inputs.values;
    const loki = kps.grafana.additionalDataSources.find((d: { uid: string }) => d.uid === DATASOURCE_UIDS.loki);
    const field = loki.jsonData.derivedFields[0];
    expect(field.matcherRegex).toBe(TRACE_ID_IN_LOG_LINE);
    expect(new RegExp(field.matcherRegex).exec(lines[0] as string)?.[1]).toBe(traceId);
    expect(field.datasourceUid).toBe(DATASOURCE_UIDS.jaeger);
  });

  test("every datasource uid a correlation refers to exists (Prometheus being the chart's own)", () => {
    const grafana = chart(result.resources, RELEASES.monitoring).inputs.values.grafana;
    const defined = new Set<string>([
      DATASOURCE_UIDS.prometheus,
      ...grafana.additionalDataSources.map((d: { uid: string }) => d.uid),
    ]);
    const referenced: string[] = [grafana.sidecar.datasources.exemplarTraceIdDestinations.datasourceUid];
    JSON.stringify(grafana.additionalDataSources, (key, value) => {
      if (key === "datasourceUid") referenced.push(value);
      return value;
    });
    expect(referenced.length).toBeGreaterThanOrEqual(4);
    for (const uid of referenced) expect(defined.has(uid)).toBe(true);
    const jaeger = grafana.additionalDataSources.find((d: { uid: string }) => d.uid === DATASOURCE_UIDS.jaeger);
    expect(jaeger.jsonData.nodeGraph.enabled).toBe(true);
    expect(jaeger.url).toBe(
      `http://${PLATFORM_SERVICES.jaeger.name}.obs-dev-platform.svc.cluster.local:${PLATFORM_SERVICES.jaeger.queryPort}`,
    );
  });

  test("collector: memory_limiter first, span metrics before tail sampling, sampled traces to Jaeger's OTLP port", () => {
    const config = chart(result.resources, RELEASES.collector).inputs.values.config;
    const { traces, "traces/sampled": sampled } = config.service.pipelines;
    expect(traces.receivers).toEqual(["otlp"]);
    expect(traces.processors[0]).toBe("memory_limiter");
    expect(traces.processors).not.toContain("tail_sampling");
    expect(traces.exporters).toEqual(expect.arrayContaining(["span_metrics", "forward"]));
    expect(sampled.receivers).toEqual(["forward"]);
    expect(sampled.processors[0]).toBe("memory_limiter");
    expect(sampled.processors).toContain("tail_sampling");
    const exporter = config.exporters[sampled.exporters[0]];
    expect(exporter.endpoint).toBe(
      `${PLATFORM_SERVICES.jaeger.name}.obs-dev-platform.svc.cluster.local:${PLATFORM_SERVICES.jaeger.otlpGrpcPort}`,
    );
    const jaeger = chart(result.resources, RELEASES.jaeger).inputs.values;
    expect(jaeger.fullnameOverride).toBe(PLATFORM_SERVICES.jaeger.name);
    expect(jaeger.userconfig.receivers.otlp.protocols.grpc.endpoint).toBe(
      `0.0.0.0:${PLATFORM_SERVICES.jaeger.otlpGrpcPort}`,
    );
    // the chart's default pipelines are removed, so nothing else receives or drops spans
    expect(config.service.pipelines.logs).toBeNull();
    expect(config.receivers.jaeger).toBeNull();
  });

  test("Alloy pushes to the Loki Service and parses the services' log fields", () => {
    const content = chart(result.resources, RELEASES.alloy).inputs.values.alloy.configMap.content as string;
    expect(content).toContain(
      `url = "http://${PLATFORM_SERVICES.loki.name}.obs-dev-platform.svc.cluster.local:${PLATFORM_SERVICES.loki.port}/loki/api/v1/push"`,
    );
    expect(content).toMatch(new RegExp(`${LOG_FIELDS.service}\\s*=\\s*"${LOG_FIELDS.service}"`));
    expect(content).toMatch(new RegExp(`${LOG_FIELDS.traceId}\\s*=\\s*"${LOG_FIELDS.traceId}"`));
    expect(content).toContain("stage.structured_metadata");
    expect(content).toContain('names = ["obs-dev-apps", "obs-dev-platform"]');
    const loki = chart(result.resources, RELEASES.loki).inputs.values;
    expect(loki.fullnameOverride).toBe(PLATFORM_SERVICES.loki.name);
    expect(loki.gateway.enabled).toBe(false);
  });

  test("Alertmanager: every route (Watchdog included) names a receiver that exists", () => {
    const config = chart(result.resources, RELEASES.monitoring).inputs.values.alertmanager.config;
    const receivers = new Set((config.receivers as { name: string }[]).map((r) => r.name));
    const routes: { receiver?: string; routes?: unknown[]; matchers?: string[] }[] = [config.route];
    let watchdog = false;
    while (routes.length) {
      const route = routes.pop() as { receiver?: string; routes?: never[]; matchers?: string[] };
      if (route.receiver) expect(receivers.has(route.receiver)).toBe(true);
      if (route.matchers?.some((m) => m.includes("Watchdog"))) watchdog = true;
      routes.push(...(route.routes ?? []));
    }
    expect(watchdog).toBe(true);
  });

  test("NetworkPolicies: product and user only accept order and Prometheus; all reach the collector and DNS", () => {
    const policies = ofType(result.resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    const product = policies.find((p) => p.inputs.metadata.name === "product")?.inputs.spec;
    expect(product.ingress[0].from).toEqual([
      { podSelector: { matchLabels: expect.objectContaining({ "app.kubernetes.io/name": "order" }) } },
    ]);
    expect(product.ingress[1].from[0].podSelector.matchLabels).toEqual({ "app.kubernetes.io/name": "prometheus" });
    for (const p of policies) {
      const ports = (p.inputs.spec.egress as { ports: { port: number }[] }[]).flatMap((e) =>
        e.ports.map((x) => x.port),
      );
      expect(ports).toEqual(expect.arrayContaining([OTLP_HTTP_PORT, 53]));
    }
    const order = policies.find((p) => p.inputs.metadata.name === "order")?.inputs.spec;
    expect(
      order.egress
        .slice(0, 2)
        .map(
          (e: { to: { podSelector: { matchLabels: Record<string, string> } }[] }) =>
            e.to[0]?.podSelector.matchLabels["app.kubernetes.io/name"],
        ),
    ).toEqual(["user", "product"]);
  });
});
