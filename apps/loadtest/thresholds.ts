/**
 * Pass or fail, per stage, from a stack's SLO: the 99th percentile at or under the latency threshold
 * and the error ratio at or under the error budget's rate (1 − availability), judged both on what the
 * client saw and on what each service measured itself.
 */
import type { ServiceName } from "../../contract";
import type { StackConfig } from "../../infra/config/schema";
import type { LoadTestResult, Percentiles, ServiceStage } from "./result";

export type Thresholds = LoadTestResult["thresholds"];

/** Rounded so that 1 − 0.999 is 0.001, not 0.0010000000000000009. */
export function thresholdsFor(slo: StackConfig["slo"]): Thresholds {
  return { p99Seconds: slo.latencyThresholdSeconds, errorRatio: Math.round((1 - slo.availability) * 1e9) / 1e9 };
}

export interface StageMeasurements {
  sent: number;
  errors: number;
  latencyUs: Percentiles;
  services: Partial<Record<ServiceName, ServiceStage>>;
  /** Services whose 99th percentile lies beyond their largest finite bucket. */
  p99AboveBuckets?: readonly ServiceName[];
}

const ms = (seconds: number) => `${Math.round(seconds * 1e4) / 10} ms`;
const pct = (ratio: number) => `${(ratio * 100).toFixed(2)} %`;

/** What broke the thresholds in a stage, one line each naming who measured it; empty when it passed. */
export function evaluateStage(stage: StageMeasurements, thresholds: Thresholds): string[] {
  const failures: string[] = [];
  const limit = ms(thresholds.p99Seconds);
  const budget = pct(thresholds.errorRatio);
  if (stage.latencyUs.count === 0) failures.push("client: no request was answered");
  else if (stage.latencyUs.p99 / 1e6 > thresholds.p99Seconds) {
    failures.push(`client: p99 ${ms(stage.latencyUs.p99 / 1e6)} > ${limit}`);
  }
  const clientRatio = stage.sent > 0 ? stage.errors / stage.sent : 0;
  if (clientRatio > thresholds.errorRatio) {
    failures.push(`client: error ratio ${pct(clientRatio)} > ${budget} (${stage.errors} of ${stage.sent} requests)`);
  }
  for (const [name, service] of Object.entries(stage.services) as [ServiceName, ServiceStage][]) {
    const who = `${name} (its /metrics)`;
    if (stage.p99AboveBuckets?.includes(name)) {
      failures.push(`${who}: p99 beyond the largest finite bucket, > ${limit}`);
    } else if (service.p99Seconds !== null && service.p99Seconds > thresholds.p99Seconds) {
      failures.push(`${who}: p99 in the bucket up to ${ms(service.p99Seconds)}, > ${limit}`);
    }
    const ratio = service.requests > 0 ? service.errors5xx / service.requests : 0;
    if (ratio > thresholds.errorRatio) {
      failures.push(`${who}: 5xx ratio ${pct(ratio)} > ${budget} (${service.errors5xx} of ${service.requests})`);
    }
  }
  return failures;
}

/**
 * The run's verdict. Stress looks for the knee: it passes when its first stage met the thresholds
 * (the breaking stage that ends it is expected) and fails when even the first did not.
 */
export function runPassed(stages: readonly { passed: boolean }[], stress: boolean): boolean {
  if (stages.length === 0) return false;
  return stress ? (stages[0] as { passed: boolean }).passed : stages.every((s) => s.passed);
}
