import { TRACE_SAMPLING_HASH_SALT } from "../../../../contract";
import type { StackConfig } from "../../../config/schema";
import type { RenderedObject } from "../../../render/render";
import { slowRequestMs } from "../../../services/logging-env";
import { settingsProblems } from "../../../tracing/collector-settings-check";
import { type Finding, finding, podTemplates, selectsMap } from "../objects";
import {
  at,
  CHECK,
  containersRunning,
  imageName,
  isRecord,
  type Json,
  keysOf,
  loadConfig,
  records,
  show,
  strings,
} from "./workloads";

// OpenTelemetry Collector configuration (the collector's, and Jaeger v2's which is one too)

export const typeOf = (id: string) => id.split("/")[0] ?? id;
const SIGNALS = new Set(["traces", "metrics", "logs", "profiles"]);

interface Pipeline {
  id: string;
  receivers: string[];
  processors: string[];
  exporters: string[];
}

const pipelinesOf = (cfg: Json): Pipeline[] =>
  Object.entries(isRecord(at(cfg, "service", "pipelines")) ? (at(cfg, "service", "pipelines") as Json) : {}).map(
    ([id, p]) => ({
      id,
      receivers: strings(at(p, "receivers")),
      processors: strings(at(p, "processors")),
      exporters: strings(at(p, "exporters")),
    }),
  );

/** What the collector checks when it builds its pipelines (each is fatal), plus receivers nobody uses. */
export function pipelineProblems(cfg: Json): string[] {
  const out: string[] = [];
  const defined = (section: string) => new Set(keysOf(cfg[section]));
  const [receivers, processors, exporters, connectors, extensions] = [
    "receivers",
    "processors",
    "exporters",
    "connectors",
    "extensions",
  ].map(defined) as [Set<string>, Set<string>, Set<string>, Set<string>, Set<string>];
  const pipelines = pipelinesOf(cfg);
  if (pipelines.length === 0) out.push("service.pipelines is empty: the collector refuses to start");
  for (const p of pipelines) {
    if (!SIGNALS.has(typeOf(p.id))) out.push(`pipeline ${p.id}: unknown signal "${typeOf(p.id)}"`);
    if (p.receivers.length === 0) out.push(`pipeline ${p.id} has no receivers`);
    if (p.exporters.length === 0) out.push(`pipeline ${p.id} has no exporters`);
    for (const r of p.receivers)
      if (!receivers.has(r) && !connectors.has(r)) out.push(`pipeline ${p.id}: receiver "${r}" is not defined`);
    for (const x of p.processors) if (!processors.has(x)) out.push(`pipeline ${p.id}: processor "${x}" is not defined`);
    for (const e of p.exporters)
      if (!exporters.has(e) && !connectors.has(e)) out.push(`pipeline ${p.id}: exporter "${e}" is not defined`);
  }
  for (const e of strings(at(cfg, "service", "extensions")))
    if (!extensions.has(e)) out.push(`service.extensions: extension "${e}" is not defined`);
  const asReceiver = new Set(pipelines.flatMap((p) => p.receivers));
  const asExporter = new Set(pipelines.flatMap((p) => p.exporters));
  for (const c of connectors) {
    // A connector is both ends of a bridge: one side missing makes the collector refuse to start.
    if (asExporter.has(c) && !asReceiver.has(c))
      out.push(`connector "${c}" is exported to but no pipeline receives from it`);
    if (asReceiver.has(c) && !asExporter.has(c))
      out.push(`connector "${c}" is received from but no pipeline exports to it`);
  }
  for (const r of receivers)
    if (!asReceiver.has(r)) out.push(`receiver "${r}" is defined but no pipeline uses it (a port opened for nothing)`);
  return out;
}

const SPAN_METRICS = new Set(["spanmetrics", "span_metrics"]);

/**
 * The intended trace flow: every traces pipeline starts with memory_limiter; the pipeline receiving from
 * outside feeds span_metrics (RED metrics of every span) and a forward connector, unsampled; the pipeline
 * behind forward tail-samples. Sampling first would make the RED metrics count only the kept traces.
 */
