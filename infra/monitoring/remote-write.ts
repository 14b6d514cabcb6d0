/**
 * Prometheus in `scale: distributed`: replicas spread over nodes, and remote write to the long-term store of the
 * stack config (an Amazon Managed Service for Prometheus workspace, or any remote-write URL), with queue settings
 * sized from the capacity model. Pure: the Monitoring component makes the Secret and the workspace.
 */
import * as pulumi from "@pulumi/pulumi";
import { ruleGroupsFor } from "../alerting/rule-set";
import { ampWorkspaceUrls } from "../aws/names";
import { storageProjections } from "../capacity/projections";
import type { StackConfig } from "../config/schema";
import type { Namespaces } from "../platform/naming";
import { PLATFORM_SERVICES } from "../platform/naming";
import { durationSeconds } from "../preflight/checks/rendered-config/units";
import { reportQueries } from "../queries/cost-report-queries";
import { projectReads, recordedNames } from "../queries/used-metrics";

/** The queue's name: the `remote_name` label of Prometheus' remote-storage metrics and of their alerts. */
export const REMOTE_WRITE_NAME = "long-term";

/** The Secret (in Prometheus' namespace) holding the remote-write credentials, and its keys. */
export const REMOTE_WRITE_SECRET = {
  name: `${PLATFORM_SERVICES.prometheus.name}-remote-write`,
  keys: { username: "username", password: "password", token: "token" },
} as const;

/** Spreads the replicas over nodes: two on one node would fail together. */
export const ANTI_AFFINITY = { mode: "hard", topologyKey: "kubernetes.io/hostname" } as const;

/**
 * Queue sizing from https://prometheus.io/docs/practices/remote_write/: each shard sends up to
 * `maxSamplesPerSend` per request, one request at a time, so a shard carries maxSamplesPerSend / latency samples/s;
 * `capacity` (the per-shard buffer) should be 3–10 × maxSamplesPerSend.
 */
export const QUEUE_GUIDANCE = {
  /** Prometheus' default (configuration docs, queue_config). */
  maxSamplesPerSend: 2000,
  /** capacity = 5 × maxSamplesPerSend: mid-range of the documented 3–10 ×, Prometheus' default 10000. */
  capacityPerSend: 5,
  /** Assumed time of one request to a remote store across the network (a conservative 0.5 s). */
  sendLatencySeconds: 0.5,
  /** maxShards carry this multiple of the live rate, so a backlog (the WAL keeps ~2 h) drains at 9 × real time. */
  catchUpFactor: 10,
} as const;

export interface QueueConfig {
  capacity: number;
  maxSamplesPerSend: number;
  minShards: number;
  maxShards: number;
}

/** The queue for `samplesPerSecond`: minShards carry the rate with `headroomPercent` above it. */
export function queueConfigFor(samplesPerSecond: number, headroomPercent: number): QueueConfig {
  if (!Number.isFinite(samplesPerSecond) || samplesPerSecond <= 0)
    throw new Error(`samplesPerSecond must be a positive number, got ${samplesPerSecond}`);
  if (!Number.isFinite(headroomPercent) || headroomPercent < 0)
    throw new Error(`headroomPercent must be 0 or more, got ${headroomPercent}`);
  const g = QUEUE_GUIDANCE;
  const perShard = g.maxSamplesPerSend / g.sendLatencySeconds;
  const minShards = Math.max(1, Math.ceil((samplesPerSecond * (1 + headroomPercent / 100)) / perShard));
  const maxShards = Math.max(minShards, Math.ceil((samplesPerSecond * g.catchUpFactor) / perShard));
  return {
    capacity: g.maxSamplesPerSend * g.capacityPerSend,
    maxSamplesPerSend: g.maxSamplesPerSend,
    minShards,
    maxShards,
  };
}

/** Samples/s one Prometheus replica scrapes: the capacity model's active series (services at their HPA maximum) per scrape interval. */
export function samplesPerSecond(config: StackConfig): number {
  const metrics = storageProjections(config).find((p) => p.signal === "metrics");
  const series = metrics?.inputs.activeSeries;
  if (typeof series !== "number") throw new Error("the capacity model gives no metrics.activeSeries");
  return series / (durationSeconds(config.metrics.scrapeInterval, "prometheus") ?? Number.NaN);
}

/** Prometheus' replicas: distributed's when distributed, metrics.replicas otherwise. */
export function prometheusReplicas(config: StackConfig): number {
  return config.scale === "distributed" ? config.distributed.prometheus.replicas : config.metrics.replicas;
}

/** The remote store of this stack, or undefined (single, or distributed without remoteWrite). */
export function remoteWriteTarget(config: StackConfig) {
  return config.scale === "distributed" ? config.distributed.prometheus.remoteWrite : undefined;
}

/** One alternation of every name, anchored by Prometheus' relabelling (names hold no regex metacharacter but `:`). */
export function keepRegex(names: Iterable<string>, patterns: readonly string[] = []): string {
  const sorted = [...new Set(names)].sort();
  for (const n of sorted)
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(n)) throw new Error(`metric name ${JSON.stringify(n)} is not a valid name`);
  return [...sorted, ...patterns].join("|");
}

