/**
 * Storage per signal for one environment: the preflight's projections (infra/capacity/projections.ts)
 * run on the stack's `capacity` block with the run's measured volumes put in, judged with what to change.
 */
import { SERVICE_NAMES, type ServiceName } from "../../contract";
import { type KeyedProjection, storageProjections } from "../../infra/capacity/projections";
import type { StackConfig } from "../../infra/config/schema";
import type { MeasuredVolumes } from "./volumes";

/** A volume and where it came from: this run's measurement, or the stack config's `capacity` block. */
export interface Volume {
  value: number;
  source: "measured" | "config";
}

/** The volumes a stack's projections use, per order request unless the name says otherwise. */
export interface VolumesUsed {
  /** Series each replica of a service adds (measured: its own /metrics exposition). */
  activeSeriesPerReplica: Record<ServiceName, Volume>;
  /** Series that do not grow with the services (cluster, platform): never measured by a load test. */
  platformActiveSeries: Volume;
  logBytesPerOrderRequest: Volume;
  platformLogBytesPerSecond: Volume;
  spansPerOrderRequest: Volume;
  bytesPerSpan: Volume;
  /** Traces started per order request: fills Jaeger's in-memory store (1 without a measurement). */
  tracesPerOrderRequest: Volume;
}

const pick = (measured: number | undefined, config: number): Volume =>
  measured === undefined || !Number.isFinite(measured)
    ? { value: config, source: "config" }
    : { value: measured, source: "measured" };

/**
 * A stored span is its encoded size plus Badger's index keys: the config's bytesPerSpan is that stored
 * size, the run measures only the OTLP size. The larger wins, so the report never projects less than
 * preflight for the same traffic.
 */
function storedBytesPerSpan(measuredOtlp: number | undefined, configStored: number): Volume {
  return measuredOtlp !== undefined && Number.isFinite(measuredOtlp) && measuredOtlp > configStored
    ? { value: measuredOtlp, source: "measured" }
    : { value: configStored, source: "config" };
}

/** The measurement where the run has it, the stack config's value where it does not. */
export function volumesUsed(measured: MeasuredVolumes, capacity: StackConfig["capacity"]): VolumesUsed {
  return {
    activeSeriesPerReplica: Object.fromEntries(
      SERVICE_NAMES.map((s) => [s, pick(measured.activeSeriesPerProcess[s], capacity.activeSeriesPerReplica)]),
    ) as Record<ServiceName, Volume>,
    platformActiveSeries: pick(undefined, capacity.platformActiveSeries),
    logBytesPerOrderRequest: pick(measured.logBytesPerOrderRequest, capacity.logBytesPerRequest),
    platformLogBytesPerSecond: pick(undefined, capacity.platformLogBytesPerSecond),
    spansPerOrderRequest: pick(measured.spansPerOrderRequest, capacity.spansPerRequest),
    bytesPerSpan: storedBytesPerSpan(measured.bytesPerSpan, capacity.bytesPerSpan),
    tracesPerOrderRequest: pick(measured.tracesPerOrderRequest, 1),
  };
}

/**
 * The stack config with the volumes put into its `capacity` block. The projection counts one series
 * figure per replica at every service's maxReplicas; the maxReplicas-weighted mean of the services'
 * measured figures gives the same total.
 */
export function withVolumes(config: StackConfig, v: VolumesUsed): StackConfig {
  const max = SERVICE_NAMES.map((s) => config.services[s].maxReplicas);
  const series = SERVICE_NAMES.reduce((sum, s, i) => sum + v.activeSeriesPerReplica[s].value * (max[i] as number), 0);
  return {
    ...config,
    capacity: {
      ...config.capacity,
      activeSeriesPerReplica: series / max.reduce((a, b) => a + b, 0),
      platformActiveSeries: v.platformActiveSeries.value,
      logBytesPerRequest: v.logBytesPerOrderRequest.value,
      platformLogBytesPerSecond: v.platformLogBytesPerSecond.value,
      spansPerRequest: v.spansPerOrderRequest.value,
      bytesPerSpan: v.bytesPerSpan.value,
    },
  };
}

export interface StorageVerdict extends KeyedProjection {
  /** What to change; empty: nothing. */
  verdicts: string[];
  /** What the number means here (ephemeral store, in memory, what is left out). */
  notes: string[];
  /** False when the configured size is not what holds the data (Jaeger in memory). */
  applies: boolean;
}

