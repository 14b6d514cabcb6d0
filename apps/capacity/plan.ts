/**
 * One environment's plan: replicas each service needs at peak from its measured knee, the HPA check,
 * and the storage each signal needs for the measured volumes, each compared with the stack config and
 * judged with a verdict that says what to change. The arithmetic is infra/capacity/sizing.ts.
 */
import { SERVICE_NAMES, type ServiceName } from "../../contract";
import { hpaTargetBelowKnee, replicasNeeded } from "../../infra/capacity/sizing";
import type { StackConfig } from "../../infra/config/schema";
import { cpuCores } from "../../policies/lib/values";
import type { StageResult } from "../loadtest/result";
import { findKnee, type Knee, type StagePoint, sloLimits, stagePoints } from "./knee";
import { type StorageVerdict, storagePlans, type VolumesUsed, volumesUsed } from "./storage";
import type { MeasuredVolumes } from "./volumes";

/** The `capacity` block of a stack config: peak, headroom, average-to-peak, assumed capacities, volumes. */
export type CapacitySettings = StackConfig["capacity"];

export interface ServicePlan {
  service: ServiceName;
  /** This service's requests per second at order's peak. */
  peakRps: number;
  knee: Knee;
  /** What one replica serves within the SLO: the knee per process, or less when cpuLimit throttles first. */
  perReplicaRps?: number;
  /** Set when cpuLimit, not the knee, bounds a replica. */
  cpuLimitedRps?: number;
  /**
   * Set when the run held each service to a CPU quota: the knee per process at those cores, scaled to a
   * replica's cores in this stack (its cpuLimit, at most one core).
   */
  scaled?: { measuredCores: number; replicaCores: number; kneeRps: number };
  configuredPerReplicaRps: number;
  /** An upper bound when the knee was not reached (a replica may serve more than was tested). */
  replicasNeeded?: number;
  replicas: number;
  maxReplicas: number;
  /** Replicas the HPA itself asks for at peak, holding CPU at cpuTargetPercent of the request. */
  hpaReplicasAtPeak?: number;
  cpuTargetPercent: number;
  utilisationAtKneePercent?: number;
  memoryLimitBytes: number;
  /** What to change; empty: nothing. */
  verdicts: string[];
}

export interface EnvironmentPlan {
  stack: string;
  capacity: CapacitySettings;
  slo: { latencyThresholdSeconds: number; availability: number };
  services: ServicePlan[];
  volumes: VolumesUsed;
  storage: StorageVerdict[];
}

const MI = 2 ** 20;
/** CPU in millicores, rounded away from the bound it states: up for "at least", down for "below". */
const milli = (cores: number, round: (n: number) => number = Math.ceil) => `${round(cores * 1000)}m`;
export const fmtRps = (rps: number) => (rps >= 100 ? rps.toFixed(0) : rps >= 10 ? rps.toFixed(1) : rps.toFixed(2));

function memoryBytes(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`unexpected memory quantity ${quantity}`); // the stack schema allows only these
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1) * MI;
}

/**
 * The stage where a process first served at least `rps` (its share of the peak): its RSS is what a replica
 * needs at peak. The knee stage when none did. RSS is read at the end of a stage, after every earlier one.
 */
function atRate(points: readonly StagePoint[], rps: number, knee: StagePoint): StagePoint {
  return points.find((p) => p.rps / p.processes >= rps && p.rps <= knee.rps) ?? knee;
}

/**
 * The cores one replica may use in a stack: its cpuLimit, and at most one core however high the limit,
 * because a Node process runs its JavaScript on one thread.
 */
export function replicaCores(cpuLimit: number | undefined): number {
  return Math.min(cpuLimit ?? 1, 1);
}

/**
 * A knee measured under a CPU quota, scaled to other cores. Linear in the cores: the service is CPU-bound
 * at its knee (the quota throttled it there). Conservative above the quota: at the same utilisation a
 * replica with more CPU queues less, so its p99 is lower.
 */
export function scaleKnee(kneeRps: number, measuredCores: number, cores: number): number {
  return (kneeRps * cores) / measuredCores;
}