/**
 * The names a rule, dashboard or tool of this project reads (infra/queries/used-metrics.ts, the cost report's analysis) and the names its recording
 * rules write; `patterns`: the `__name__=~` regexes some selectors use instead of a name.
 */
export function usedMetrics(config: StackConfig, ns: Namespaces): { names: string[]; patterns: string[] } {
  const groups = ruleGroupsFor(config, ns);
  const reads = projectReads(config, groups, reportQueries(config, ns));
  return {
    names: [...new Set([...reads.names, ...recordedNames(groups)])].sort(),
    // back from the analysis' anchored JavaScript form `^(?:re)$` to the PromQL regex; "^" means "unparsable"
    patterns: reads.patterns.map((p) => (p.source === "^" ? "" : p.source.slice("^(?:".length, -")$".length))),
  };
}

/**
 * The write relabelling keeping only the used metrics (keepOnlyUsedMetrics), else none. A selector regex the
 * analysis could not parse may read any name: then nothing is dropped.
 */
export function writeRelabelConfigs(config: StackConfig, ns: Namespaces): Record<string, unknown>[] {
  if (!config.distributed.prometheus.keepOnlyUsedMetrics) return [];
  const { names, patterns } = usedMetrics(config, ns);
  if (patterns.includes("")) return [];
  return [{ sourceLabels: ["__name__"], regex: keepRegex(names, patterns), action: "keep" }];
}

/**
 * The Prometheus resource's `remoteWrite` (monitoring.coreos.com/v1 RemoteWriteSpec), or [] without a target.
 * `ampWorkspaceId`: the workspace Pulumi made, required with kind "amp".
 */
export function remoteWriteSpec(
  config: StackConfig,
  ns: Namespaces,
  ampWorkspaceId?: pulumi.Input<string>,
): Record<string, unknown>[] {
  const target = remoteWriteTarget(config);
  if (!target) return [];
  const relabel = writeRelabelConfigs(config, ns);
  const common = {
    name: REMOTE_WRITE_NAME,
    queueConfig: queueConfigFor(samplesPerSecond(config), config.capacity.headroomPercent),
    ...(relabel.length > 0 ? { writeRelabelConfigs: relabel } : {}),
  };
  const secretKey = (key: string) => ({ name: REMOTE_WRITE_SECRET.name, key });
  if (target.kind === "amp") {
    const region = config.aws.region;
    if (!region || ampWorkspaceId === undefined)
      throw new Error('distributed.prometheus.remoteWrite.kind "amp" needs aws.region and the workspace Pulumi made');
    const url =
      typeof ampWorkspaceId === "string"
        ? ampWorkspaceUrls(region, ampWorkspaceId).remoteWrite
        : pulumi.output(ampWorkspaceId).apply((id) => ampWorkspaceUrls(region, id).remoteWrite);
    // SigV4 with the pod's credentials (IRSA / Pod Identity on the Prometheus ServiceAccount), no keys
    return [{ ...common, url, sigv4: { region } }];
  }
  const K = REMOTE_WRITE_SECRET.keys;
  const auth =
    target.auth === "basic"
      ? { basicAuth: { username: secretKey(K.username), password: secretKey(K.password) } }
      : target.auth === "bearer"
        ? { authorization: { type: "Bearer", credentials: secretKey(K.token) } }
        : {};
  return [{ ...common, url: target.url, ...auth }];
}

/** The keys of the credentials Secret for a URL target with auth, by the Pulumi secret filling each; {} otherwise. */
export function remoteWriteSecretKeys(config: StackConfig) {
  const target = remoteWriteTarget(config);
  const K = REMOTE_WRITE_SECRET.keys;
  if (target?.kind !== "url") return {};
  if (target.auth === "basic")
    return { [K.username]: "remoteWriteUsername", [K.password]: "remoteWritePassword" } as const;
  if (target.auth === "bearer") return { [K.token]: "remoteWriteBearerToken" } as const;
  return {};
}

/** prometheusSpec values of the distributed mode: replicas, anti-affinity, remote write; {} in single. */
export function distributedPrometheusSpec(
  config: StackConfig,
  ns: Namespaces,
  ampWorkspaceId?: pulumi.Input<string>,
): Record<string, unknown> {
  if (config.scale !== "distributed") return {};
  const remoteWrite = remoteWriteSpec(config, ns, ampWorkspaceId);
  return {
    replicas: prometheusReplicas(config),
    podAntiAffinity: ANTI_AFFINITY.mode,
    podAntiAffinityTopologyKey: ANTI_AFFINITY.topologyKey,
    ...(remoteWrite.length > 0 ? { remoteWrite } : {}),
  };
}

/** Grafana's datasource on the AMP workspace: Prometheus over SigV4 with Grafana's role. */
export function ampDatasource(
  region: string,
  workspaceId: pulumi.Input<string>,
  uid: string,
): pulumi.Output<Record<string, unknown>> {
  return pulumi.output(workspaceId).apply(
    (id): Record<string, unknown> => ({
      name: "Amazon Managed Prometheus",
      uid,
      type: "prometheus",
      access: "proxy",
      url: ampWorkspaceUrls(region, id).query,
      jsonData: { sigV4Auth: true, sigV4AuthType: "default", sigV4Region: region, httpMethod: "POST" },
    }),
  );
}
