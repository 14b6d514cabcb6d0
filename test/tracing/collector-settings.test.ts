import { COLLECTOR_LOG_STREAM, cloudWatchNamespace, logGroupNames, otlpEndpoints } from "../../infra/aws/names";
import { CHARTS } from "../../infra/charts/pins";
import { chartDefaultsDir, coalesceValues, loadChartDefaults } from "../../infra/charts/values-check";
import { mergeValues, repoRoot, staticValues } from "../../infra/charts/values-files";
import { parseStackConfig, type StackConfig } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces, RELEASES } from "../../infra/platform/naming";
import { collectorFindings } from "../../infra/preflight/checks/rendered-config/collector";
import { namespaceResolver, parseConfig } from "../../infra/preflight/checks/rendered-config/workloads";
import { chartSourcesDir, renderChart } from "../../infra/render/render";
import { slowRequestMs } from "../../infra/services/logging-env";
import { collectorAwsExport } from "../../infra/tracing/collector-aws";
import { collectorConfig } from "../../infra/tracing/collector-config";
import { isGoDuration, settingsProblems } from "../../infra/tracing/collector-settings-check";
import { SINGLE_COLLECTOR_VALUES } from "../../infra/tracing/collector-tiers";
import { AWS_ON_WITH_IRSA, awsOnWithIrsa } from "../support/aws";

type Json = Record<string, any>;

// CI sets REQUIRE_CHART_SOURCES=1: without the pinned chart's sources the render tests fail instead of skipping.
const sources = chartSourcesDir(repoRoot());
const withSources = sources || process.env.REQUIRE_CHART_SOURCES === "1" ? test : test.skip;

/** The collector config as infra/tracing/tracing.ts generates it for a stack. */
const generated = (config: StackConfig): Json =>
  collectorConfig({
    namespaces: namespaces(config),
    samplingPercentage: config.traces.samplingPercentage,
    numTraces: config.traces.maxTracesInMemory,
    slowMs: slowRequestMs(config),
    aws: collectorAwsExport(config),
  });

/** The chart's default `config` with ours coalesced over it, as Helm merges values (nulls delete). */
function mergedWithChartDefaults(config: Json): Json {
  const dir = chartDefaultsDir();
  if (!dir) throw new Error("no chart defaults: set CHART_DEFAULTS_DIR");
  const { chart, version } = CHARTS.otelCollector;
  return coalesceValues(loadChartDefaults(dir, chart, version).values.config, config) as Json;
}

/** The chart rendered with the values the program passes; returns its objects and the relay ConfigMap's config. */
async function render(config: StackConfig, edit: (cfg: Json) => void = () => {}) {
  if (!sources) throw new Error("REQUIRE_CHART_SOURCES=1 but no chart sources: set CHART_SOURCES_DIR");
  const cfg = generated(config);
  edit(cfg);
  const values = mergeValues(staticValues("otelCollector"), { ...SINGLE_COLLECTOR_VALUES, config: cfg });
  const { chart, version } = CHARTS.otelCollector;
  const spec = { release: RELEASES.collector, namespace: namespaces(config).platform, chart, version, values };
  const { objects } = await renderChart(spec, sources);
  const relay = objects.find((o) => o.object.kind === "ConfigMap" && (o.object.data as Json | undefined)?.relay);
  if (!relay) throw new Error("the collector chart rendered no ConfigMap with a relay key");
  const parsed = parseConfig((relay.object.data as Json).relay);
  if (typeof parsed === "string") throw new Error(`relay ${parsed}`);
  return { objects, relay: parsed };
}

const REGION = AWS_ON_WITH_IRSA.region;
const QUEUED = {
  sending_queue: { enabled: true, queue_size: 5000 },
  retry_on_failure: { enabled: true, initial_interval: "5s", max_interval: "30s", max_elapsed_time: "300s" },
};