function planService(
  service: ServiceName,
  points: readonly StagePoint[],
  peakRps: number,
  config: StackConfig,
  capacity: CapacitySettings,
  measuredCores: number | undefined,
): ServicePlan {
  const knee = findKnee(points);
  const s = config.services[service];
  const configured = capacity.services[service].capacityPerReplicaRps;
  const cpuRequest = cpuCores(s.resources.cpuRequest) as number;
  const cpuLimit = s.resources.cpuLimit === undefined ? undefined : (cpuCores(s.resources.cpuLimit) as number);
  const plan: ServicePlan = {
    service,
    peakRps,
    knee,
    configuredPerReplicaRps: configured,
    replicas: s.replicas,
    maxReplicas: s.maxReplicas,
    cpuTargetPercent: s.cpuTargetPercent,
    memoryLimitBytes: memoryBytes(s.resources.memoryLimit),
    verdicts: [],
  };
  if (knee.kind === "no-data") {
    plan.verdicts.push(`no data: ${service} served no requests in the run`);
    return plan;
  }
  if (knee.kind === "none") {
    const miss = knee.firstMiss;
    plan.verdicts.push(
      `no knee: misses the SLO already at ${fmtRps(miss.rps)} req/s (stage ${miss.stage}: ${miss.misses.join(", ")}); fix that before sizing`,
    );
    return plan;
  }
  const cpuPerReplicaAtKnee = knee.perReplicaRps * knee.cpuSecondsPerRequest;
  let perReplica = knee.perReplicaRps;
  if (measuredCores !== undefined && knee.kind === "found") {
    // The quota, not the machine, set the knee: the replica's own cores set its capacity here.
    const cores = replicaCores(cpuLimit);
    perReplica = scaleKnee(knee.perReplicaRps, measuredCores, cores);
    plan.scaled = { measuredCores, replicaCores: cores, kneeRps: knee.perReplicaRps };
  } else if (cpuLimit !== undefined && knee.cpuSecondsPerRequest > 0 && cpuPerReplicaAtKnee > cpuLimit) {
    // Throttled before the knee: a replica serves what its CPU limit pays for.
    plan.cpuLimitedRps = cpuLimit / knee.cpuSecondsPerRequest;
    perReplica = plan.cpuLimitedRps;
    plan.verdicts.push(
      `cpuLimit ${s.resources.cpuLimit} caps a replica at ${fmtRps(perReplica)} req/s, below the ${fmtRps(knee.perReplicaRps)} it served within the SLO (that takes ${milli(cpuPerReplicaAtKnee)}): raise cpuLimit to ${milli(cpuPerReplicaAtKnee)}, or plan with ${fmtRps(perReplica)} as here`,
    );
  }
  const bound =
    knee.kind === "not-reached" && plan.cpuLimitedRps === undefined ? " (at most: the knee was not reached)" : "";
  plan.perReplicaRps = perReplica;
  const needed = replicasNeeded(peakRps, capacity.headroomPercent, perReplica);
  plan.replicasNeeded = needed;
  if (needed > s.maxReplicas) plan.verdicts.push(`raise maxReplicas to ${needed}${bound}`);

  const hpa = hpaTargetBelowKnee({
    cpuTargetPercent: s.cpuTargetPercent,
    cpuSecondsPerRequest: knee.cpuSecondsPerRequest,
    kneeRps: perReplica,
    cpuRequestCores: cpuRequest,
  });
  plan.utilisationAtKneePercent = hpa.utilisationAtKneePercent;
  const utilisation = `${hpa.utilisationAtKneePercent.toFixed(0)} % of its CPU request`;
  if (!hpa.ok && knee.kind === "not-reached" && plan.cpuLimitedRps === undefined) {
    // The true knee is higher, and so is the utilisation there: the check cannot fail on this run.
    plan.verdicts.push(
      `HPA check inconclusive: at the highest rate tested a replica uses ${utilisation}, at or under the ${s.cpuTargetPercent} % target; stress it up to its knee to decide`,
    );
  } else if (!hpa.ok) {
    const request = (perReplica * knee.cpuSecondsPerRequest) / (s.cpuTargetPercent / 100);
    plan.verdicts.push(
      `lower the HPA target: a replica at its knee uses ${utilisation}, at or under the ${s.cpuTargetPercent} % target, so the HPA scales too late; lower cpuTargetPercent to ${Math.ceil(hpa.utilisationAtKneePercent) - 1} or less, or cpuRequest below ${milli(request, Math.floor)}`,
    );
  }
  const perReplicaAtPeak = (peakRps * (1 + capacity.headroomPercent / 100)) / needed;
  const atPeak = atRate(points, perReplicaAtPeak, points.find((p) => p.stage === knee.stage) as StagePoint);
  const rss = atPeak.rssBytes / atPeak.processes;
  if (rss > plan.memoryLimitBytes) {
    plan.verdicts.push(
      `raise memoryLimit above ${Math.ceil(rss / MI)}Mi (the RSS of a process serving ${fmtRps(atPeak.rps / atPeak.processes)} req/s, in stage ${atPeak.stage}; a replica's share of the peak is ${fmtRps(perReplicaAtPeak)})`,
    );
  }
  // The HPA keeps CPU per replica at the target share of the request, whatever the knee: at peak it asks
  // for peak × CPU per request ÷ (target × request) replicas (CPU per request at a replica's share of the peak).
  const peakCores = peakRps * atPeak.cpuSecondsPerRequest;
  const targetCores = (s.cpuTargetPercent / 100) * cpuRequest;
  plan.hpaReplicasAtPeak = Math.max(1, Math.ceil(peakCores / targetCores - 1e-9));
  if (plan.hpaReplicasAtPeak > s.maxReplicas) {
    plan.verdicts.push(
      `the HPA asks for ${plan.hpaReplicasAtPeak} replicas at peak (${milli(peakCores)} of CPU at ${s.cpuTargetPercent} % of ${s.resources.cpuRequest} each) and sits at maxReplicas (ServiceAtMaxReplicas): raise maxReplicas to ${plan.hpaReplicasAtPeak}, or cpuRequest to ${milli(peakCores / (s.cpuTargetPercent / 100) / s.maxReplicas)}`,
    );
  }
  if (knee.kind === "found" && configured > perReplica) {
    plan.verdicts.push(
      `lower capacity.services.${service}.capacityPerReplicaRps to ${fmtRps(perReplica)} (it assumes ${fmtRps(configured)} req/s per replica; measured ${fmtRps(perReplica)})`,
    );
  }
  return plan;
}

