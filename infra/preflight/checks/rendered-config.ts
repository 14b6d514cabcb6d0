import { parse } from "yaml";
import type { StackConfig } from "../../config/schema";
import type { RenderedObject } from "../../render/render";
import { type Finding, finding, podTemplates, selectsMap } from "./objects";

/**
 * The rendered configuration says what the stack config says: the files the Loki, Jaeger and collector
 * workloads really start with (found through their args and volume mounts, as the kubelet would) and the
 * Prometheus resource the operator reconciles, compared with `platform` of the stack file.
 *
 * A component absent from the set is not a finding here (charts may not have been rendered); once its
 * workload is present, its config must be found, parse, and match.
 */

const CHECK = "rendered-config";

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const at = (v: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((x, k) => (isRecord(x) ? x[k] : undefined), v);
const records = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isRecord) : []);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);
const keysOf = (v: unknown): string[] => (isRecord(v) ? Object.keys(v) : []);
const show = (v: unknown): string => (v === undefined ? "absent" : JSON.stringify(v));

// ---------------------------------------------------------------------------------------------------------
// Units

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

/**
 * Seconds of a duration such as `72h` or `1d12h`. Go's time.ParseDuration (Jaeger, the collector) has no
 * d/w/y and allows fractions; Prometheus' model.Duration (Prometheus, Loki) has both d/w/y and no fractions.
 */
export function durationSeconds(text: unknown, flavour: "go" | "prometheus"): number | undefined {
  if (typeof text !== "string" || text === "") return undefined;
  const part = flavour === "go" ? /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y : /(\d+)(ms|s|m|h|d|w|y)/y;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    part.lastIndex = pos;
    const m = part.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    pos = part.lastIndex;
  }
  return total;
}

const QUANTITY_UNITS: Record<string, number> = {
  "": 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** Bytes of a Kubernetes quantity (`5Gi`, `5368709120`, `5G`). */
export function quantityBytes(text: unknown): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(String(text ?? ""));
  return m ? Number(m[1]) * (QUANTITY_UNITS[m[2] ?? ""] as number) : undefined;
}

/** Bytes of a Prometheus size (`40GB`): its units are powers of 1024, KB and KiB alike. */
export function prometheusBytes(text: unknown): number | undefined {
  const m = /^(\d+)(B|KB|MB|GB|TB|PB|EB|KiB|MiB|GiB|TiB|PiB|EiB)$/.exec(String(text ?? ""));
  if (!m) return undefined;
  const power = ["B", "K", "M", "G", "T", "P", "E"].indexOf((m[2] as string)[0] as string);
  return Number(m[1]) * 1024 ** power;
}

const GI = 2 ** 30;

// ---------------------------------------------------------------------------------------------------------
// Workloads, mounts and the files they read

interface Running {
  r: RenderedObject;
  namespace: string;
  /** The workload's spec (volumeClaimTemplates live here). */
  spec: Json;
  pod: Json;
  container: Json;
}

/** Chart templates may omit metadata.namespace (the Jaeger chart does): the release's namespace applies. */
export function namespaceResolver(objects: RenderedObject[]): (r: RenderedObject) => string {
  const counts = new Map<string, Map<string, number>>();
  for (const r of objects) {
    const ns = r.object.metadata.namespace;
    if (!ns) continue;
    const byNs = counts.get(r.origin) ?? new Map<string, number>();
    byNs.set(ns, (byNs.get(ns) ?? 0) + 1);
    counts.set(r.origin, byNs);
  }
  const release = new Map(
    [...counts].map(([origin, byNs]) => [origin, [...byNs].sort((a, b) => b[1] - a[1])[0]?.[0] ?? ""]),
  );
  return (r) => r.object.metadata.namespace ?? release.get(r.origin) ?? "";
}

/** `docker.io/grafana/loki:3.7.6@sha256:…` → `loki`. */
export function imageName(image: unknown): string {
  const ref = String(image ?? "").split("@")[0] ?? "";
  return ref.slice(ref.lastIndexOf("/") + 1).split(":")[0] ?? "";
}

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

function containersRunning(
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
  image: (name: string) => boolean,
): Running[] {
  const out: Running[] = [];
  for (const r of objects) {
    if (!WORKLOADS.has(r.object.kind)) continue;
    const spec = at(r.object, "spec");
    const pod = at(spec, "template", "spec");
    if (!isRecord(spec) || !isRecord(pod)) continue;
    for (const container of records(pod.containers)) {
      if (image(imageName(container.image))) out.push({ r, namespace: nsOf(r), spec, pod, container });
    }
  }
  return out;
}

