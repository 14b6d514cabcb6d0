/** The capacity report's content: the run's knees, then every stack's plan, from one load-test result. */
import { SERVICE_NAMES, type ServiceName } from "../../contract";
import type { StackConfig } from "../../infra/config/schema";
import type { MachineInfo } from "../bench/machine";
import type { LoadTestResult, StageResult } from "../loadtest/result";
import { findKnee, type Knee, type SloLimits, type StagePoint, sloLimits, stagePoints } from "./knee";
import { type EnvironmentPlan, planEnvironment } from "./plan";
import { fanOut, healthyStages, type MeasuredVolumes, measuredVolumes } from "./volumes";

export interface ServiceRun {
  service: ServiceName;
  points: StagePoint[];
  /** Judged against the SLO the run was made with (each environment judges against its own). */
  knee: Knee;
  /** The result file the knee comes from (several runs: the one chosen for this service). */
  source: string;
  /** The CPU quota the service ran under in that run; undefined: unlimited. */
  cores?: number;
  stages: StageResult[];
}

/** One load-test result and the file it was read from. */
export interface LoadedRun {
  result: LoadTestResult;
  source: string;
}

/**
 * A found knee ranks by what one core serves: per-replica rate ÷ its quota (the rate itself when unlimited).
 * A dependency that saturates first only ever lowers a service's knee, so across runs the highest found knee
 * per core is the service's own. A knee not reached counts only when no run found one, by its rate (a lower
 * bound of what that quota serves is not scaled).
 */
function kneeRank(run: ServiceRun): [number, number] {
  const { knee } = run;
  if (knee.kind === "found") return [2, knee.perReplicaRps / (run.cores ?? 1)];
  if (knee.kind === "not-reached") return [1, knee.perReplicaRps];
  return [0, 0];
}

export function chooseRun(candidates: readonly ServiceRun[]): ServiceRun {
  return candidates.reduce((best, c) => {
    const [a, b] = [kneeRank(c), kneeRank(best)];
    return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]) ? c : best;
  });
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
  /** Further runs (e.g. with another service starved of CPU) that may hold a service's own knee. */
  extra: readonly LoadedRun[] = [],
): CapacityReport {
  const runLimits = sloLimits(result.slo);
  const services = SERVICE_NAMES.map((service) =>
    chooseRun(
      [{ result, source }, ...extra].map((run): ServiceRun => {
        const cores = run.result.cpuLimitCores?.[service];
        // under a quota the client's latency counts (see clientP99Seconds)
        const points = stagePoints(run.result.stages, service, runLimits, cores !== undefined);
        return { service, points, knee: findKnee(points), source: run.source, cores, stages: run.result.stages };
      }),
    ),
  );
  const sources = Object.fromEntries(services.map((s) => [s.service, { stages: s.stages, cores: s.cores }]));
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
    services,
    volumeStages: measured.stages,
    fanOut: ratios,
    measured,
    environments: stacks.map(({ stack, config }) =>
      planEnvironment(stack, config, result.stages, ratios, measured, result.cpuLimitCores, sources),
    ),
    generated,
  };
}
