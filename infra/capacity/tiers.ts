import { SERVICE_NAMES } from "../../contract";
import type { StackConfig } from "../config/schema";
import { QUEUE_GUIDANCE, queueConfigFor } from "../monitoring/remote-write";
import { durationSeconds } from "../preflight/checks/rendered-config/units";
import { GIB, keptShare } from "./sizing";

/**
 * Throughput of each `distributed` tier from per-replica figures in upstream sizing guidance, against the
 * stack's expected load from its `capacity` block. Pure: preflight prints it, docs/scaling.md tabulates it.
 */

/**
 * One collector core: 15,000 spans/s, or 7,500 spans/s plus 10,000 data points/s when it also makes
 * metrics (Splunk's sizing of its OpenTelemetry Collector distribution,
 * https://docs.splunk.com/observability/en/gdi/opentelemetry/sizing.html). The gateway only forwards
 * spans; the sampler also computes span metrics, hence the second figure.
 */
export const GATEWAY_SPANS_PER_CORE = 15_000;
export const SAMPLER_SPANS_PER_CORE = 7_500;
/** CPU per collector replica when the stack sets no resources: the unit the figures above are given in. */
export const DEFAULT_COLLECTOR_CORES = 1;

/**
 * Loki's sizing guide sizes its smallest tier, under 3 TB/day, with 6 ingesters at replication factor 3
 * (https://grafana.com/docs/loki/latest/setup/size/): 0.5 TB/day (~5.8 MB/s) of pushed logs per ingester.
 * A write replica of the simple scalable mode is a distributor + ingester. Other replication factors
 * scale it by 3 / factor (each stream is written to `factor` ingesters).
 */
export const LOKI_BYTES_PER_WRITE_REPLICA = 3e12 / 86_400 / 6;
const LOKI_GUIDE_REPLICATION = 3;

/**
 * Remote write of each Prometheus replica: the queue the stack configures (infra/monitoring/remote-write.ts,
 * sized from the same capacity model), max_shards × samples per shard per second. Every HA replica sends every
 * sample, so replicas add no remote-write capacity.
 */
const remoteWriteShardSamplesPerSecond = QUEUE_GUIDANCE.maxSamplesPerSend / QUEUE_GUIDANCE.sendLatencySeconds;

/**
 * Disk OpenSearch needs per byte of source data: × (1 + replicas) × 1.45 (index overhead, Linux reserve,
 * service reserve), Amazon's storage rule (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/bp-storage.html).
 * Jaeger writes one replica per index (infra/tracing/jaeger-config.ts).
 */
export const OPENSEARCH_OVERHEAD = 1.45;
export const OPENSEARCH_INDEX_REPLICAS = 1;

export const TIERS = [
  "collector gateway",
  "collector sampler",
  "loki write",
  "jaeger opensearch",
  "prometheus remote write",
] as const;
export type Tier = (typeof TIERS)[number];

export interface TierCapacity {
  tier: Tier;
  /** The stack config key to raise when the tier is short. */
  key: string;
  unit: "spans/s" | "bytes/s" | "samples/s";
  replicas: number;
  perReplica: number;
  capacity: number;
  /** The load the tier must carry: the peak (the average for OpenSearch, whose disk fills at the average). */
  load: number;
  /** load × (1 + capacity.headroomPercent / 100). */
  loadWithHeadroom: number;
  /** ok: capacity covers the headroom; no-headroom: it covers the load only; undersized: below the load. */
  verdict: "ok" | "no-headroom" | "undersized";
}

/** Kubernetes CPU quantity ("500m", "1", "1.5") in cores; an error names the field. */
export function cpuCores(quantity: string, field: string): number {
  const m = /^(\d+)m$/.exec(quantity);
  const cores = m ? Number(m[1]) / 1000 : /^\d+(\.\d+)?$/.test(quantity) ? Number(quantity) : Number.NaN;
  if (!(cores > 0)) throw new RangeError(`${field} must be a CPU quantity such as "500m" or "1", got ${quantity}`);
  return cores;
}

const collectorCores = (r: { cpuRequest: string; cpuLimit?: string } | undefined, field: string) =>
  r
    ? cpuCores(r.cpuLimit ?? r.cpuRequest, `${field}.${r.cpuLimit ? "cpuLimit" : "cpuRequest"}`)
    : DEFAULT_COLLECTOR_CORES;

function tier(
  base: Omit<TierCapacity, "capacity" | "loadWithHeadroom" | "verdict">,
  headroomPercent: number,
): TierCapacity {
  const capacity = base.replicas * base.perReplica;
  const loadWithHeadroom = (base.load * (100 + headroomPercent)) / 100;
  const verdict = capacity >= loadWithHeadroom ? "ok" : capacity >= base.load ? "no-headroom" : "undersized";
  return { ...base, capacity, loadWithHeadroom, verdict };
}