const argv = (c: Json): string[] => [...strings(c.command), ...strings(c.args)];

/** Every value of a flag in any spelling: `-f=v`, `--f=v`, `-f v`, `--f v`. */
export function flagValues(args: string[], flag: string): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(a);
    if (m?.[1] !== flag) return;
    const value = m[2] ?? args[i + 1];
    if (value !== undefined) out.push(value);
  });
  return out;
}

interface Mount {
  volume: string;
  mountPath: string;
  /** The path inside the volume the file or directory is at ("" for the volume's root). */
  inner: string;
}

/** The mount a container sees `path` through: the longest mount path that covers it. */
export function mountAt(container: Json, path: string): Mount | undefined {
  let best: Mount | undefined;
  for (const m of records(container.volumeMounts)) {
    const mountPath = String(m.mountPath ?? "").replace(/\/+$/, "");
    const rest =
      path === mountPath ? "" : path.startsWith(`${mountPath}/`) ? path.slice(mountPath.length + 1) : undefined;
    if (rest === undefined || (best && best.mountPath.length >= mountPath.length)) continue;
    const sub = typeof m.subPath === "string" ? m.subPath : "";
    best = { volume: String(m.name), mountPath, inner: [sub, rest].filter(Boolean).join("/") };
  }
  return best;
}

type VolumeSource =
  | { kind: "claimTemplate"; claim: Json }
  | { kind: "persistentVolumeClaim"; claimName: string }
  | { kind: "configMap" | "secret"; name: string; items: Json[] }
  | { kind: "missing" }
  /** Any other volume type (emptyDir, hostPath, …), named in `type`. */
  | { kind: "other"; type: string };

const sourceName = (src: VolumeSource): string => (src.kind === "other" ? src.type : src.kind);

/** What backs a pod volume; a StatefulSet's claim template wins over a pod volume of the same name. */
export function volumeSource(w: Pick<Running, "spec" | "pod">, name: string): VolumeSource {
  const claim = records(w.spec.volumeClaimTemplates).find((c) => at(c, "metadata", "name") === name);
  if (claim) return { kind: "claimTemplate", claim };
  const v = records(w.pod.volumes).find((x) => x.name === name);
  if (!v) return { kind: "missing" };
  if (isRecord(v.persistentVolumeClaim))
    return { kind: "persistentVolumeClaim", claimName: String(v.persistentVolumeClaim.claimName) };
  if (isRecord(v.configMap))
    return { kind: "configMap", name: String(v.configMap.name), items: records(v.configMap.items) };
  if (isRecord(v.secret)) return { kind: "secret", name: String(v.secret.secretName), items: records(v.secret.items) };
  return { kind: "other", type: Object.keys(v).find((k) => k !== "name") ?? "unknown" };
}

interface MountedFile {
  source: RenderedObject;
  key: string;
  text: string;
}

/** The text a container reads at `file`, from the ConfigMap or Secret mounted there; else why not. */
export function mountedFile(
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
  w: Running,
  file: string,
): MountedFile | string {
  const mount = mountAt(w.container, file);
  if (!mount) return `no volume is mounted at ${file}: the container would read its image's file, if any`;
  const src = volumeSource(w, mount.volume);
  if (src.kind !== "configMap" && src.kind !== "secret")
    return `${file} is on volume "${mount.volume}" (${sourceName(src)}), not a ConfigMap or Secret`;
  const { name, items } = src;
  const key = items.length > 0 ? items.find((i) => i.path === mount.inner)?.key : mount.inner;
  if (typeof key !== "string" || key === "" || key.includes("/"))
    return `${file}: the ${src.kind} volume "${mount.volume}" (${name}) has no file "${mount.inner}"`;
  const kind = src.kind === "configMap" ? "ConfigMap" : "Secret";
  const source = objects.find(
    (r) => r.object.kind === kind && r.object.metadata.name === name && nsOf(r) === w.namespace,
  );
  if (!source) return `${file} comes from ${kind} ${w.namespace}/${name}, which is not in the set`;
  const o = source.object;
  const text =
    kind === "ConfigMap"
      ? (at(o, "data", key) ?? decode(at(o, "binaryData", key)))
      : (at(o, "stringData", key) ?? decode(at(o, "data", key)));
  if (typeof text !== "string") return `${file}: ${kind} ${w.namespace}/${name} has no key "${key}"`;
  return { source, key, text };
}