/** Prometheus' size-based retention at 80 % of its volume, as every stack file sets it (4/5, 40/50, 160/200). */
const RETENTION_SHARE_OF_VOLUME = 0.8;

function verdictsOf(p: KeyedProjection, config: StackConfig): string[] {
  if (p.ok) return [];
  const need = Math.ceil(p.neededGi);
  if (p.signal === "metrics") {
    const m = config.metrics;
    const keeps = (m.retentionDays * m.retentionSizeGi) / p.neededGi;
    const volume = Math.ceil(need / RETENTION_SHARE_OF_VOLUME);
    return [
      `raise ${p.key} to ${need}${volume > m.storageGi ? ` and metrics.storageGi to ${volume}` : ""} (until then size-based retention keeps ≈ ${keeps.toFixed(1)} of ${m.retentionDays} days)`,
    ];
  }
  return [
    `raise ${p.key} to ${need}, or lower the ${p.signal === "logs" ? "retentionDays" : "retentionHours or samplingPercentage"}`,
  ];
}

function notesOf(p: KeyedProjection, config: StackConfig, v: VolumesUsed): string[] {
  const ephemeral = !config.storage.persistent;
  switch (p.signal) {
    case "metrics":
      return [
        "every service at maxReplicas; the services' series are their own /metrics (a pod's cAdvisor and kube-state-metrics series are in platformActiveSeries or not counted); each Prometheus replica stores everything",
        ...(ephemeral ? ["not persistent: emptyDir on the node, lost with the pod"] : []),
      ];
    case "logs":
      return [
        ...(config.logs.sampleAccessLogs
          ? [
              "sampled access lines: the kept traces' share, plus the errors and slow requests the SLOs allow (always written)",
            ]
          : []),
        ...(ephemeral ? ["not persistent: Loki's volume is off, chunks live on the node's disk"] : []),
        ...(config.aws.enabled ? ["aws.enabled: chunks go to S3; the volume holds the WAL and the index cache"] : []),
      ];
    case "traces":
      return v.bytesPerSpan.source === "measured"
        ? [
            "bytes per span: the OTLP size the services export, above the configured stored size; Badger's index keys come on top",
          ]
        : [
            "bytes per span: the configured stored size (capacity.bytesPerSpan, index keys included), not the smaller OTLP size the run measured",
          ];
  }
}

/** Jaeger in memory keeps the newest maxTracesInMemory traces: how long they cover at the average rate. */
function inMemoryNote(config: StackConfig, v: VolumesUsed): string {
  const t = config.traces;
  const keptPerS =
    config.capacity.peakRps *
    config.capacity.averageToPeakRatio *
    v.tracesPerOrderRequest.value *
    (t.samplingPercentage / 100);
  const hours = keptPerS > 0 ? t.maxTracesInMemory / keptPerS / 3600 : Number.POSITIVE_INFINITY;
  const span = hours < 1 ? `${(hours * 60).toFixed(0)} min` : `${hours.toFixed(1)} h`;
  return `in memory (storage.persistent: false): the newest ${t.maxTracesInMemory.toLocaleString("en-US")} traces, ≈ ${span} of sampled traces at the average rate; the projection is what a disk would need, storageGi and retentionHours do not apply`;
}

/** Metrics, logs and traces of one stack, with the run's volumes. */
export function storagePlans(config: StackConfig, volumes: VolumesUsed): StorageVerdict[] {
  const measured = withVolumes(config, volumes);
  const projections = storageProjections(measured);
  const verdicts: StorageVerdict[] = projections.map((p) => ({
    ...p,
    verdicts: verdictsOf(p, config),
    notes: notesOf(p, config, volumes),
    applies: true,
  }));
  if (!config.storage.persistent) {
    // The projections leave out an in-memory Jaeger; show what it would need on disk, judged by nothing.
    const onDisk = storageProjections({ ...measured, storage: { ...measured.storage, persistent: true } });
    const traces = onDisk.find((p) => p.signal === "traces");
    if (traces) {
      verdicts.push({ ...traces, ok: true, verdicts: [], notes: [inMemoryNote(config, volumes)], applies: false });
    }
  }
  return verdicts;
}