/** The AWS part of the collector config the lead's exporters produce (documentation of its shape). */
const awsShaped = (): Json => ({
  extensions: {
    "sigv4auth/xray": { region: REGION, service: "xray" },
    "sigv4auth/logs": { region: REGION, service: "logs" },
  },
  exporters: {
    "otlp_http/xray": {
      traces_endpoint: otlpEndpoints(REGION).traces,
      compression: "gzip",
      timeout: "10s",
      auth: { authenticator: "sigv4auth/xray" },
      ...structuredClone(QUEUED),
    },
    "otlp_http/cloudwatch_logs": {
      logs_endpoint: otlpEndpoints(REGION).logs,
      headers: {
        "x-aws-log-group": logGroupNames({ environment: "prod" }).logs,
        "x-aws-log-stream": COLLECTOR_LOG_STREAM,
      },
      compression: "gzip",
      auth: { authenticator: "sigv4auth/logs" },
      ...structuredClone(QUEUED),
    },
    awsemf: {
      region: REGION,
      namespace: cloudWatchNamespace({ environment: "prod" }),
      log_group_name: logGroupNames({ environment: "prod" }).metrics,
      log_stream_name: COLLECTOR_LOG_STREAM,
      dimension_rollup_option: "NoDimensionRollup",
      resource_to_telemetry_conversion: { enabled: true },
      metric_declarations: [
        {
          dimensions: [["service.name"], ["service.name", "http.route"]],
          metric_name_selectors: ["^traces\\.span\\.metrics\\.(calls|duration)$"],
          label_matchers: [{ label_names: ["span.kind"], regex: "^SPAN_KIND_SERVER$" }],
        },
      ],
    },
  },
  service: {
    extensions: ["health_check", "sigv4auth/xray", "sigv4auth/logs"],
    pipelines: {
      logs: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ["otlp_http/cloudwatch_logs"] },
      "metrics/cloudwatch": { receivers: ["span_metrics"], processors: ["batch"], exporters: ["awsemf"] },
    },
  },
});

describe.each(["dev", "staging", "prod"])(
  "%s: the generated collector config has only documented settings",
  (stack) => {
    test("merged over the chart's default config, no component has an unknown key or a wrongly typed value", () => {
      expect(settingsProblems(mergedWithChartDefaults(generated(loadStackConfig(stack))))).toEqual([]);
    });

    withSources("the ConfigMap the real chart renders (what the collector reads) has no settings problem", async () => {
      const { relay } = await render(loadStackConfig(stack));
      expect(Object.keys(relay.exporters as Json)).toContain("otlp_grpc/jaeger"); // the rendered config is ours
      expect(settingsProblems(relay)).toEqual([]);
    });
  },
);

describe("AWS exporters", () => {
  test("the AWS-shaped config (X-Ray and CloudWatch Logs over OTLP/HTTP with SigV4, awsemf) has no problem", () => {
    expect(settingsProblems(awsShaped())).toEqual([]);
  });

  test("prod with AWS on (IRSA) generates a config with the AWS exporters and no settings problem", () => {
    const prod = loadStackConfig("prod");
    const config = parseStackConfig({ ...prod, aws: { ...prod.aws, ...awsOnWithIrsa() } });
    const cfg = mergedWithChartDefaults(generated(config));
    expect(Object.keys(cfg.exporters)).toEqual(expect.arrayContaining(["otlp_http/xray", "awsemf"]));
    expect(settingsProblems(cfg)).toEqual([]);
  });
});