const decode = (b64: unknown) => (typeof b64 === "string" ? Buffer.from(b64, "base64").toString("utf8") : undefined);

function parseConfig(text: string): Json | string {
  try {
    const doc: unknown = parse(text);
    return isRecord(doc) ? doc : "is not a YAML map";
  } catch (err) {
    return `does not parse: ${(err as Error).message.split("\n")[0]}`;
  }
}

/** The collector (and Jaeger v2) merge several --config files: maps deeply, everything else replaced. */
const merge = (a: Json, b: Json): Json =>
  Object.fromEntries(
    [...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => {
      const [x, y] = [a[k], b[k]];
      return [k, isRecord(x) && isRecord(y) ? merge(x, y) : k in b ? y : x];
    }),
  );

interface LoadedConfig {
  config: Json;
  /** Where findings about the file's content point: the ConfigMap or Secret. */
  source: RenderedObject;
  /** `key relay of ConfigMap …, read at /conf/relay.yaml`: evidence for messages. */
  where: string;
}

/** Reads and merges the config files a workload's `flag` names, or says why it cannot. */
function loadConfig(
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
  w: Running,
  flag: string,
): LoadedConfig | string {
  const files = flagValues(argv(w.container), flag).map((f) => f.replace(/^file:/, ""));
  if (files.length === 0) return `container ${w.container.name} has no --${flag}: it would run its built-in defaults`;
  const loaded: LoadedConfig[] = [];
  for (const file of files) {
    if (!file.startsWith("/")) return `--${flag}=${file} is not a file this check can read`;
    const mounted = mountedFile(objects, nsOf, w, file);
    if (typeof mounted === "string") return mounted;
    const config = parseConfig(mounted.text);
    if (typeof config === "string") return `${file} (key ${mounted.key}) ${config}`;
    const where = `key ${mounted.key} of ${mounted.source.object.kind} ${mounted.source.object.metadata.name}, read at ${file}`;
    loaded.push({ config, source: mounted.source, where });
  }
  const [first] = loaded as [LoadedConfig, ...LoadedConfig[]];
  return { ...first, config: loaded.map((l) => l.config).reduce(merge) };
}

/** Size and class of a claim against the stack config. */
export function claimProblems(claimSpec: unknown, expectedGi: number, what: string, storageClass?: string): string[] {
  const out: string[] = [];
  const size = at(claimSpec, "resources", "requests", "storage");
  if (quantityBytes(size) !== expectedGi * GI)
    out.push(`requests storage ${show(size)}, expected "${expectedGi}Gi" (${what})`);
  const cls = at(claimSpec, "storageClassName");
  if (storageClass && cls !== storageClass)
    out.push(`storageClassName is ${show(cls)}, expected "${storageClass}" (storage.storageClass)`);
  return out;
}

/** Claims a workload holds although the stack is not persistent: they pin volumes dev does not want. */
function claimsWhenEphemeral(w: Running): string[] {
  const templates = records(w.spec.volumeClaimTemplates).map(
    (c) =>
      `volumeClaimTemplate "${at(c, "metadata", "name")}" (${show(at(c, "spec", "resources", "requests", "storage"))})`,
  );
  const volumes = records(w.pod.volumes)
    .filter((v) => isRecord(v.persistentVolumeClaim))
    .map((v) => `volume "${v.name}" from PersistentVolumeClaim ${show(at(v, "persistentVolumeClaim", "claimName"))}`);
  return [...templates, ...volumes].map((c) => `${c}, expected none: storage.persistent is false`);
}

// ---------------------------------------------------------------------------------------------------------
// Loki

const LOKI_STORES: Record<string, string[]> = { s3: ["s3", "aws"], aws: ["s3", "aws"] };

/** The object store of the schema period in force: the one with the latest `from`. */
const activeObjectStore = (cfg: Json): unknown =>
  records(at(cfg, "schema_config", "configs"))
    .sort((a, b) => String(a.from).localeCompare(String(b.from)))
    .pop()?.object_store;

