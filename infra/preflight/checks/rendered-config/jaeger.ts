import type { StackConfig } from "../../../config/schema";
import type { RenderedObject } from "../../../render/render";
import { type Finding, finding, selectsMap } from "../objects";
import { pipelineProblems, serviceTarget, typeOf } from "./collector";
import { durationSeconds } from "./units";
import {
  at,
  CHECK,
  claimProblems,
  claimsWhenEphemeral,
  containersRunning,
  imageName,
  isRecord,
  type Json,
  keysOf,
  loadConfig,
  mountAt,
  type Running,
  records,
  show,
  sourceName,
  volumeSource,
} from "./workloads";

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

/** Jaeger's date layout for one index per day: whole days are what the index cleaner deletes. */
const DAILY = "2006-01-02";

/** OpenSearch over HTTPS with verified-or-declared TLS, daily indices without aliases, the password from a file. */
function openSearchProblems(b: string, os: unknown): string[] {
  const out: string[] = [];
  const urls = at(os, "server_urls");
  if (!Array.isArray(urls) || urls.length === 0)
    out.push(`${b} opensearch.server_urls is ${show(urls)}, expected a URL`);
  for (const url of Array.isArray(urls) ? urls : [])
    if (typeof url !== "string" || !url.startsWith("https://"))
      out.push(`${b} server URL ${show(url)} is not https: the password would cross the network in clear`);
  const prefix = at(os, "indices", "index_prefix");
  if (typeof prefix !== "string" || prefix === "")
    out.push(`${b} indices.index_prefix is ${show(prefix)}: the index cleaner needs the prefix to find the indices`);
  for (const kind of ["spans", "services"]) {
    const layout = at(os, "indices", kind, "date_layout");
    const rollover = at(os, "indices", kind, "rollover_frequency");
    if ((layout !== undefined && layout !== DAILY) || (rollover !== undefined && rollover !== "day"))
      out.push(
        `${b} indices.${kind} is ${show(layout)}/${show(rollover)}, expected "${DAILY}"/"day": the index cleaner deletes whole days`,
      );
  }
  if (at(os, "use_aliases") === true)
    out.push(`${b} use_aliases is true: rollover aliases need the rollover job, which is not deployed`);
  if (at(os, "auth", "basic", "password") !== undefined)
    out.push(`${b} auth.basic.password is in the config: the password belongs in a mounted Secret (password_file)`);
  if (typeof at(os, "auth", "basic", "password_file") !== "string")
    out.push(`${b} auth.basic.password_file is not set: OpenSearch's security plugin refuses anonymous writes`);
  if (at(os, "tls", "insecure") === true) out.push(`${b} tls.insecure is true: TLS is off`);
  return out;
}

