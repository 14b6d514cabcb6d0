/**
 * Capacity and storage sizing: pure arithmetic shared by the stack config checks (preflight), the
 * capacity report and the docs (docs/capacity.md). Sizes are in GiB (2^30 bytes), the unit of
 * the stack config's `storageGi` keys. Every default below states where it comes from.
 */

export const GIB = 2 ** 30;
const SECONDS_PER_DAY = 86_400;

/** Bad arguments are programming or config errors: name the argument and what is allowed. */
function requireNumber(name: string, value: number, min: number, opts: { exclusiveMin?: boolean } = {}): void {
  const ok = Number.isFinite(value) && (opts.exclusiveMin ? value > min : value >= min);
  if (!ok)
    throw new RangeError(`${name} must be a finite number ${opts.exclusiveMin ? ">" : "≥"} ${min}, got ${value}`);
}

/** Replicas a service needs at peak: ceil(peakRps × (1 + headroomPercent/100) / capacityPerReplicaRps), at least 1. */
export function replicasNeeded(peakRps: number, headroomPercent: number, capacityPerReplicaRps: number): number {
  requireNumber("peakRps", peakRps, 0);
  requireNumber("headroomPercent", headroomPercent, 0);
  requireNumber("capacityPerReplicaRps", capacityPerReplicaRps, 0, { exclusiveMin: true });
  // (100 + h)/100 instead of 1 + h/100 keeps whole inputs exact (1 + 20/100 is not 1.2 in binary);
  // the epsilon stops 3.0000000000000004 from becoming 4 replicas.
  const exact = (peakRps * (100 + headroomPercent)) / 100 / capacityPerReplicaRps;
  return Math.max(1, Math.ceil(exact - 1e-9));
}

/**
 * Whether the HPA CPU target is below the CPU utilisation a replica reaches at its knee (it must be, or the HPA scales too late).
 * Utilisation is what the HPA measures: CPU used / CPU request, so at the knee it is
 * kneeRps × cpuSecondsPerRequest / cpuRequestCores × 100 %. A target at or above it means the HPA adds
 * replicas only after latency has already bent upwards.
 */
export function hpaTargetBelowKnee(args: {
  cpuTargetPercent: number;
  cpuSecondsPerRequest: number;
  kneeRps: number;
  cpuRequestCores: number;
}): { utilisationAtKneePercent: number; ok: boolean } {
  requireNumber("cpuTargetPercent", args.cpuTargetPercent, 0, { exclusiveMin: true });
  requireNumber("cpuSecondsPerRequest", args.cpuSecondsPerRequest, 0);
  requireNumber("kneeRps", args.kneeRps, 0);
  requireNumber("cpuRequestCores", args.cpuRequestCores, 0, { exclusiveMin: true });
  const utilisationAtKneePercent = ((args.kneeRps * args.cpuSecondsPerRequest) / args.cpuRequestCores) * 100;
  return { utilisationAtKneePercent, ok: args.cpuTargetPercent < utilisationAtKneePercent };
}

export interface StorageProjection {
  signal: "metrics" | "logs" | "traces";
  neededGi: number;
  configuredGi: number;
  inputs: Record<string, number | string>;
  ok: boolean;
}

/**
 * Bytes per stored sample. The Prometheus storage docs ("Operational aspects") give 1–2 bytes per
 * sample after compression; 2 is the conservative end (counters with irregular values and histograms
 * compress worse than gauges that rarely change).
 */
export const PROMETHEUS_BYTES_PER_SAMPLE = 2;

/**
 * Disk beyond the compacted blocks, as a share of them: the WAL (at least the last ~2–3 h of samples,
 * stored less densely than blocks) and compaction, which writes a new block before deleting its sources
 * and makes blocks up to 10 % of the retention (Prometheus storage docs, "Compaction"). 0.3 covers both
 * for retentions of days to weeks.
 */
export const PROMETHEUS_OVERHEAD = 0.3;

/**
 * Prometheus: activeSeries × (86400 / scrapeIntervalS) samples/day × retentionDays × bytesPerSample × (1 + overhead),
 * defaults PROMETHEUS_BYTES_PER_SAMPLE (2) and PROMETHEUS_OVERHEAD (0.3) for WAL, head and compaction.
 */
export function prometheusDiskGi(args: {
  activeSeries: number;
  scrapeIntervalS: number;
  retentionDays: number;
  bytesPerSample?: number;
  overhead?: number;
}): number {
  const { activeSeries, scrapeIntervalS, retentionDays } = args;
  const bytesPerSample = args.bytesPerSample ?? PROMETHEUS_BYTES_PER_SAMPLE;
  const overhead = args.overhead ?? PROMETHEUS_OVERHEAD;
  requireNumber("activeSeries", activeSeries, 0);
  requireNumber("scrapeIntervalS", scrapeIntervalS, 0, { exclusiveMin: true });
  requireNumber("retentionDays", retentionDays, 0);
  requireNumber("bytesPerSample", bytesPerSample, 0, { exclusiveMin: true });
  requireNumber("overhead", overhead, 0);
  const samplesPerDay = activeSeries * (SECONDS_PER_DAY / scrapeIntervalS);
  return (samplesPerDay * retentionDays * bytesPerSample * (1 + overhead)) / GIB;
}

