/** Small builders for hand-computed capacity cases: stages of a load-test result and a stack config. */

import type { LoadTestResult, ServiceStage, StageResult } from "../../apps/loadtest/result";
import type { ServiceName } from "../../contract";
import { parseStackConfig, type StackConfig } from "../../infra/config/schema";

export const MIB = 2 ** 20;
export const FIXTURE = `${__dirname}/fixtures/stress.json`;

type ServiceInput = Partial<ServiceStage> & { rps: number };

/** A 10 s stage; each service's requests are its rate × 10 unless given. */
export function stage(
  name: string,
  services: Partial<Record<ServiceName, ServiceInput>>,
  extra: Partial<StageResult> = {},
): StageResult {
  const durationS = 10;
  const built: StageResult["services"] = {};
  for (const [service, input] of Object.entries(services) as [ServiceName, ServiceInput][]) {
    const { rps, ...rest } = input;
    const requests = rest.requests ?? rps * durationS;
    const cpuSecondsPerRequest = rest.cpuSecondsPerRequest ?? 0.001;
    built[service] = {
      processes: 1,
      requests,
      requestsPerSecond: rps,
      errors5xx: 0,
      p99Seconds: 0.05,
      fastShare: 1,
      cpuSeconds: cpuSecondsPerRequest * requests,
      cpuSecondsPerRequest,
      rssBytes: 64 * MIB,
      activeSeries: 100,
      logBytesPerRequest: 300,
      ...rest,
    };
  }
  const order = built.order?.requests ?? 0;
  const latency = { count: order, p50: 2_000, p90: 4_000, p99: 9_000, max: 20_000 };
  return {
    name,
    targetRps: services.order?.rps ?? 0,
    durationS,
    sent: order,
    answered: order,
    errors: 0,
    expectedClientErrors: 0,
    achievedRps: order / durationS,
    latencyUs: latency,
    byEndpoint: { "POST /orders": { ...latency, errors: 0 } },
    services: built,
    passed: true,
    failures: [],
    ...extra,
  };
}

export function result(stages: StageResult[], overrides: Partial<LoadTestResult> = {}): LoadTestResult {
  return {
    schema: 1,
    scenario: "stress",
    target: { order: "http://127.0.0.1:3000" },
    startedAt: "2025-06-01T10:00:00Z",
    finishedAt: "2025-06-01T10:01:00Z",
    machine: { cpus: 2, cpuModel: "test cpu", memoryGiB: 4, node: "v24.0.0" },
    slo: { stack: "prod", latencyThresholdSeconds: 0.5, availability: 0.999, latency: 0.99 },
    thresholds: { p99Seconds: 0.5, errorRatio: 0.001 },
    stages,
    memory: [],
    passed: true,
    ...overrides,
  };
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(base[k]) ? merge(base[k], v) : v;
  return out;
}

const service = {
  replicas: 1,
  maxReplicas: 4,
  cpuTargetPercent: 70,
  resources: { cpuRequest: "200m", memoryRequest: "128Mi", memoryLimit: "256Mi" },
};

/** A valid stack config (through the real schema) with round numbers; `over` is merged key by key. */
export function stackConfig(over: DeepPartial<StackConfig> = {}): StackConfig {
  const base = {
    environment: "prod",
    team: "platform",
    costCenter: "cc-1",
    storage: { persistent: true },
    metrics: { retentionDays: 3, retentionSizeGi: 40, storageGi: 50, scrapeInterval: "15s" },
    logs: { retentionDays: 7, storageGi: 50, chunks: { encoding: "zstd" } },
    traces: { retentionHours: 168, storageGi: 50, samplingPercentage: 10 },
    images: { registry: "example.com/obs", tag: "1.0.0" },
    services: { order: service, product: service, user: service },
    slo: { availability: 0.999, latency: 0.99, latencyThresholdSeconds: 0.5 },
    capacity: {
      peakRps: 100,
      headroomPercent: 0,
      averageToPeakRatio: 0.5,
      services: {
        order: { capacityPerReplicaRps: 50 },
        product: { capacityPerReplicaRps: 50 },
        user: { capacityPerReplicaRps: 50 },
      },
      activeSeriesPerReplica: 300,
      platformActiveSeries: 0,
      logBytesPerRequest: 1_100,
      platformLogBytesPerSecond: 0,
      spansPerRequest: 7,
      bytesPerSpan: 2_400,
    },
    cost: { monthlyBudget: 1_000 },
    aws: { enabled: false },
  };
  return parseStackConfig(merge(base, over as Record<string, unknown>));
}