/** Retention and compactor settings of Loki's config file. */
export function lokiConfigProblems(cfg: Json, config: StackConfig): string[] {
  const out: string[] = [];
  const compactor = at(cfg, "compactor");
  if (at(compactor, "retention_enabled") !== true)
    out.push(
      `compactor.retention_enabled is ${show(at(compactor, "retention_enabled"))}, expected true: nothing is ever deleted`,
    );
  const workDir = at(compactor, "working_directory");
  if (typeof workDir !== "string" || workDir === "") out.push("compactor.working_directory is not set");
  const store = activeObjectStore(cfg);
  const deleteStore = at(compactor, "delete_request_store");
  if (typeof deleteStore !== "string" || deleteStore === "")
    out.push(
      `compactor.delete_request_store is not set, expected ${show(store)} (schema_config object_store): Loki refuses to start with retention on`,
    );
  else if (deleteStore !== store)
    out.push(
      `compactor.delete_request_store is "${deleteStore}", expected ${show(store)} (schema_config object_store)`,
    );
  const configured = [...keysOf(at(cfg, "common", "storage")), ...keysOf(at(cfg, "storage_config"))];
  const candidates = LOKI_STORES[String(store)] ?? [String(store)];
  if (!candidates.some((c) => configured.includes(c)))
    out.push(
      `schema_config object_store is ${show(store)} but common.storage configures ${show(keysOf(at(cfg, "common", "storage")))}`,
    );
  const retention = at(cfg, "limits_config", "retention_period");
  const hours = config.logs.retentionDays * 24;
  if (durationSeconds(retention, "prometheus") !== hours * 3600)
    out.push(
      `limits_config.retention_period is ${show(retention)}, expected "${hours}h" (logs.retentionDays ${config.logs.retentionDays} × 24h)`,
    );
  return out;
}

/** Per-tenant overrides in Loki's runtime config beat limits_config. */
export function lokiOverrideProblems(runtime: Json, config: StackConfig): string[] {
  const hours = config.logs.retentionDays * 24;
  return Object.entries(isRecord(runtime.overrides) ? runtime.overrides : {})
    .filter(([, o]) => at(o, "retention_period") !== undefined)
    .filter(([, o]) => durationSeconds(at(o, "retention_period"), "prometheus") !== hours * 3600)
    .map(
      ([tenant, o]) =>
        `runtime overrides.${tenant}.retention_period is ${show(at(o, "retention_period"))}, expected "${hours}h"`,
    );
}

/** Where Loki keeps its data, and whether that is a claim of the stack's size (or none in dev). */
function lokiStorageProblems(w: Running, cfg: Json, config: StackConfig): string[] {
  if (!config.storage.persistent) return claimsWhenEphemeral(w);
  const dataDir = String(at(cfg, "common", "path_prefix") ?? at(cfg, "compactor", "working_directory") ?? "/var/loki");
  const mount = mountAt(w.container, dataDir);
  if (!mount)
    return [`no volume is mounted at Loki's data directory ${dataDir}, expected a ${config.logs.storageGi}Gi claim`];
  const src = volumeSource(w, mount.volume);
  if (src.kind !== "claimTemplate")
    return [
      `data directory ${dataDir} is on volume "${mount.volume}" (${sourceName(src)}), expected a volumeClaimTemplate: storage.persistent is true`,
    ];
  return claimProblems(at(src.claim, "spec"), config.logs.storageGi, "logs.storageGi", config.storage.storageClass).map(
    (p) => `volumeClaimTemplate "${mount.volume}" ${p}`,
  );
}