export function traceFlowProblems(cfg: Json): string[] {
  const out: string[] = [];
  const connectors = new Set(keysOf(cfg.connectors));
  const traces = pipelinesOf(cfg).filter((p) => typeOf(p.id) === "traces");
  for (const p of traces) {
    if (typeOf(p.processors[0] ?? "") !== "memory_limiter")
      out.push(`pipeline ${p.id}: processors ${show(p.processors)}, expected memory_limiter first`);
  }
  const ingest = traces.filter((p) => p.receivers.some((r) => !connectors.has(r)));
  if (ingest.length === 0) out.push("no traces pipeline receives spans from outside the collector");
  const forwards = new Set<string>();
  for (const p of ingest) {
    const spanMetrics = p.exporters.filter((e) => connectors.has(e) && SPAN_METRICS.has(typeOf(e)));
    const forward = p.exporters.filter((e) => connectors.has(e) && typeOf(e) === "forward");
    for (const f of forward) forwards.add(f);
    if (spanMetrics.length === 0)
      out.push(`pipeline ${p.id}: exporters ${show(p.exporters)}, expected a span_metrics connector`);
    if (forward.length === 0)
      out.push(`pipeline ${p.id}: exporters ${show(p.exporters)}, expected a forward connector`);
    const sampling = p.processors.filter((x) => typeOf(x) === "tail_sampling");
    if (sampling.length > 0)
      out.push(
        `pipeline ${p.id} runs ${sampling.join(", ")} before span_metrics: RED metrics would see only sampled traces`,
      );
    const direct = p.exporters.filter((e) => !connectors.has(e));
    if (direct.length > 0) out.push(`pipeline ${p.id} exports ${show(direct)} directly, bypassing tail sampling`);
  }
  const sampled = traces.filter((p) => p.receivers.some((r) => forwards.has(r)));
  if (ingest.length > 0 && sampled.length === 0)
    out.push(`no traces pipeline receives from ${show([...forwards])}: sampled traces go nowhere`);
  for (const p of sampled) {
    if (!p.processors.some((x) => typeOf(x) === "tail_sampling"))
      out.push(`pipeline ${p.id}: processors ${show(p.processors)}, expected tail_sampling`);
  }
  return out;
}

/** The salt the collector hashes with when a probabilistic policy sets none (tailsamplingprocessor). */
export const COLLECTOR_DEFAULT_HASH_SALT = "default-hash-seed";

/**
 * Every tail_sampling processor in use keeps the configured share of non-error traces, hashing trace ids
 * with the contract's salt: the services decide which access lines to write with the same hash, so
 * another salt would make them keep the logs of other traces than the collector keeps.
 */
export function samplingProblems(cfg: Json, config: StackConfig): string[] {
  const expected = config.traces.samplingPercentage;
  const used = new Set(pipelinesOf(cfg).flatMap((p) => p.processors.filter((x) => typeOf(x) === "tail_sampling")));
  const out: string[] = [];
  for (const id of used) {
    const probabilistic = records(at(cfg, "processors", id, "policies")).filter((p) => p.type === "probabilistic");
    if (probabilistic.length === 0)
      out.push(
        `processor ${id} has no probabilistic policy, expected sampling_percentage ${expected} (traces.samplingPercentage)`,
      );
    for (const p of probabilistic) {
      const got = at(p, "probabilistic", "sampling_percentage");
      if (got !== expected)
        out.push(
          `processor ${id} policy ${show(p.name)}: sampling_percentage ${show(got)}, expected ${expected} (traces.samplingPercentage)`,
        );
      const salt = at(p, "probabilistic", "hash_salt");
      const effective = salt === undefined || salt === "" ? COLLECTOR_DEFAULT_HASH_SALT : salt;
      if (effective !== TRACE_SAMPLING_HASH_SALT)
        out.push(
          `processor ${id} policy ${show(p.name)}: hash_salt ${show(salt)}, expected "${TRACE_SAMPLING_HASH_SALT}" (TRACE_SAMPLING_HASH_SALT): the services would keep the access logs of other traces than the collector keeps`,
        );
    }
    const slowMs = slowRequestMs(config);
    const latency = records(at(cfg, "processors", id, "policies")).filter((p) => p.type === "latency");
    if (!latency.some((p) => at(p, "latency", "threshold_ms") === slowMs))
      out.push(
        `processor ${id} has no latency policy with threshold_ms ${slowMs} (slo.latencyThresholdSeconds): the services always log slow requests, and their traces would be dropped`,
      );
  }
  return out;
}