/**
 * Share of requests whose access lines and traces are kept when sampling keeps `samplingPercentage` % of
 * the rest: errors and requests slower than the SLO threshold are always kept (the collector's
 * tail-sampling policies, and the services' access-log rule), and the SLOs bound how many there are
 * (1 − availability, 1 − latency objective) as long as they are met.
 */
export function keptShare(samplingPercentage: number, slo: { availability: number; latency: number }): number {
  requireNumber("samplingPercentage", samplingPercentage, 0);
  if (samplingPercentage > 100) throw new RangeError(`samplingPercentage must be ≤ 100, got ${samplingPercentage}`);
  return Math.min(1, samplingPercentage / 100 + (1 - slo.availability) + (1 - slo.latency));
}

/**
 * Raw ÷ stored bytes of the services' JSON log lines per Loki chunk encoding. Measured with node:zlib on
 * 6,856 access lines (1.9 MB, with trace and span ids) of POST /orders and product reads, compressed per
 * service stream in Loki's 256 KB blocks: gzip 8.2×, flate 8.2×, zstd 7.7× (level 3). Snappy and LZ4 are
 * not in Node; byte-oriented LZ77 without entropy coding gets about half of gzip's ratio on such text. The
 * values are rounded down: a low ratio projects more disk. Real traffic with more distinct values (ids,
 * user agents) compresses less; re-measure with a sample of real lines (`gzip -c | wc -c`).
 */
export const LOKI_COMPRESSION_RATIO = {
  snappy: 4,
  "lz4-64k": 4,
  "lz4-256k": 4,
  "lz4-1M": 4,
  gzip: 7,
  flate: 7,
  zstd: 7,
} as const satisfies Record<string, number>;
export type ChunkEncoding = keyof typeof LOKI_COMPRESSION_RATIO;

/**
 * Disk beyond the chunks: the TSDB index (small: a few streams × one entry per chunk), the ingester's WAL
 * (uncompressed lines of chunks not yet flushed, at most maxChunkAge = 2h of them) and the compactor's
 * working copies. 0.2 is the share these take at a few days' retention with 4× compression, where the
 * 2h WAL alone is about 2/24 × 4/3 ≈ 11 % of three days of chunks; longer retentions need less.
 */
export const LOKI_OVERHEAD = 0.2;

/**
 * Loki: logBytesPerRequest × averageRps × 86400 × retentionDays / compressionRatio × (1 + overhead), default
 * LOKI_OVERHEAD (0.2) for index, WAL and compactor; the ratio per encoding is LOKI_COMPRESSION_RATIO.
 */
export function lokiDiskGi(args: {
  logBytesPerRequest: number;
  averageRps: number;
  retentionDays: number;
  compressionRatio: number;
  overhead?: number;
}): number {
  const { logBytesPerRequest, averageRps, retentionDays, compressionRatio } = args;
  const overhead = args.overhead ?? LOKI_OVERHEAD;
  requireNumber("logBytesPerRequest", logBytesPerRequest, 0);
  requireNumber("averageRps", averageRps, 0);
  requireNumber("retentionDays", retentionDays, 0);
  requireNumber("compressionRatio", compressionRatio, 0, { exclusiveMin: true });
  requireNumber("overhead", overhead, 0);
  const rawBytes = logBytesPerRequest * averageRps * SECONDS_PER_DAY * retentionDays;
  return ((rawBytes / compressionRatio) * (1 + overhead)) / GIB;
}

/**
 * Disk beyond the live spans and index keys (which `bytesPerSpan` covers): garbage in Badger's value log.
 * Expired and deleted entries stay in a value-log file until Jaeger's periodic GC rewrites it, and Badger
 * rewrites a file only once half of it is garbage (discard ratio 0.5), so between none and as much dead
 * data as live sits on disk; 0.5 is the middle of that range.
 */
export const JAEGER_OVERHEAD = 0.5;

/**
 * Jaeger (Badger, persistent store): spansPerRequest × samplingPercentage/100 × bytesPerSpan × averageRps × 3600 ×
 * retentionHours × (1 + overhead), default JAEGER_OVERHEAD (0.5) for value-log garbage; bytesPerSpan includes the
 * span's index keys. Pass the share actually kept (keptShare) as samplingPercentage.
 */
export function jaegerDiskGi(args: {
  spansPerRequest: number;
  samplingPercentage: number;
  bytesPerSpan: number;
  averageRps: number;
  retentionHours: number;
  overhead?: number;
}): number {
  const { spansPerRequest, samplingPercentage, bytesPerSpan, averageRps, retentionHours } = args;
  const overhead = args.overhead ?? JAEGER_OVERHEAD;
  requireNumber("spansPerRequest", spansPerRequest, 0);
  requireNumber("samplingPercentage", samplingPercentage, 0);
  if (samplingPercentage > 100) throw new RangeError(`samplingPercentage must be ≤ 100, got ${samplingPercentage}`);
  requireNumber("bytesPerSpan", bytesPerSpan, 0);
  requireNumber("averageRps", averageRps, 0);
  requireNumber("retentionHours", retentionHours, 0);
  requireNumber("overhead", overhead, 0);
  const spans = spansPerRequest * (samplingPercentage / 100) * averageRps * 3600 * retentionHours;
  return (spans * bytesPerSpan * (1 + overhead)) / GIB;
}
