/**
 * The JSON a load test writes to out/loadtest/ and the capacity report reads: one record per stage,
 * with what the client saw and what each service measured itself (deltas of its own /metrics over the
 * stage). The report validates a file against this shape before using it.
 */
import type { ServiceName } from "../../contract";
import type { Percentiles } from "../bench/stats";

export type { Percentiles };

export const LOADTEST_RESULT_SCHEMA = 1;

/** What one service measured itself during a stage, from its /metrics before and after the stage. */
export interface ServiceStage {
  /** Processes (replicas) that served the stage; 1 each on loopback. */
  processes: number;
  /** API requests served (http_server_request_duration_seconds_count, infrastructure paths excluded). */
  requests: number;
  requestsPerSecond: number;
  /** Answers with status ≥ 500. */
  errors5xx: number;
  /** Upper bound of the histogram bucket holding the 99th percentile, seconds; null without requests. */
  p99Seconds: number | null;
  /** Share of requests at or under the SLO latency threshold (the latency SLI over the stage). */
  fastShare: number | null;
  /** process_cpu_seconds_total delta, summed over the processes. */
  cpuSeconds: number;
  cpuSecondsPerRequest: number | null;
  /** process_resident_memory_bytes at the end of the stage, summed over the processes. */
  rssBytes: number;
  /** Series in the service's /metrics exposition at the end of the stage, per process (what Prometheus stores). */
  activeSeries: number;
  /** log_bytes_total delta over requests: stdout bytes per API request, all kinds of line. */
  logBytesPerRequest: number | null;
}

/** Spans the services exported during the stage, when the load test runs them with its own OTLP sink. */
export interface SpanVolume {
  spans: number;
  spansPerRequest: number;
  otlpBytesPerSpan: number;
}

export interface StageResult {
  name: string;
  /** Offered arrival rate, requests per second (open model). */
  targetRps: number;
  durationS: number;
  sent: number;
  /** Got an HTTP answer, whatever the status. */
  answered: number;
  /** Unexpected status (5xx, or 4xx where none was meant), transport failure, timeout or not sent. */
  errors: number;
  /** Invalid requests sent on purpose and answered with the expected 4xx (not errors). */
  expectedClientErrors: number;
  achievedRps: number;
  /** Client-side latency, µs from each request's scheduled send time to the end of its answer. */
  latencyUs: Percentiles;
  byEndpoint: Record<string, Percentiles & { errors: number }>;
  services: Partial<Record<ServiceName, ServiceStage>>;
  /** Absent against an external target (its spans go to its own collector). */
  spans?: SpanVolume;
  /** The stage's thresholds, evaluated (see LoadTestResult.thresholds). */
  passed: boolean;
  failures: string[];
}

export interface MemorySample {
  atS: number;
  service: ServiceName;
  rssBytes: number;
  heapUsedBytes?: number;
}

export interface LoadTestResult {
  schema: typeof LOADTEST_RESULT_SCHEMA;
  scenario: string;
  /** The order service URL driven (product URL too when the mix reads it directly). */
  target: { order: string; product?: string; user?: string };
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  /** Loopback run with `--cpu`: the CFS quota each service was held to, in cores; absent: unlimited. */
  cpuLimitCores?: Record<ServiceName, number>;
  /** Share of successful, fast requests whose access line the services wrote (log bytes depend on it). */
  accessLogSamplingPercent?: number;
  /** Where the thresholds come from: the stack's SLO config. */
  slo: { stack: string; latencyThresholdSeconds: number; availability: number; latency: number };
  thresholds: { p99Seconds: number; errorRatio: number };
  stages: StageResult[];
  /** Memory of the service processes over time (soak; other scenarios may record it too). */
  memory: MemorySample[];
  passed: boolean;
}
