/**
 * What each service measured itself during a stage: its /metrics (Prometheus text format, as
 * prom-client writes it) scraped before and after, reduced to the numbers of a ServiceStage.
 */
import { request } from "undici";
import { INFRA_PATHS, LABELS, METRICS, PATHS } from "../../contract";
import type { ServiceStage } from "./result";

/** prom-client's standard process and runtime metrics the load test reads. */
export const PROCESS_METRICS = {
  cpuSeconds: "process_cpu_seconds_total",
  residentBytes: "process_resident_memory_bytes",
  heapUsedBytes: "nodejs_heap_size_used_bytes",
} as const;

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const UNESCAPE: Record<string, string> = { "\\": "\\", '"': '"', n: "\n" };

/** A sample value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case); undefined when it is none. */
function parseValue(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === "nan") return Number.NaN;
  if (lower === "+inf" || lower === "inf") return Number.POSITIVE_INFINITY;
  if (lower === "-inf") return Number.NEGATIVE_INFINITY;
  const value = text.trim() === "" ? Number.NaN : Number(text);
  return Number.isNaN(value) ? undefined : value;
}

/** The sample lines of a Prometheus text exposition (comments and blank lines skipped); throws on a malformed line. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const bad = (why: string) =>
      new Error(`/metrics line ${index + 1} is not a sample (${why}): ${line.slice(0, 120)}`);
    const nameEnd = line.search(/[{\s]/);
    if (nameEnd <= 0) throw bad("no value");
    const name = line.slice(0, nameEnd);
    const labels: Record<string, string> = {};
    let i = nameEnd;
    if (line[i] === "{") {
      i++;
      while (line[i] !== "}") {
        const eq = line.indexOf("=", i);
        if (eq < 0 || line[eq + 1] !== '"') throw bad("label without a quoted value");
        const key = line.slice(i, eq).trim();
        let value = "";
        let j = eq + 2;
        for (; j < line.length && line[j] !== '"'; j++) {
          if (line[j] === "\\") value += UNESCAPE[line[++j] as string] ?? `\\${line[j]}`;
          else value += line[j];
        }
        if (j >= line.length) throw bad("unterminated label value");
        labels[key] = value;
        i = j + 1;
        if (line[i] === ",") i++;
        if (i >= line.length) throw bad("unterminated label set");
      }
      i++;
    }
    const [valueText] = line.slice(i).trim().split(/\s+/);
    const value = parseValue(valueText ?? "");
    if (value === undefined) throw bad("no numeric value");
    samples.push({ name, labels, value });
  }
  return samples;
}

/** The parts of one scrape a stage needs; histogram buckets summed over the API series. */
export interface MetricsSnapshot {
  /** API requests (infrastructure paths excluded). */
  requests: number;
  errors5xx: number;
  /** Cumulative count per bucket upper bound (Infinity: +Inf), API requests only. */
  buckets: Map<number, number>;
  /** Undefined when the exposition has no process_cpu_seconds_total (then CPU per request is not measured). */
  cpuSeconds?: number;
  rssBytes: number;
  heapUsedBytes?: number;
  logBytes: number;
  /** Sample lines: the series Prometheus stores per scrape of this process. */
  series: number;
}

const isApi = (labels: Record<string, string>) => !INFRA_PATHS.includes(labels[LABELS.route] ?? "");

export function snapshot(samples: readonly Sample[]): MetricsSnapshot {
  const snap: MetricsSnapshot = {
    requests: 0,
    errors5xx: 0,
    buckets: new Map(),
    rssBytes: 0,
    logBytes: 0,
    series: samples.length,
  };
  const duration = METRICS.serverDuration;
  for (const { name, labels, value } of samples) {
    if (name === `${duration}_count` && isApi(labels)) {
      snap.requests += value;
      if (Number(labels[LABELS.status]) >= 500) snap.errors5xx += value;
    } else if (name === `${duration}_bucket` && isApi(labels)) {
      const le = parseValue(labels.le ?? "");
      if (le === undefined || Number.isNaN(le)) throw new Error(`${duration}_bucket with le="${labels.le}"`);
      snap.buckets.set(le, (snap.buckets.get(le) ?? 0) + value);
    } else if (name === PROCESS_METRICS.cpuSeconds) snap.cpuSeconds = (snap.cpuSeconds ?? 0) + value;
    else if (name === PROCESS_METRICS.residentBytes) snap.rssBytes += value;
    else if (name === PROCESS_METRICS.heapUsedBytes) snap.heapUsedBytes = (snap.heapUsedBytes ?? 0) + value;
    else if (name === METRICS.logBytes) snap.logBytes += value;
  }
  return snap;
}