describe("a mistake in a setting is reported with its full path", () => {
  const mutated = (edit: (cfg: Json) => void) => {
    const cfg = awsShaped();
    edit(cfg);
    return settingsProblems(cfg);
  };

  test("a misspelt awsemf key (metric_declaration) is unknown; the message lists the documented keys", () => {
    const problems = mutated((cfg) => {
      cfg.exporters.awsemf.metric_declaration = cfg.exporters.awsemf.metric_declarations;
      delete cfg.exporters.awsemf.metric_declarations;
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^exporters\.awsemf\.metric_declaration: unknown key; documented keys: .*\bdimension_rollup_option, .*\bmetric_declarations, /,
      ),
    ]);
  });

  test("a number where awsemf wants a string (dimension_rollup_option: 1)", () => {
    expect(mutated((cfg) => (cfg.exporters.awsemf.dimension_rollup_option = 1))).toEqual([
      "exporters.awsemf.dimension_rollup_option: expected string, got int 1",
    ]);
  });

  test('a string where the queue wants an int (sending_queue.queue_size: "big")', () => {
    expect(mutated((cfg) => (cfg.exporters["otlp_http/xray"].sending_queue.queue_size = "big"))).toEqual([
      'exporters.otlp_http/xray.sending_queue.queue_size: expected int, got string "big"',
    ]);
  });

  test('a duration Go cannot parse (timeout: "10 seconds")', () => {
    expect(mutated((cfg) => (cfg.exporters["otlp_http/xray"].timeout = "10 seconds"))).toEqual([
      'exporters.otlp_http/xray.timeout: expected duration (a Go duration like "5s", "1m30s", "300ms"), got string "10 seconds"',
    ]);
  });

  test("an unknown key inside a label matcher, named by its list positions", () => {
    expect(mutated((cfg) => (cfg.exporters.awsemf.metric_declarations[0].label_matchers[0].label_name = "x"))).toEqual([
      "exporters.awsemf.metric_declarations[0].label_matchers[0].label_name: unknown key; documented keys: label_names, regex, separator",
    ]);
  });

  test("an unknown component type (awsxrayy)", () => {
    expect(mutated((cfg) => (cfg.exporters.awsxrayy = { region: REGION }))).toEqual([
      'exporters.awsxrayy: unknown exporter type "awsxrayy"; documented types: debug, otlp_grpc, otlp_http, prometheus, loadbalancing, awsemf (a new type needs its settings in collector-settings.ts)',
    ]);
  });

  test("a misspelt sigv4auth key (regoin)", () => {
    expect(mutated((cfg) => (cfg.extensions["sigv4auth/xray"].regoin = REGION))).toEqual([
      "extensions.sigv4auth/xray.regoin: unknown key; documented keys: assume_role, region, service",
    ]);
  });

  test("an unknown key in a tail_sampling policy (latancy: its block would be ignored)", () => {
    const cfg = generated(loadStackConfig("dev"));
    const slow = cfg.processors.tail_sampling.policies.findIndex((p: Json) => p.type === "latency");
    cfg.processors.tail_sampling.policies[slow].latancy = cfg.processors.tail_sampling.policies[slow].latency;
    delete cfg.processors.tail_sampling.policies[slow].latency;
    expect(settingsProblems(cfg)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^processors\\.tail_sampling\\.policies\\[${slow}\\]\\.latancy: unknown key; documented keys: .*\\blatency, `,
        ),
      ),
    ]);
  });

  withSources("preflight reports a typo in the rendered collector ConfigMap as a finding", async () => {
    const config = loadStackConfig("dev");
    const { objects } = await render(config, (cfg) => (cfg.processors.batch.send_batch_sise = 512));
    const messages = collectorFindings(objects, namespaceResolver(objects), config).map((f) => f.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^processors\.batch\.send_batch_sise: unknown key; .* \(key relay/),
      ]),
    );
  });
});

describe("settingsProblems edges", () => {
  test("null components are accepted, whatever their type: the chart's merge deletes them", () => {
    expect(settingsProblems({ receivers: { jaeger: null, zipkin: null }, exporters: { debug: null } })).toEqual([]);
  });

  test("an env placeholder (env:X in dollar braces) stands for any scalar; it is expanded when the collector loads the config", () => {
    expect(
      settingsProblems({ processors: { batch: { send_batch_size: `\${env:BATCH}`, timeout: `\${env:T}` } } }),
    ).toEqual([]);
  });

  test("deprecated type names are checked as the type they alias", () => {
    expect(settingsProblems({ exporters: { "otlp/jaeger": { endpont: "jaeger:4317" } } })).toEqual([
      expect.stringMatching(/^exporters\.otlp\/jaeger\.endpont: unknown key; documented keys: .*\bendpoint, /),
    ]);
  });

  test("headers take a map or a list of name/value pairs, nothing else; a wrong value is not echoed (may be a secret)", () => {
    const withHeaders = (headers: unknown) => settingsProblems({ exporters: { otlp_http: { headers } } });
    expect(withHeaders({ "x-a": "1" })).toEqual([]);
    expect(withHeaders([{ name: "x-a", value: "1" }])).toEqual([]);
    expect(withHeaders("x-a: 1")).toEqual([
      "exporters.otlp_http.headers: expected map of string to string or list of map, got string (value hidden)",
    ]);
  });

  test("Go durations: number and unit pairs, or 0", () => {
    for (const ok of ["5s", "1m30s", "300ms", "1.5h", "0", "2h45m0.5s", "10us"])
      expect([ok, isGoDuration(ok)]).toEqual([ok, true]);
    for (const bad of ["10 seconds", "5", "s", "1d", "", "5S"]) expect([bad, isGoDuration(bad)]).toEqual([bad, false]);
  });
});
