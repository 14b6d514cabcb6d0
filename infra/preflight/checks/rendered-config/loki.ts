import type { StackConfig } from "../../../config/schema";
import { LOKI_S3_ENV, LOKI_TARGET_VOLUME_GI, LOKI_TARGETS } from "../../../logging/values";
import type { RenderedObject } from "../../../render/render";
import { type Finding, finding, selectsMap } from "../objects";
import { durationSeconds } from "./units";
import {
  at,
  CHECK,
  claimProblems,
  claimsWhenEphemeral,
  containersRunning,
  flagValues,
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
  strings,
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

/**
 * Where Loki keeps its data, and whether that is a claim of the expected size (or none in dev): the single
 * binary's holds every chunk (logs.storageGi); in simple scalable mode only write (WAL) and backend (compactor)
 * keep state on disk, the chunks are in the object store, and read needs no claim.
 */
function lokiStorageProblems(w: Running, cfg: Json, config: StackConfig, target: string): string[] {
  if (!config.storage.persistent) return claimsWhenEphemeral(w);
  if (target === "read") return [];
  const [sizeGi, what] =
    target === "all"
      ? [config.logs.storageGi, "logs.storageGi"]
      : [LOKI_TARGET_VOLUME_GI, `the ${target} volume of infra/logging/values.ts`];
  const dataDir = String(at(cfg, "common", "path_prefix") ?? at(cfg, "compactor", "working_directory") ?? "/var/loki");
  const mount = mountAt(w.container, dataDir);
  if (!mount) return [`no volume is mounted at Loki's data directory ${dataDir}, expected a ${sizeGi}Gi claim`];
  const src = volumeSource(w, mount.volume);
  if (src.kind !== "claimTemplate")
    return [
      `data directory ${dataDir} is on volume "${mount.volume}" (${sourceName(src)}), expected a volumeClaimTemplate: storage.persistent is true`,
    ];
  return claimProblems(at(src.claim, "spec"), sizeGi, what, config.storage.storageClass).map(
    (p) => `volumeClaimTemplate "${mount.volume}" ${p}`,
  );
}

// Simple scalable mode (scale: distributed)

/** The `-target` a Loki container runs; the chart's single binary runs `all`. */
export const lokiTarget = (container: Json): string =>
  flagValues([...strings(container.command), ...strings(container.args)], "target")[0] ?? "all";

export interface LokiWorkload {
  name: string;
  target: string;
  /** spec.replicas; Kubernetes runs 1 when absent. */
  replicas: number;
}

/** In `distributed`, read, write and backend each run once with their configured replicas, no single binary. */
export function lokiTopologyProblems(workloads: LokiWorkload[], config: StackConfig): string[] {
  if (config.scale !== "distributed") return [];
  const out: string[] = [];
  for (const target of LOKI_TARGETS) {
    const expected = config.distributed.loki[target];
    const running = workloads.filter((w) => w.target === target);
    if (running.length === 0)
      out.push(`no workload runs Loki's ${target} target, expected ${expected} replicas (distributed.loki.${target})`);
    for (const w of running.filter((r) => r.replicas !== expected))
      out.push(`${w.name} runs ${w.replicas} ${target} replica(s), expected ${expected} (distributed.loki.${target})`);
  }
  for (const w of workloads.filter((r) => r.target === "all" && r.replicas > 0))
    out.push(`${w.name} runs the single binary (${w.replicas} replica(s)) although scale is distributed`);
  return out;
}

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** The object store the targets share: S3 with the stack's bucket, endpoint and keys (role or env, never clear). */
export function lokiObjectStoreProblems(cfg: Json, config: StackConfig): string[] {
  if (config.scale !== "distributed") return [];
  const out: string[] = [];
  const rf = at(cfg, "common", "replication_factor");
  const expectedRf = config.distributed.loki.replicationFactor;
  if (rf !== expectedRf)
    out.push(`common.replication_factor is ${show(rf)}, expected ${expectedRf} (distributed.loki.replicationFactor)`);
  const store = activeObjectStore(cfg);
  if (store !== "s3")
    out.push(`schema_config object_store is ${show(store)}, expected "s3": the targets share chunks through it`);
  const s3 = at(cfg, "common", "storage", "s3");
  const got = (key: string) => at(s3, key);
  const expect = (key: string, want: unknown, field: string) => {
    if (got(key) !== want) out.push(`common.storage.s3.${key} is ${show(got(key))}, expected ${show(want)} (${field})`);
  };
  const wanted = config.distributed.loki.objectStore;
  if (config.aws.enabled) {
    // the bucket is the Logging component's (named by AWS at creation), reached through Loki's role
    if (typeof got("bucketnames") !== "string" || got("bucketnames") === "")
      out.push("common.storage.s3.bucketnames is not set, expected the Logging component's bucket");
    expect("region", config.aws.region, "aws.region");
    for (const key of ["endpoint", "access_key_id", "secret_access_key"])
      if (got(key) !== undefined)
        out.push(`common.storage.s3.${key} is set, expected none: Loki reaches the stack's bucket through its role`);
    return out;
  }
  if (!wanted) return [...out, "distributed.loki.objectStore is not set: no store to compare with"];
  expect("bucketnames", wanted.bucket, "distributed.loki.objectStore.bucket");
  expect("endpoint", wanted.endpoint, "distributed.loki.objectStore.endpoint");
  expect("region", wanted.region, "distributed.loki.objectStore.region");
  expect("s3forcepathstyle", wanted.forcePathStyle, "distributed.loki.objectStore.forcePathStyle");
  for (const key of ["access_key_id", "secret_access_key"] as const)
    if (typeof got(key) !== "string" || !ENV_REF.test(got(key) as string))
      out.push(
        `common.storage.s3.${key} is ${got(key) === undefined ? "absent" : "a literal (value not shown: a key in clear)"}, expected one of ${show(Object.values(LOKI_S3_ENV))} from the object-store Secret`,
      );
  return out;
}

/** Every `${VAR}` of the S3 keys is an env var of the container, taken from a Secret (not a literal value). */
export function lokiEnvProblems(cfg: Json, container: Json): string[] {
  const s3 = at(cfg, "common", "storage", "s3");
  const vars = ["access_key_id", "secret_access_key"]
    .map((k) => ENV_REF.exec(String(at(s3, k) ?? ""))?.[1])
    .filter((v): v is string => v !== undefined);
  const env = records(container.env);
  const fromSecrets = records(container.envFrom).some((e) => isRecord(e.secretRef));
  return vars.flatMap((name) => {
    const entry = env.find((e) => e.name === name);
    if (!entry) return fromSecrets ? [] : [`env ${name} is not set: Loki would expand \${${name}} to an empty S3 key`];
    return isRecord(at(entry, "valueFrom", "secretKeyRef"))
      ? []
      : [`env ${name} is not taken from a Secret (secretKeyRef): the S3 key would sit in the pod spec in clear`];
  });
}

/** The compactor (retention, delete requests) runs on the backend: the address the targets call selects its pods. */
function compactorProblems(objects: RenderedObject[], cfg: Json, backend: Running[], namespace: string): string[] {
  const address = String(at(cfg, "common", "compactor_grpc_address") ?? at(cfg, "common", "compactor_address") ?? "");
  const host = address.replace(/^[a-z]+:\/\//, "").split(/[.:]/)[0] ?? "";
  const service = objects.find(
    (r) => r.object.kind === "Service" && r.object.metadata.name === host && r.object.metadata.namespace === namespace,
  );
  const selector = at(service?.object, "spec", "selector");
  const labels = (w: Running) => (at(w.spec, "template", "metadata", "labels") ?? {}) as Record<string, string>;
  if (isRecord(selector) && backend.some((w) => selectsMap(selector as Record<string, string>, labels(w)))) return [];
  return [
    `common.compactor_grpc_address ${show(address)} is not a Service selecting the backend pods: retention would never run`,
  ];
}

export function lokiFindings(
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
  config: StackConfig,
): Finding[] {
  // the targets share one config file: each finding once
  const seen = new Map<string, Finding>();
  const add = (r: RenderedObject, message: string) => {
    const f = finding(CHECK, r, message);
    seen.set(`${f.object}\n${f.message}`, f);
  };
  const running = containersRunning(objects, nsOf, (n) => n === "loki");
  for (const w of running) {
    const target = lokiTarget(w.container);
    const loaded = loadConfig(objects, nsOf, w, "config.file");
    if (typeof loaded === "string") {
      add(w.r, `Loki config: ${loaded}`);
      continue;
    }
    for (const p of [
      ...lokiConfigProblems(loaded.config, config),
      ...lokiChunkProblems(loaded.config, config),
      ...lokiObjectStoreProblems(loaded.config, config),
    ])
      add(loaded.source, `${p} (${loaded.where})`);
    for (const p of lokiStorageProblems(w, loaded.config, config, target)) add(w.r, p);
    if (config.scale === "distributed") for (const p of lokiEnvProblems(loaded.config, w.container)) add(w.r, p);
    const backend = running.filter((b) => lokiTarget(b.container) === "backend");
    // no backend at all is a topology problem, named once below
    if (config.scale === "distributed" && backend.length > 0)
      for (const p of compactorProblems(objects, loaded.config, backend, w.namespace))
        add(loaded.source, `${p} (${loaded.where})`);
    const runtimeFile = at(loaded.config, "runtime_config", "file");
    if (typeof runtimeFile !== "string") continue;
    const runtime = mountedFile(objects, nsOf, w, runtimeFile);
    const parsed = typeof runtime === "string" ? runtime : parseConfig(runtime.text);
    if (typeof parsed === "string") add(w.r, `Loki runtime config ${runtimeFile}: ${parsed}`);
    else for (const p of lokiOverrideProblems(parsed, config)) add(w.r, p);
  }
  const [first] = running;
  const workloads = running.map((w) => ({
    name: `${w.r.object.kind} ${w.r.object.metadata.name}`,
    target: lokiTarget(w.container),
    replicas: typeof w.spec.replicas === "number" ? w.spec.replicas : 1,
  }));
  if (first) for (const p of lokiTopologyProblems(workloads, config)) add(first.r, p);
  return [...seen.values()];
}