/** A counter's increase; a decrease means the process restarted, and then its count since is the increase. */
export const increase = (before: number, after: number): number => (after >= before ? after - before : after);

/**
 * The upper bound of the bucket holding the nearest-rank `p`th percentile of a cumulative histogram
 * (Infinity when it is the +Inf bucket); null without observations.
 */
export function bucketQuantile(cumulative: ReadonlyMap<number, number>, p: number): number | null {
  const bounds = [...cumulative.keys()].sort((a, b) => a - b);
  const total = cumulative.get(Number.POSITIVE_INFINITY) ?? cumulative.get(bounds.at(-1) as number) ?? 0;
  if (!(total > 0)) return null;
  const rank = Math.ceil((p / 100) * total);
  return bounds.find((le) => (cumulative.get(le) as number) >= rank) ?? Number.POSITIVE_INFINITY;
}

/** The bucket counts gained between two snapshots. */
export function bucketIncrease(before: MetricsSnapshot, after: MetricsSnapshot): Map<number, number> {
  return new Map([...after.buckets].map(([le, count]) => [le, increase(before.buckets.get(le) ?? 0, count)]));
}

/**
 * One service over a stage. p99Seconds is null without requests, and also when the 99th percentile is
 * beyond the largest finite bucket: then `p99AboveBuckets` is set (the thresholds report it).
 */
export function serviceStage(
  before: MetricsSnapshot,
  after: MetricsSnapshot,
  options: { durationS: number; latencyThresholdSeconds: number },
): { stage: ServiceStage; p99AboveBuckets: boolean } {
  const requests = increase(before.requests, after.requests);
  const buckets = bucketIncrease(before, after);
  const p99 = bucketQuantile(buckets, 99);
  const fast = buckets.get(options.latencyThresholdSeconds);
  if (requests > 0 && fast === undefined) {
    throw new Error(`no histogram bucket at the SLO latency threshold (${options.latencyThresholdSeconds} s)`);
  }
  const cpuMeasured = before.cpuSeconds !== undefined && after.cpuSeconds !== undefined;
  const cpuSeconds = cpuMeasured ? increase(before.cpuSeconds as number, after.cpuSeconds as number) : 0;
  const stage: ServiceStage = {
    processes: 1,
    requests,
    requestsPerSecond: options.durationS > 0 ? requests / options.durationS : 0,
    errors5xx: increase(before.errors5xx, after.errors5xx),
    p99Seconds: p99 !== null && Number.isFinite(p99) ? p99 : null,
    fastShare: requests > 0 ? (fast as number) / requests : null,
    cpuSeconds,
    cpuSecondsPerRequest: requests > 0 && cpuMeasured ? cpuSeconds / requests : null,
    rssBytes: after.rssBytes,
    activeSeries: after.series,
    logBytesPerRequest: requests > 0 ? increase(before.logBytes, after.logBytes) / requests : null,
  };
  return { stage, p99AboveBuckets: p99 === Number.POSITIVE_INFINITY };
}

const SCRAPE_TIMEOUT_MS = 5_000;

/**
 * One service's /metrics in the Prometheus text format, on its own connection (undici's global
 * dispatcher, not the load's pools): a scrape does not queue behind the load, as Prometheus does not.
 */
export async function scrape(baseUrl: string): Promise<MetricsSnapshot> {
  const res = await request(baseUrl + PATHS.metrics, {
    headers: { accept: "text/plain" },
    signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${PATHS.metrics} answered ${res.statusCode}`);
  return snapshot(parseExposition(text));
}