/** Every distributed tier's capacity for this stack (computed from `distributed`, filled with defaults even in `single`). */
export function tierCapacity(config: StackConfig): TierCapacity[] {
  const { capacity: c, distributed: d, traces, slo, logs, metrics } = config;
  const h = c.headroomPercent;
  const peakSpans = c.peakRps * c.spansPerRequest;
  const gw = d.collector.gateway;
  const sampler = d.collector.sampler;

  const logShare = logs.sampleAccessLogs ? keptShare(traces.samplingPercentage, slo) : 1;
  const peakLogBytes = c.peakRps * c.logBytesPerRequest * logShare + c.platformLogBytesPerSecond;

  // Kept spans at the average rate, stored for the retention, against the domain's disk.
  const keptSpans = c.peakRps * c.averageToPeakRatio * c.spansPerRequest * keptShare(traces.samplingPercentage, slo);
  const os = d.jaeger.opensearch;
  const bytesPerStoredSpan = c.bytesPerSpan * (1 + OPENSEARCH_INDEX_REPLICAS) * OPENSEARCH_OVERHEAD;
  const spansPerNode = (os.storageGi * GIB) / bytesPerStoredSpan / (traces.retentionHours * 3600);

  // The most series the services can add (each at its HPA maximum), as the storage projection counts them.
  const maxReplicas = SERVICE_NAMES.reduce((sum, name) => sum + config.services[name].maxReplicas, 0);
  const activeSeries = c.platformActiveSeries + c.activeSeriesPerReplica * maxReplicas;
  const scrapeS = durationSeconds(metrics.scrapeInterval, "prometheus") ?? Number.NaN;

  return [
    tier(
      {
        tier: "collector gateway",
        key: "distributed.collector.gateway.maxReplicas",
        unit: "spans/s",
        replicas: gw.maxReplicas,
        perReplica: GATEWAY_SPANS_PER_CORE * collectorCores(gw.resources, "distributed.collector.gateway.resources"),
        load: peakSpans,
      },
      h,
    ),
    tier(
      {
        tier: "collector sampler",
        key: "distributed.collector.sampler.replicas",
        unit: "spans/s",
        replicas: sampler.replicas,
        perReplica:
          SAMPLER_SPANS_PER_CORE * collectorCores(sampler.resources, "distributed.collector.sampler.resources"),
        load: peakSpans,
      },
      h,
    ),
    tier(
      {
        tier: "loki write",
        key: "distributed.loki.write",
        unit: "bytes/s",
        replicas: d.loki.write,
        perReplica: (LOKI_BYTES_PER_WRITE_REPLICA * LOKI_GUIDE_REPLICATION) / d.loki.replicationFactor,
        load: peakLogBytes,
      },
      h,
    ),
    tier(
      {
        tier: "jaeger opensearch",
        key: "distributed.jaeger.opensearch.storageGi",
        unit: "spans/s",
        replicas: os.nodes,
        perReplica: spansPerNode,
        load: keptSpans,
      },
      h,
    ),
    tier(
      {
        tier: "prometheus remote write",
        key: "distributed.prometheus.keepOnlyUsedMetrics",
        unit: "samples/s",
        replicas: queueConfigFor(activeSeries / scrapeS, h).maxShards,
        perReplica: remoteWriteShardSamplesPerSecond,
        load: activeSeries / scrapeS,
      },
      h,
    ),
  ];
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : String(Math.round(n * 100) / 100));

/** `collector gateway: 6 × 15,000 = 90,000 spans/s for a peak of 1,400 (1,820 with headroom): ok`. */
export function describeTier(t: TierCapacity): string {
  return `${t.tier}: ${t.replicas} × ${fmt(t.perReplica)} = ${fmt(t.capacity)} ${t.unit} for ${t.tier === "jaeger opensearch" ? "an average" : "a peak"} of ${fmt(t.load)} (${fmt(t.loadWithHeadroom)} with headroom): ${t.verdict}`;
}

/** Findings for tiers below their load, each naming the key to raise; only where the stack runs `distributed`. */
export function tierFindings(config: StackConfig, tiers: TierCapacity[] = tierCapacity(config)): string[] {
  if (config.scale !== "distributed") return [];
  return tiers
    .filter((t) => t.verdict === "undersized")
    .map((t) => `tier-capacity: ${t.tier} is below its load: ${describeTier(t)}; raise ${t.key}`);
}

/** The docs/scaling.md table: one row per tier, one column per stack. */
export function tierTable(stacks: { stack: string; config: StackConfig }[]): string {
  const head = `| tier | ${stacks.map((s) => `${s.stack} (${s.config.scale})`).join(" | ")} |`;
  const rule = `| --- |${stacks.map(() => " --- |").join("")}`;
  const all = stacks.map((s) => tierCapacity(s.config));
  const rows = TIERS.map((name) => {
    const cells = all.map((tiers) => {
      const t = tiers.find((x) => x.tier === name) as TierCapacity;
      return `${t.replicas} × ${fmt(t.perReplica)} = ${fmt(t.capacity)} ${t.unit} vs ${fmt(t.load)}: ${t.verdict}`;
    });
    return `| ${name} | ${cells.join(" | ")} |`;
  });
  return [head, rule, ...rows].join("\n");
}
