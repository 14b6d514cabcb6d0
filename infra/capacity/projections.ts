import { SERVICE_NAMES } from "../../contract";
import type { CHUNK_ENCODINGS, StackConfig } from "../config/schema";
import { durationSeconds } from "../preflight/checks/rendered-config/units";
import {
  jaegerDiskGi,
  keptShare,
  LOKI_COMPRESSION_RATIO,
  lokiDiskGi,
  prometheusDiskGi,
  type StorageProjection,
} from "./sizing";

// Every encoding the schema accepts has a ratio (a new encoding fails to compile here).
const RATIOS: Record<(typeof CHUNK_ENCODINGS)[number], number> = LOKI_COMPRESSION_RATIO;

/** A projection with the stack config key it is checked against. */
export interface KeyedProjection extends StorageProjection {
  /** The config key holding `configuredGi`, e.g. `metrics.retentionSizeGi`. */
  key: string;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * The disk each store needs for a stack, from its `capacity` volumes (measured defaults or the capacity
 * report's numbers), the average rate (peak × averageToPeakRatio: stores fill at the average), retention,
 * sampling and chunk encoding, against the size the stack gives it. Traces only when Jaeger stores them
 * on disk (persistent storage); in memory `traces.maxTracesInMemory` bounds them instead.
 */
export function storageProjections(config: StackConfig): KeyedProjection[] {
  const { capacity: c, metrics, logs, traces, slo } = config;
  const averageRps = c.peakRps * c.averageToPeakRatio;

  // Every service at its HPA maximum: the most series the services can add.
  const maxReplicas = SERVICE_NAMES.reduce((sum, name) => sum + config.services[name].maxReplicas, 0);
  const activeSeries = c.platformActiveSeries + c.activeSeriesPerReplica * maxReplicas;
  const scrapeIntervalS = durationSeconds(metrics.scrapeInterval, "prometheus") ?? Number.NaN;
  const metricsNeeded = prometheusDiskGi({ activeSeries, scrapeIntervalS, retentionDays: metrics.retentionDays });

  // Access lines of fast, successful requests follow the trace sampling when sampleAccessLogs is on.
  const logShare = logs.sampleAccessLogs ? keptShare(traces.samplingPercentage, slo) : 1;
  const compressionRatio = RATIOS[logs.chunks.encoding];
  const serviceLogsGi = lokiDiskGi({
    logBytesPerRequest: c.logBytesPerRequest * logShare,
    averageRps,
    retentionDays: logs.retentionDays,
    compressionRatio,
  });
  // The platform's own lines: a rate of bytes, i.e. bytes per "request" at one request per second.
  const platformLogsGi = lokiDiskGi({
    logBytesPerRequest: c.platformLogBytesPerSecond,
    averageRps: 1,
    retentionDays: logs.retentionDays,
    compressionRatio,
  });

  const projections: KeyedProjection[] = [
    {
      signal: "metrics",
      key: "metrics.retentionSizeGi",
      neededGi: metricsNeeded,
      configuredGi: metrics.retentionSizeGi,
      inputs: {
        activeSeries,
        platformActiveSeries: c.platformActiveSeries,
        activeSeriesPerReplica: c.activeSeriesPerReplica,
        "sum of services.*.maxReplicas": maxReplicas,
        scrapeInterval: metrics.scrapeInterval,
        retentionDays: metrics.retentionDays,
      },
      ok: metricsNeeded <= metrics.retentionSizeGi,
    },
    {
      signal: "logs",
      key: "logs.storageGi",
      neededGi: serviceLogsGi + platformLogsGi,
      configuredGi: logs.storageGi,
      inputs: {
        averageRps: round(averageRps),
        logBytesPerRequest: c.logBytesPerRequest,
        "share of lines written": round(logShare, 4),
        platformLogBytesPerSecond: c.platformLogBytesPerSecond,
        retentionDays: logs.retentionDays,
        encoding: logs.chunks.encoding,
        compressionRatio,
      },
      ok: serviceLogsGi + platformLogsGi <= logs.storageGi,
    },
  ];

  if (config.storage.persistent) {
    const samplingPercentage = keptShare(traces.samplingPercentage, slo) * 100;
    const tracesNeeded = jaegerDiskGi({
      spansPerRequest: c.spansPerRequest,
      samplingPercentage,
      bytesPerSpan: c.bytesPerSpan,
      averageRps,
      retentionHours: traces.retentionHours,
    });
    projections.push({
      signal: "traces",
      key: "traces.storageGi",
      neededGi: tracesNeeded,
      configuredGi: traces.storageGi,
      inputs: {
        averageRps: round(averageRps),
        spansPerRequest: c.spansPerRequest,
        "share of traces kept": round(samplingPercentage / 100, 4),
        bytesPerSpan: c.bytesPerSpan,
        retentionHours: traces.retentionHours,
      },
      ok: tracesNeeded <= traces.storageGi,
    });
  }
  return projections;
}

/** One line per projection: `logs.storageGi = 5 Gi, projected 1.23 Gi (averageRps=5, …)`. */
export function describeProjection(p: KeyedProjection): string {
  const inputs = Object.entries(p.inputs)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  return `${p.key} = ${p.configuredGi} Gi, projected ${round(p.neededGi)} Gi for ${p.signal} (${inputs})`;
}
