import { TRACE_SAMPLING_HASH_SALT } from "../../../../contract";
import type { StackConfig } from "../../../config/schema";
import type { RenderedObject } from "../../../render/render";
import { slowRequestMs } from "../../../services/logging-env";
import { settingsProblems } from "../../../tracing/collector-settings-check";
import { type Finding, finding, podTemplates, selects, selectsMap } from "../objects";
import {
  at,
  CHECK,
  containersRunning,
  imageName,
  isRecord,
  type Json,
  keysOf,
  loadConfig,
  type Running,
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

const LOAD_BALANCING = "loadbalancing";
/** The loadbalancing exporter's default backend port and routing key (its README). */
export const LOAD_BALANCING_DEFAULT_PORT = 4317;

const loadBalancers = (cfg: Json): string[] => [
  ...new Set(
    pipelinesOf(cfg)
      .filter((p) => typeOf(p.id) === "traces")
      .flatMap((p) => p.exporters.filter((e) => typeOf(e) === LOAD_BALANCING)),
  ),
];
/** A gateway routes spans on to other collectors; a sampler tail-samples them. */
export const isGateway = (cfg: Json) => loadBalancers(cfg).length > 0;
const isSampler = (cfg: Json) =>
  pipelinesOf(cfg).some((p) => typeOf(p.id) === "traces" && p.processors.some((x) => typeOf(x) === "tail_sampling"));

/**
 * A gateway's traces pipelines start with memory_limiter and only load-balance: sampling or span metrics here
 * would each see the share of a trace one gateway replica received.
 */
export function gatewayFlowProblems(cfg: Json): string[] {
  const out: string[] = [];
  for (const p of pipelinesOf(cfg).filter((x) => typeOf(x.id) === "traces")) {
    if (typeOf(p.processors[0] ?? "") !== "memory_limiter")
      out.push(`pipeline ${p.id}: processors ${show(p.processors)}, expected memory_limiter first`);
    const partial = p.processors.filter((x) => typeOf(x) === "tail_sampling");
    const other = p.exporters.filter((e) => typeOf(e) !== LOAD_BALANCING);
    if (partial.length > 0 || other.length > 0)
      out.push(
        `pipeline ${p.id}: ${show([...partial, ...other])} on the gateway would see only the spans this replica received, expected exporters ["${LOAD_BALANCING}"] only`,
      );
  }
  return out;
}

interface Backends {
  service: Target;
  /** How the exporter named them, for messages. */
  named: string;
}

/** The Service a loadbalancing exporter resolves its backends from, or why it has none. */
function backendsOf(id: string, lb: unknown, namespace: string): Backends | string {
  const dns = at(lb, "resolver", "dns");
  const k8s = at(lb, "resolver", "k8s");
  if (isRecord(k8s)) {
    const service = String(k8s.service ?? "");
    const [port = LOAD_BALANCING_DEFAULT_PORT] = Array.isArray(k8s.ports) ? k8s.ports.map(Number) : [];
    const target = serviceTarget(`${service}:${port}`, namespace);
    return target
      ? { service: target, named: `resolver.k8s.service ${show(service)}` }
      : `exporter ${id}: resolver.k8s.service ${show(service)} names no in-cluster Service`;
  }
  if (isRecord(dns)) {
    const hostname = String(dns.hostname ?? "");
    const port = dns.port === undefined ? LOAD_BALANCING_DEFAULT_PORT : Number(dns.port);
    const target = serviceTarget(`${hostname}:${port}`, namespace);
    return target
      ? { service: target, named: `resolver.dns.hostname ${show(hostname)} port ${port}` }
      : `exporter ${id}: resolver.dns.hostname ${show(hostname)} names no in-cluster Service`;
  }
  if (isRecord(at(lb, "resolver", "static")))
    return `exporter ${id}: resolver.static: a fixed list does not follow the samplers when they scale, expected the dns or k8s resolver`;
  return `exporter ${id}: no resolver, expected resolver.dns or resolver.k8s naming the samplers' headless Service`;
}

/**
 * Each loadbalancing exporter routes by trace id to a headless Service (one DNS address per pod: a virtual IP
 * would let kube-proxy split a trace across samplers) whose port is open on its pods, and whose pods are
 * collectors that tail-sample and receive OTLP/gRPC on that port.
 */
export function loadBalancingProblems(
  cfg: Json,
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
  collectors: { w: Running; config: Json }[],
  namespace: string,
): string[] {
  const out: string[] = [];
  for (const id of loadBalancers(cfg)) {
    const lb = at(cfg, "exporters", id);
    const key = at(lb, "routing_key");
    if (key !== undefined && key !== "traceID")
      out.push(
        `exporter ${id}: routing_key ${show(key)}, expected "traceID": tail sampling needs every span of a trace`,
      );
    const backends = backendsOf(id, lb, namespace);
    if (typeof backends === "string") {
      out.push(backends);
      continue;
    }
    const { service: t, named } = backends;
    const svc = objects.find(
      (r) => r.object.kind === "Service" && r.object.metadata.name === t.name && nsOf(r) === t.namespace,
    );
    if (!svc) {
      out.push(`exporter ${id} ${named}: no Service ${t.namespace}/${t.name} in the set`);
      continue;
    }
    const where = `exporter ${id} ${named}: Service ${t.namespace}/${t.name}`;
    const clusterIP = at(svc.object, "spec", "clusterIP");
    if (clusterIP !== "None" && !isRecord(at(lb, "resolver", "k8s")))
      out.push(`${where} has clusterIP ${show(clusterIP)}, expected "None" (headless: one address per sampler)`);
    const ports = records(at(svc.object, "spec", "ports"));
    const port = ports.find((p) => p.port === t.port);
    if (!port) out.push(`${where} has ports ${show(ports.map((p) => p.port))}, not ${t.port}`);
    const selector = at(svc.object, "spec", "selector") as Record<string, string> | undefined;
    const behind = collectors.filter((c) => c.w.namespace === t.namespace && selectsMap(selector, podLabels(c.w)));
    if (behind.length === 0) out.push(`${where} selects no collector pods`);
    for (const c of behind) {
      const what = `${where} selects ${c.w.r.object.kind} ${c.w.r.object.metadata.name}`;
      if (!isSampler(c.config)) out.push(`${what}, which runs no tail_sampling`);
      // a headless Service's DNS gives pod addresses: the pods themselves must listen on the port
      const grpc = String(at(c.config, "receivers", "otlp", "protocols", "grpc", "endpoint") ?? "");
      if (!grpc.endsWith(`:${t.port}`))
        out.push(`${what}, whose OTLP/gRPC receiver listens on ${show(grpc || undefined)}, not port ${t.port}`);
      const containerPorts = records(c.w.container.ports).map((p) => p.containerPort);
      if (!containerPorts.includes(t.port))
        out.push(`${what}, whose container ports ${show(containerPorts)} lack ${t.port}`);
    }
  }
  return out;
}

const podLabels = (w: Running) => (at(w.spec, "template", "metadata", "labels") ?? {}) as Record<string, string>;

/** The HPAs and PDBs aimed at a workload. */
function guards(objects: RenderedObject[], nsOf: (r: RenderedObject) => string, w: Running) {
  const inNs = objects.filter((r) => nsOf(r) === w.namespace);
  const hpas = inNs.filter(
    (r) =>
      r.object.kind === "HorizontalPodAutoscaler" &&
      at(r.object, "spec", "scaleTargetRef", "kind") === w.r.object.kind &&
      at(r.object, "spec", "scaleTargetRef", "name") === w.r.object.metadata.name,
  );
  const pdbs = inNs.filter(
    (r) =>
      r.object.kind === "PodDisruptionBudget" &&
      selects(at(r.object, "spec", "selector") as Parameters<typeof selects>[0], podLabels(w)),
  );
  return { hpas, pdbs };
}

const cpuTarget = (hpa: RenderedObject) =>
  records(at(hpa.object, "spec", "metrics"))
    .filter((m) => at(m, "resource", "name") === "cpu")
    .map((m) => at(m, "resource", "target", "averageUtilization"))[0];

/**
 * The tiers against `scale`: distributed runs gateway Deployments under an HPA with the configured bounds and
 * sampler StatefulSets of `sampler.replicas` behind a headless serviceName, each tier with a PDB; single runs
 * no gateway and one sampler replica (more would split traces).
 */
export function tierProblems(
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
  collectors: { w: Running; config: Json }[],
  config: StackConfig,
): { w: Running; problem: string }[] {
  const out: { w: Running; problem: string }[] = [];
  const add = (w: Running, problem: string) => out.push({ w, problem });
  const gateways = collectors.filter((c) => isGateway(c.config));
  const samplers = collectors.filter((c) => !isGateway(c.config) && isSampler(c.config));
  if (config.scale !== "distributed") {
    for (const c of gateways) add(c.w, "a load-balancing gateway runs, expected none: scale is single");
    for (const c of samplers) {
      const replicas = at(c.w.spec, "replicas") ?? 1; // Kubernetes' default
      if (replicas !== 1 || guards(objects, nsOf, c.w).hpas.length > 0)
        add(
          c.w,
          `replicas ${show(replicas)}, expected 1 without an HPA: scale is single, more replicas would split traces`,
        );
    }
    return out;
  }
  const { gateway: g, sampler: s } = config.distributed.collector;
  if (gateways.length === 0 && samplers.length > 0)
    for (const c of samplers) add(c.w, "no load-balancing gateway in front of this sampler: scale is distributed");
  for (const c of gateways) {
    const { hpas, pdbs } = guards(objects, nsOf, c.w);
    if (c.w.r.object.kind !== "Deployment") add(c.w, `the gateway is a ${c.w.r.object.kind}, expected a Deployment`);
    if (hpas.length !== 1) add(c.w, `${hpas.length} HorizontalPodAutoscaler(s) target the gateway, expected 1`);
    for (const h of hpas) {
      const [min, max, cpu] = [at(h.object, "spec", "minReplicas"), at(h.object, "spec", "maxReplicas"), cpuTarget(h)];
      if (min !== g.replicas)
        add(c.w, `HPA minReplicas ${show(min)}, expected ${g.replicas} (distributed.collector.gateway.replicas)`);
      if (max !== g.maxReplicas)
        add(c.w, `HPA maxReplicas ${show(max)}, expected ${g.maxReplicas} (distributed.collector.gateway.maxReplicas)`);
      if (cpu !== g.cpuTargetPercent)
        add(
          c.w,
          `HPA CPU target ${show(cpu)}, expected ${g.cpuTargetPercent} (distributed.collector.gateway.cpuTargetPercent)`,
        );
    }
    if (pdbs.length === 0) add(c.w, "no PodDisruptionBudget selects the gateway pods");
  }
  for (const c of samplers) {
    const { hpas, pdbs } = guards(objects, nsOf, c.w);
    if (c.w.r.object.kind !== "StatefulSet") add(c.w, `the sampler is a ${c.w.r.object.kind}, expected a StatefulSet`);
    const replicas = at(c.w.spec, "replicas");
    if (replicas !== s.replicas)
      add(c.w, `replicas ${show(replicas)}, expected ${s.replicas} (distributed.collector.sampler.replicas)`);
    if (hpas.length > 0)
      add(c.w, "an HPA scales the samplers: each resize re-hashes the ring and splits traces in flight");
    const serviceName = at(c.w.spec, "serviceName");
    const governing = objects.find(
      (r) => r.object.kind === "Service" && r.object.metadata.name === serviceName && nsOf(r) === c.w.namespace,
    );
    if (at(governing?.object, "spec", "clusterIP") !== "None")
      add(c.w, `serviceName ${show(serviceName)} is not a headless Service in the set`);
    if (pdbs.length === 0) add(c.w, "no PodDisruptionBudget selects the sampler pods");
  }
  return out;
}

export function collectorFindings(
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
  config: StackConfig,
): Finding[] {
  const out: Finding[] = [];
  const isCollector = (n: string) => n.startsWith("opentelemetry-collector") || n.startsWith("otelcol");
  const loadedAll = containersRunning(objects, nsOf, isCollector).map((w) => ({
    w,
    loaded: loadConfig(objects, nsOf, w, "config"),
  }));
  const collectors = loadedAll.flatMap(({ w, loaded }) =>
    typeof loaded === "string" ? [] : [{ w, config: loaded.config }],
  );
  for (const { w, loaded } of loadedAll) {
    if (typeof loaded === "string") {
      out.push(finding(CHECK, w.r, `collector config: ${loaded}`));
      continue;
    }
    const cfg = loaded.config;
    const problems = [
      ...pipelineProblems(cfg),
      ...settingsProblems(cfg),
      ...(isGateway(cfg)
        ? [...gatewayFlowProblems(cfg), ...loadBalancingProblems(cfg, objects, nsOf, collectors, w.namespace)]
        : [
            ...traceFlowProblems(cfg),
            ...samplingProblems(cfg, config),
            ...exporterTargetProblems(cfg, objects, nsOf, w.namespace),
          ]),
    ];
    for (const p of problems) out.push(finding(CHECK, loaded.source, `${p} (${loaded.where})`));
  }
  for (const { w, problem } of tierProblems(objects, nsOf, collectors, config)) out.push(finding(CHECK, w.r, problem));
  return out;
}