const OTLP_EXPORTERS = new Set(["otlp", "otlp_grpc", "otlphttp", "otlp_http"]);

interface Target {
  name: string;
  namespace: string;
  port: number;
}

/** The in-cluster Service an endpoint names (`svc`, `svc.ns`, `svc.ns.svc[.cluster.local]`), if it names one. */
export function serviceTarget(endpoint: string, defaultNamespace: string): Target | undefined {
  const m = /^(?:([a-z]+):\/\/\/?)?([^/:]+)(?::(\d+))?/.exec(endpoint);
  if (!m || endpoint.includes("${")) return undefined;
  const [, scheme, host = "", port] = m;
  const parts = host.split(".");
  const inCluster = parts.length <= 2 || parts[2] === "svc";
  if (!inCluster || (parts.length > 3 && parts.slice(3).join(".") !== "cluster.local")) return undefined;
  const defaultPort = scheme === "http" ? 80 : 443;
  return { name: parts[0] ?? "", namespace: parts[1] ?? defaultNamespace, port: port ? Number(port) : defaultPort };
}

/** Each OTLP exporter of a traces pipeline reaches a Service in the set; one of them is Jaeger's. */
export function exporterTargetProblems(
  cfg: Json,
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
  namespace: string,
): string[] {
  const out: string[] = [];
  const pods = podTemplates(objects);
  const exporters = new Set(
    pipelinesOf(cfg)
      .filter((p) => typeOf(p.id) === "traces")
      .flatMap((p) => p.exporters)
      .filter((e) => OTLP_EXPORTERS.has(typeOf(e)) && keysOf(cfg.exporters).includes(e)),
  );
  let reachesJaeger = false;
  for (const id of exporters) {
    const endpoint = String(at(cfg, "exporters", id, "endpoint") ?? "");
    const target = serviceTarget(endpoint, namespace);
    if (!target) continue; // outside the cluster, or only known at run time
    const svc = objects.find(
      (r) => r.object.kind === "Service" && r.object.metadata.name === target.name && nsOf(r) === target.namespace,
    );
    if (!svc) {
      out.push(`exporter ${id} endpoint "${endpoint}": no Service ${target.namespace}/${target.name} in the set`);
      continue;
    }
    const ports = records(at(svc.object, "spec", "ports")).map((p) => p.port);
    if (!ports.includes(target.port))
      out.push(
        `exporter ${id} endpoint "${endpoint}": Service ${target.namespace}/${target.name} has ports ${show(ports)}, not ${target.port}`,
      );
    const selector = at(svc.object, "spec", "selector") as Record<string, string> | undefined;
    reachesJaeger ||= pods.some(
      (p) =>
        nsOf(p.owner) === target.namespace &&
        selectsMap(selector, p.labels) &&
        records(p.spec.containers).some((c) => imageName(c.image) === "jaeger"),
    );
  }
  if (!reachesJaeger)
    out.push(`no traces exporter (${show([...exporters])}) points at a Service selecting the Jaeger pods`);
  return out;
}

export function collectorFindings(
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
  config: StackConfig,
): Finding[] {
  const out: Finding[] = [];
  const isCollector = (n: string) => n.startsWith("opentelemetry-collector") || n.startsWith("otelcol");
  for (const w of containersRunning(objects, nsOf, isCollector)) {
    const loaded = loadConfig(objects, nsOf, w, "config");
    if (typeof loaded === "string") {
      out.push(finding(CHECK, w.r, `collector config: ${loaded}`));
      continue;
    }
    const problems = [
      ...pipelineProblems(loaded.config),
      ...settingsProblems(loaded.config),
      ...traceFlowProblems(loaded.config),
      ...samplingProblems(loaded.config, config),
      ...exporterTargetProblems(loaded.config, objects, nsOf, w.namespace),
    ];
    for (const p of problems) out.push(finding(CHECK, loaded.source, `${p} (${loaded.where})`));
  }
  return out;
}