/** Memory with the configured bound in dev; badger, kept, with the retention as TTL elsewhere; OpenSearch when distributed. */
export function jaegerStorageProblems(cfg: Json, config: StackConfig): string[] {
  const { name, backend, problems } = jaegerBackend(cfg);
  if (backend === undefined) return problems;
  const kind = keysOf(backend)[0];
  const b = `backend ${show(name)}`;
  if (config.scale === "distributed") {
    if (kind !== "opensearch") return [...problems, `${b} is ${show(kind)}, expected opensearch: scale is distributed`];
    return [...problems, ...openSearchProblems(b, at(backend, "opensearch"))];
  }
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

type NsOf = (r: RenderedObject) => string;

/** The in-cluster OpenSearch Jaeger writes to: its Service exists, and the StatefulSet behind it has the configured nodes and volumes. */
function selfHostedProblems(
  url: string,
  namespace: string,
  objects: RenderedObject[],
  nsOf: NsOf,
  config: StackConfig,
) {
  const target = serviceTarget(url, namespace);
  const os = config.distributed.jaeger.opensearch;
  if (!target) return [`server URL ${show(url)} is not a Service in the cluster, and aws.enabled is false`];
  const svc = objects.find(
    (r) => r.object.kind === "Service" && r.object.metadata.name === target.name && nsOf(r) === target.namespace,
  );
  if (!svc)
    return [`server URL ${show(url)} names Service ${target.namespace}/${target.name}, which is not in the set`];
  const ports = records(at(svc.object, "spec", "ports")).map((p) => p.port);
  if (!ports.includes(target.port))
    return [`Service ${target.namespace}/${target.name} has no port ${target.port} (ports: ${show(ports)})`];
  const selector = at(svc.object, "spec", "selector") as Record<string, string> | undefined;
  const nodes = containersRunning(objects, nsOf, (n) => n === "opensearch").filter(
    (w) =>
      w.namespace === target.namespace &&
      w.r.object.kind === "StatefulSet" &&
      selectsMap(selector, (at(w.spec, "template", "metadata", "labels") ?? {}) as Record<string, string>),
  );
  const sts = nodes[0];
  if (!sts) return [`Service ${target.namespace}/${target.name} selects no OpenSearch StatefulSet`];
  const out: string[] = [];
  const replicas = at(sts.spec, "replicas");
  if (replicas !== os.nodes)
    out.push(
      `OpenSearch StatefulSet replicas is ${show(replicas)}, expected ${os.nodes} (distributed.jaeger.opensearch.nodes)`,
    );
  const data = mountAt(sts.container, "/usr/share/opensearch/data");
  const src = data ? volumeSource(sts, data.volume) : undefined;
  if (src?.kind !== "claimTemplate")
    out.push("OpenSearch's data directory is on no volume claim template: indices would not survive a restart");
  else
    out.push(
      ...claimProblems(
        at(src.claim, "spec"),
        os.storageGi,
        "distributed.jaeger.opensearch.storageGi",
        config.storage.storageClass,
      ).map((p) => `OpenSearch claim template ${p}`),
    );
  return out;
}

/** Amazon OpenSearch Service: its regional HTTPS endpoint. */
function awsDomainProblems(url: string): string[] {
  return /^https:\/\/[a-z0-9.-]+\.es\.amazonaws\.com(\.cn)?(:443)?\/?$/.test(url)
    ? []
    : [`server URL ${show(url)} is not an Amazon OpenSearch Service endpoint, and aws.enabled is true`];
}

/**
 * Jaeger's index cleaner: a daily CronJob against the same URL and prefix, keeping at least traces.retentionHours
 * (it keeps today plus N-1 whole days, jaegertracing/jaeger cmd/es-index-cleaner/app/cutoff_time.go) and at most a
 * day more.
 */
function indexCleanerProblems(url: string, prefix: unknown, objects: RenderedObject[], config: StackConfig): string[] {
  const jobs = objects.filter((r) => r.object.kind === "CronJob");
  const cleaners = jobs.flatMap((r) =>
    records(at(r.object, "spec", "jobTemplate", "spec", "template", "spec", "containers"))
      .filter((c) => imageName(c.image) === "jaeger-es-index-cleaner")
      .map((c) => ({ r, c })),
  );
  if (cleaners.length === 0) return ["no jaeger-es-index-cleaner CronJob: OpenSearch indices would never be deleted"];
  const out: string[] = [];
  const hours = config.traces.retentionHours;
  for (const { r, c } of cleaners) {
    const schedule = at(r.object, "spec", "schedule");
    if (typeof schedule !== "string" || !/^\d{1,2} \d{1,2} \* \* \*$/.test(schedule))
      out.push(`index cleaner schedule ${show(schedule)} is not once a day`);
    const args = Array.isArray(c.args) ? c.args : [];
    const days = Number(args[0]);
    if (!Number.isInteger(days) || (days - 1) * 24 < hours || (days - 2) * 24 >= hours)
      out.push(
        `index cleaner keeps ${show(args[0])} days, expected ${Math.ceil(hours / 24) + 1}: at least traces.retentionHours (${hours}h), at most a day more`,
      );
    if (args[1] !== url) out.push(`index cleaner URL is ${show(args[1])}, expected Jaeger's ${show(url)}`);
    const env = records(c.env);
    const envPrefix = env.find((e) => e.name === "ES_INDEX_PREFIX")?.value;
    if (envPrefix !== prefix) out.push(`index cleaner ES_INDEX_PREFIX is ${show(envPrefix)}, expected ${show(prefix)}`);
    for (const name of ["ES_USERNAME", "ES_PASSWORD"])
      if (!isRecord(at(env.find((e) => e.name === name) ?? {}, "valueFrom", "secretKeyRef")))
        out.push(`index cleaner ${name} does not come from a Secret`);
  }
  return out;
}

/** Distributed: where the OpenSearch backend points, its password file, its index cleaner. */
function openSearchWiring(w: Running, cfg: Json, config: StackConfig, objects: RenderedObject[], nsOf: NsOf): string[] {
  const os = at(jaegerBackend(cfg).backend, "opensearch");
  const urls = at(os, "server_urls");
  const url = Array.isArray(urls) ? urls[0] : undefined;
  if (typeof url !== "string") return []; // reported with the config
  const out = config.aws.enabled ? awsDomainProblems(url) : selfHostedProblems(url, w.namespace, objects, nsOf, config);
  const file = at(os, "auth", "basic", "password_file");
  if (typeof file === "string") {
    const mount = mountAt(w.container, file);
    const src = mount ? volumeSource(w, mount.volume) : undefined;
    if (src?.kind !== "secret") out.push(`password_file ${file} is not on a Secret volume`);
  }
  return [...out, ...indexCleanerProblems(url, at(os, "indices", "index_prefix"), objects, config)];
}

/** Badger's ReadWriteOnce claim: a rolling update's new pod would wait for a volume the old pod holds. */
function strategyProblems(w: Running, config: StackConfig): string[] {
  if (config.scale === "distributed" || !config.storage.persistent || w.r.object.kind !== "Deployment") return [];
  const type = at(w.spec, "strategy", "type") ?? "RollingUpdate";
  return type === "Recreate"
    ? []
    : [
        `Deployment strategy is ${show(type)}, expected "Recreate": a rolling update deadlocks on Badger's ReadWriteOnce claim`,
      ];
}

export function jaegerFindings(
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
    const wiring =
      config.scale === "distributed"
        ? openSearchWiring(w, loaded.config, config, objects, nsOf)
        : jaegerVolumeProblems(w, loaded.config, config, objects, nsOf);
    for (const p of [...wiring, ...strategyProblems(w, config)]) out.push(finding(CHECK, w.r, p));
  }
  return out;
}
