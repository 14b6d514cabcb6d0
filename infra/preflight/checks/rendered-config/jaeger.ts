import type { StackConfig } from "../../../config/schema";
import type { RenderedObject } from "../../../render/render";
import { type Finding, finding } from "../objects";
import { pipelineProblems, typeOf } from "./collector";
import { durationSeconds } from "./units";
import {
  at,
  CHECK,
  claimProblems,
  claimsWhenEphemeral,
  containersRunning,
  type Json,
  keysOf,
  loadConfig,
  mountAt,
  type Running,
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
    for (const p of jaegerVolumeProblems(w, loaded.config, config, objects, nsOf)) out.push(finding(CHECK, w.r, p));
  }
  return out;
}
