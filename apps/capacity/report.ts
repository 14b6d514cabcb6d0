/** The capacity report's content: the run's knees, then every stack's plan, from one load-test result. */
import { SERVICE_NAMES, type ServiceName } from "../../contract";
import type { StackConfig } from "../../infra/config/schema";
import type { MachineInfo } from "../bench/machine";
import type { LoadTestResult } from "../loadtest/result";
import { findKnee, type Knee, type SloLimits, type StagePoint, sloLimits, stagePoints } from "./knee";
import { type EnvironmentPlan, planEnvironment } from "./plan";
import { fanOut, healthyStages, type MeasuredVolumes, measuredVolumes } from "./volumes";

export interface ServiceRun {
  service: ServiceName;
  points: StagePoint[];
  /** Judged against the SLO the run was made with (each environment judges against its own). */
  knee: Knee;
}

export interface CapacityReport {
  /** The result file, as given. */
  source: string;
  result: LoadTestResult;
  /** Hand-written data (scenario "fixture…"): the report says so loudly. */
  fixture: boolean;
  runLimits: SloLimits;
  services: ServiceRun[];
  /** Stages the volumes and the fan-out come from. */
  volumeStages: string[];
  fanOut: Record<ServiceName, number>;
  measured: MeasuredVolumes;
  environments: EnvironmentPlan[];
  generated: { at: string; machine: MachineInfo };
}

/**
 * The load test runs the services with its stack's logging (--stack): access lines sampled at the
 * trace share when the stack samples them (as infra/services/microservice.ts sets ACCESS_LOG_SAMPLING_PERCENTAGE).
 */
function accessLinesWritten(result: LoadTestResult, config: StackConfig | undefined): number {
  // recorded by the load test since it knew; older results fall back to the stack's setting
  if (result.accessLogSamplingPercent !== undefined) return result.accessLogSamplingPercent / 100;
  return config?.logs.sampleAccessLogs ? config.traces.samplingPercentage / 100 : 1;
}

/** Fixture results name their scenario "fixture…"; a real load test never does. */
export const isFixture = (result: LoadTestResult) => result.scenario.startsWith("fixture");

export function buildReport(
  result: LoadTestResult,
  source: string,
  stacks: readonly { stack: string; config: StackConfig }[],
  generated: CapacityReport["generated"],
): CapacityReport {
  const runLimits = sloLimits(result.slo);
  const healthy = healthyStages(result);
  const ratios = fanOut(healthy);
  const measured = measuredVolumes(
    healthy,
    accessLinesWritten(result, stacks.find((s) => s.stack === result.slo.stack)?.config),
  );
  return {
    source,
    result,
    fixture: isFixture(result),
    runLimits,
    services: SERVICE_NAMES.map((service) => {
      // under a quota the client's latency is the service's (see clientP99Seconds)
      const points = stagePoints(result.stages, service, runLimits, result.cpuLimitCores !== undefined);
      return { service, points, knee: findKnee(points) };
    }),
    volumeStages: measured.stages,
    fanOut: ratios,
    measured,
    environments: stacks.map(({ stack, config }) =>
      planEnvironment(stack, config, result.stages, ratios, measured, result.cpuLimitCores),
    ),
    generated,
  };
}