/** Where a service's knee is read: the stages of a run and the CPU quota the service ran under in it. */
export interface KneeSource {
  stages: readonly StageResult[];
  /** Cores; undefined: the run did not limit it. */
  cores?: number;
}

/** The plan of one stack: every service, then every signal's storage. */
export function planEnvironment(
  stack: string,
  config: StackConfig,
  stages: readonly StageResult[],
  fanOut: Record<ServiceName, number>,
  measured: MeasuredVolumes,
  /** The CPU quota each service ran under in the load test (cores); undefined: unlimited. */
  measuredCores?: Partial<Record<ServiceName, number>>,
  /** A service whose knee comes from another run than `stages` (the report's choice among several runs). */
  sources: Partial<Record<ServiceName, KneeSource>> = {},
): EnvironmentPlan {
  const capacity = config.capacity;
  const limits = sloLimits(config.slo);
  const services = SERVICE_NAMES.map((service) => {
    const source = sources[service] ?? { stages, cores: measuredCores?.[service] };
    return planService(
      service,
      // under a quota the client's latency counts (clientP99Seconds)
      stagePoints(source.stages, service, limits, source.cores !== undefined),
      capacity.peakRps * fanOut[service],
      config,
      capacity,
      source.cores,
    );
  });
  const volumes = volumesUsed(measured, capacity);
  return {
    stack,
    capacity,
    slo: config.slo,
    services,
    volumes,
    storage: storagePlans(config, volumes),
  };
}