function lokiFindings(objects: RenderedObject[], nsOf: (r: RenderedObject) => string, config: StackConfig): Finding[] {
  const out: Finding[] = [];
  for (const w of containersRunning(objects, nsOf, (n) => n === "loki")) {
    const loaded = loadConfig(objects, nsOf, w, "config.file");
    if (typeof loaded === "string") {
      out.push(finding(CHECK, w.r, `Loki config: ${loaded}`));
      continue;
    }
    for (const p of lokiConfigProblems(loaded.config, config))
      out.push(finding(CHECK, loaded.source, `${p} (${loaded.where})`));
    for (const p of lokiStorageProblems(w, loaded.config, config)) out.push(finding(CHECK, w.r, p));
    const runtimeFile = at(loaded.config, "runtime_config", "file");
    if (typeof runtimeFile !== "string") continue;
    const runtime = mountedFile(objects, nsOf, w, runtimeFile);
    const parsed = typeof runtime === "string" ? runtime : parseConfig(runtime.text);
    if (typeof parsed === "string") out.push(finding(CHECK, w.r, `Loki runtime config ${runtimeFile}: ${parsed}`));
    else for (const p of lokiOverrideProblems(parsed, config)) out.push(finding(CHECK, w.r, p));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// OpenTelemetry Collector configuration (the collector's, and Jaeger v2's which is one too)

const typeOf = (id: string) => id.split("/")[0] ?? id;
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

/** Every tail_sampling processor in use keeps the configured share of non-error traces. */
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
    }
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

function collectorFindings(
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
      ...traceFlowProblems(loaded.config),
      ...samplingProblems(loaded.config, config),
      ...exporterTargetProblems(loaded.config, objects, nsOf, w.namespace),
    ];
    for (const p of problems) out.push(finding(CHECK, loaded.source, `${p} (${loaded.where})`));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Jaeger v2

/** The storage backend Jaeger's query and storage exporter use, by name. */
function jaegerBackend(cfg: Json): { name: unknown; backend: unknown; problems: string[] } {
  const name = at(cfg, "extensions", "jaeger_query", "storage", "traces");
  const backend = at(cfg, "extensions", "jaeger_storage", "backends", String(name));
  const problems: string[] = [];
  if (backend === undefined)
    problems.push(`jaeger_query reads traces from ${show(name)}, which jaeger_storage.backends does not define`);
  for (const id of keysOf(cfg.exporters).filter((e) => typeOf(e) === "jaeger_storage_exporter")) {
    const store = at(cfg, "exporters", id, "trace_storage");
    if (store !== name) problems.push(`exporter ${id} writes to ${show(store)} but jaeger_query reads ${show(name)}`);
  }
  return { name, backend, problems };
}

/** Memory with the configured bound in dev; badger, kept, with the retention as TTL elsewhere. */
export function jaegerStorageProblems(cfg: Json, config: StackConfig): string[] {
  const { name, backend, problems } = jaegerBackend(cfg);
  if (backend === undefined) return problems;
  const kind = keysOf(backend)[0];
  const b = `backend ${show(name)}`;
  if (!config.storage.persistent) {
    if (kind !== "memory") return [...problems, `${b} is ${show(kind)}, expected memory: storage.persistent is false`];
    const max = at(backend, "memory", "max_traces");
    if (max !== config.traces.maxTracesInMemory)
      problems.push(
        `${b} memory.max_traces is ${show(max)}, expected ${config.traces.maxTracesInMemory} (traces.maxTracesInMemory)`,
      );
    return problems;
  }
  if (kind !== "badger") return [...problems, `${b} is ${show(kind)}, expected badger: storage.persistent is true`];
  const badger = at(backend, "badger");
  if (at(badger, "ephemeral") !== false)
    problems.push(
      `${b} badger.ephemeral is ${show(at(badger, "ephemeral"))}, expected false: traces would not survive a restart`,
    );
  const ttl = at(badger, "ttl", "spans");
  if (durationSeconds(ttl, "go") !== config.traces.retentionHours * 3600)
    problems.push(
      `${b} badger.ttl.spans is ${show(ttl)}, expected "${config.traces.retentionHours}h" (traces.retentionHours)`,
    );
  for (const dir of ["keys", "values"])
    if (typeof at(badger, "directories", dir) !== "string")
      problems.push(`${b} badger.directories.${dir} is not set: badger would write inside the image`);
  return problems;
}

/** Badger's directories are on a volume backed by a claim of traces.storageGi; no claims in dev. */
function jaegerVolumeProblems(
  w: Running,
  cfg: Json,
  config: StackConfig,
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
): string[] {
  if (!config.storage.persistent) return claimsWhenEphemeral(w);
  const { backend } = jaegerBackend(cfg);
  const out: string[] = [];
  for (const dir of ["keys", "values"]) {
    const path = at(backend, "badger", "directories", dir);
    if (typeof path !== "string") continue; // reported with the config
    const mount = mountAt(w.container, path);
    if (!mount) {
      out.push(`badger directories.${dir} ${path} is on no mounted volume: traces would be lost on restart`);
      continue;
    }
    const src = volumeSource(w, mount.volume);
    if (src.kind === "claimTemplate") {
      const claim = at(src.claim, "spec");
      out.push(
        ...claimProblems(claim, config.traces.storageGi, "traces.storageGi", config.storage.storageClass).map(
          (p) => `claim template "${mount.volume}" ${p}`,
        ),
      );
      continue;
    }
    if (src.kind !== "persistentVolumeClaim") {
      out.push(
        `badger directories.${dir} ${path} is on volume "${mount.volume}" (${sourceName(src)}), expected a PersistentVolumeClaim`,
      );
      continue;
    }
    const claimName = src.claimName;
    const pvc = objects.find(
      (r) =>
        r.object.kind === "PersistentVolumeClaim" && r.object.metadata.name === claimName && nsOf(r) === w.namespace,
    );
    if (!pvc)
      out.push(
        `volume "${mount.volume}" claims PersistentVolumeClaim ${w.namespace}/${claimName}, which is not in the set`,
      );
    else
      out.push(
        ...claimProblems(
          at(pvc.object, "spec"),
          config.traces.storageGi,
          "traces.storageGi",
          config.storage.storageClass,
        ).map((p) => `PersistentVolumeClaim ${claimName} ${p}`),
      );
  }
  return [...new Set(out)]; // keys and values usually share one volume
}

function jaegerFindings(
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
  config: StackConfig,
): Finding[] {
  const out: Finding[] = [];
  for (const w of containersRunning(objects, nsOf, (n) => n === "jaeger")) {
    const loaded = loadConfig(objects, nsOf, w, "config");
    if (typeof loaded === "string") {
      out.push(finding(CHECK, w.r, `Jaeger config: ${loaded}`));
      continue;
    }
    const problems = [...jaegerStorageProblems(loaded.config, config), ...pipelineProblems(loaded.config)];
    for (const p of problems) out.push(finding(CHECK, loaded.source, `${p} (${loaded.where})`));
    for (const p of jaegerVolumeProblems(w, loaded.config, config, objects, nsOf)) out.push(finding(CHECK, w.r, p));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Prometheus (the operator's custom resource)

/** Retention, size, storage, replicas, scrape interval and exemplars of a Prometheus resource's spec. */
export function prometheusProblems(spec: unknown, config: StackConfig): string[] {
  const m = config.metrics;
  const out: string[] = [];
  const retention = at(spec, "retention");
  if (durationSeconds(retention, "prometheus") !== m.retentionDays * 86_400)
    out.push(`spec.retention is ${show(retention)}, expected "${m.retentionDays}d" (metrics.retentionDays)`);
  const size = at(spec, "retentionSize");
  if (prometheusBytes(size) !== m.retentionSizeGi * GI)
    out.push(`spec.retentionSize is ${show(size)}, expected "${m.retentionSizeGi}GB" (metrics.retentionSizeGi)`);
  const template = at(spec, "storage", "volumeClaimTemplate");
  if (config.storage.persistent && template === undefined)
    out.push(
      `spec.storage.volumeClaimTemplate is absent, expected a ${m.storageGi}Gi claim: storage.persistent is true`,
    );
  else if (config.storage.persistent)
    out.push(
      ...claimProblems(at(template, "spec"), m.storageGi, "metrics.storageGi", config.storage.storageClass).map(
        (p) => `spec.storage.volumeClaimTemplate ${p}`,
      ),
    );
  else if (template !== undefined)
    out.push(
      `spec.storage.volumeClaimTemplate requests ${show(at(template, "spec", "resources", "requests", "storage"))}, expected none: storage.persistent is false`,
    );
  const replicas = at(spec, "replicas") ?? 1; // the operator's default
  if (replicas !== m.replicas)
    out.push(`spec.replicas is ${show(replicas)}, expected ${m.replicas} (metrics.replicas)`);
  const interval = at(spec, "scrapeInterval") ?? "30s"; // the operator's default
  if (durationSeconds(interval, "prometheus") !== durationSeconds(m.scrapeInterval, "prometheus"))
    out.push(`spec.scrapeInterval is ${show(interval)}, expected "${m.scrapeInterval}" (metrics.scrapeInterval)`);
  const features = strings(at(spec, "enableFeatures"));
  if (!features.includes("exemplar-storage"))
    out.push(
      `spec.enableFeatures is ${show(features)}, expected it to contain "exemplar-storage" (trace links on metrics)`,
    );
  return out;
}

function prometheusFindings(objects: RenderedObject[], config: StackConfig): Finding[] {
  return objects
    .filter((r) => r.object.kind === "Prometheus" && r.object.apiVersion.startsWith("monitoring.coreos.com/"))
    .flatMap((r) => prometheusProblems(at(r.object, "spec"), config).map((p) => finding(CHECK, r, p)));
}

// ---------------------------------------------------------------------------------------------------------

/** Every mismatch between the configuration the workloads will run with and the stack config. */
export function renderedConfigMatches(objects: RenderedObject[], config: StackConfig): Finding[] {
  const nsOf = namespaceResolver(objects);
  return [
    ...lokiFindings(objects, nsOf, config),
    ...jaegerFindings(objects, nsOf, config),
    ...prometheusFindings(objects, config),
    ...collectorFindings(objects, nsOf, config),
  ];
}
