import type { StackConfig } from "../../../config/schema";
import type { RenderedObject } from "../../../render/render";
import { type Finding, finding } from "../objects";
import { durationSeconds } from "./units";
import {
  at,
  CHECK,
  claimProblems,
  claimsWhenEphemeral,
  containersRunning,
  isRecord,
  type Json,
  keysOf,
  loadConfig,
  mountAt,
  mountedFile,
  parseConfig,
  type Running,
  records,
  show,
  sourceName,
  volumeSource,
} from "./workloads";

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

/** The ingester's chunk compression and flushing (logs.chunks); absent keys mean Loki's defaults, not ours. */
export function lokiChunkProblems(cfg: Json, config: StackConfig): string[] {
  const out: string[] = [];
  const { encoding, targetSizeBytes, maxChunkAge, idlePeriod } = config.logs.chunks;
  const ingester = at(cfg, "ingester");
  const got = (key: string) => at(ingester, key);
  if (got("chunk_encoding") !== encoding)
    out.push(
      `ingester.chunk_encoding is ${show(got("chunk_encoding"))}, expected "${encoding}" (logs.chunks.encoding)`,
    );
  if (got("chunk_target_size") !== targetSizeBytes)
    out.push(
      `ingester.chunk_target_size is ${show(got("chunk_target_size"))}, expected ${targetSizeBytes} (logs.chunks.targetSizeBytes)`,
    );
  for (const [key, expected, field] of [
    ["max_chunk_age", maxChunkAge, "maxChunkAge"],
    ["chunk_idle_period", idlePeriod, "idlePeriod"],
  ] as const) {
    const seconds = durationSeconds(got(key), "go");
    if (seconds === undefined || seconds !== durationSeconds(expected, "go"))
      out.push(`ingester.${key} is ${show(got(key))}, expected "${expected}" (logs.chunks.${field})`);
  }
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

export function lokiFindings(
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
  config: StackConfig,
): Finding[] {
  const out: Finding[] = [];
  for (const w of containersRunning(objects, nsOf, (n) => n === "loki")) {
    const loaded = loadConfig(objects, nsOf, w, "config.file");
    if (typeof loaded === "string") {
      out.push(finding(CHECK, w.r, `Loki config: ${loaded}`));
      continue;
    }
    for (const p of [...lokiConfigProblems(loaded.config, config), ...lokiChunkProblems(loaded.config, config)])
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
