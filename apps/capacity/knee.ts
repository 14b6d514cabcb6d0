/**
 * The knee of a service: the highest rate it served within its SLO in a stress run. Pure functions over
 * the stages of a load-test result; the report applies them once per SLO it judges against.
 */
import type { ServiceName } from "../../contract";
import { MIX, type RequestKind } from "../loadtest/mix";
import type { StageResult } from "../loadtest/result";

/** What a stage must meet to count as served within the SLO. */
export interface SloLimits {
  /** p99 at or under this (a histogram bucket boundary, so the stage's p99 bucket bound compares exactly). */
  latencyThresholdSeconds: number;
  /** 5xx share at or under this: the error budget, 1 − availability. */
  errorBudget: number;
}

export function sloLimits(slo: { latencyThresholdSeconds: number; availability: number }): SloLimits {
  // Rounded: 1 − 0.9 is 0.09999999999999998 in binary, which would fail a ratio of exactly 1 in 10.
  const errorBudget = Math.round((1 - slo.availability) * 1e12) / 1e12;
  return { latencyThresholdSeconds: slo.latencyThresholdSeconds, errorBudget };
}

/** One stage as one service saw it. */
export interface StagePoint {
  stage: string;
  /** The service's own request rate in the stage (not the offered entry rate). */
  rps: number;
  processes: number;
  p99Seconds: number;
  errorRatio: number;
  cpuSecondsPerRequest: number;
  rssBytes: number;
  /** Empty when the stage is within the SLO; otherwise what it missed. */
  misses: string[];
}

/**
 * The slowest client-side p99 (seconds) of the requests the load test sent to the service directly. Under a
 * CPU quota the load generator has cores of its own, so this is the service's latency as its callers see it:
 * while the service is throttled, requests wait in its socket queue, a wait its own histogram never sees.
 */
export function clientP99Seconds(
  stage: StageResult,
  service: ServiceName,
): { kind: string; seconds: number } | undefined {
  let worst: { kind: string; seconds: number } | undefined;
  for (const [kind, p] of Object.entries(stage.byEndpoint)) {
    if (MIX[kind as RequestKind]?.service !== service || p.count === 0) continue;
    const seconds = p.p99 / 1e6;
    if (worst === undefined || seconds > worst.seconds) worst = { kind, seconds };
  }
  return worst;
}

/**
 * The stages where the service served requests, by its rate, each judged against the limits: its own p99
 * and 5xx share, and with `clientSide` (a run under a CPU quota) the client's p99 of its requests too.
 */
export function stagePoints(
  stages: readonly StageResult[],
  service: ServiceName,
  limits: SloLimits,
  clientSide = false,
): StagePoint[] {
  return stages
    .flatMap((stage) => {
      const s = stage.services[service];
      if (!s || s.requests === 0 || s.requestsPerSecond <= 0 || s.p99Seconds === null) return [];
      const errorRatio = s.errors5xx / s.requests;
      const misses = [
        ...(s.p99Seconds > limits.latencyThresholdSeconds
          ? [`p99 ${s.p99Seconds} s > ${limits.latencyThresholdSeconds} s`]
          : []),
        ...(errorRatio > limits.errorBudget ? [`5xx ${pct(errorRatio)} > budget ${pct(limits.errorBudget)}`] : []),
        ...clientMiss(clientSide ? clientP99Seconds(stage, service) : undefined, limits),
      ];
      return [
        {
          stage: stage.name,
          rps: s.requestsPerSecond,
          processes: s.processes,
          p99Seconds: s.p99Seconds,
          errorRatio,
          cpuSecondsPerRequest: s.cpuSecondsPerRequest ?? s.cpuSeconds / s.requests,
          rssBytes: s.rssBytes,
          misses,
        },
      ];
    })
    .sort((a, b) => a.rps - b.rps);
}

function clientMiss(client: { kind: string; seconds: number } | undefined, limits: SloLimits): string[] {
  if (client === undefined || client.seconds <= limits.latencyThresholdSeconds) return [];
  return [`client p99 ${client.seconds.toFixed(3)} s > ${limits.latencyThresholdSeconds} s (${client.kind})`];
}

const pct = (ratio: number) => `${Number((ratio * 100).toPrecision(3))} %`;

interface AtKnee {
  /** The service's rate at the knee stage, all processes together. */
  rps: number;
  stage: string;
  processes: number;
  /** rps / processes: what one replica serves within the SLO. */
  perReplicaRps: number;
  cpuSecondsPerRequest: number;
  rssBytesPerProcess: number;
  /** Passing stages above the first miss: not counted (the knee is the last pass before the first miss). */
  ignoredPasses: string[];
}

export type Knee =
  /** A stage missed the SLO; the knee is the last passing stage below it. */
  | ({ kind: "found"; firstMiss: StagePoint } & AtKnee)
  /** Every stage passed: the knee is at or above the highest tested rate (a lower bound). */
  | ({ kind: "not-reached" } & AtKnee)
  /** Even the lowest stage missed: no rate is known to be served within the SLO. */
  | { kind: "none"; firstMiss: StagePoint }
  /** The service served no requests in any stage. */
  | { kind: "no-data" };

/**
 * Stages in order of the service's rate; the knee is the last one within the SLO before the first one
 * that misses it. A pass above a miss is noise, not capacity to plan on, and is listed as ignored.
 */
export function findKnee(points: readonly StagePoint[]): Knee {
  if (points.length === 0) return { kind: "no-data" };
  const firstMissAt = points.findIndex((p) => p.misses.length > 0);
  if (firstMissAt === 0) return { kind: "none", firstMiss: points[0] as StagePoint };
  const knee = points[firstMissAt === -1 ? points.length - 1 : firstMissAt - 1] as StagePoint;
  const atKnee: AtKnee = {
    rps: knee.rps,
    stage: knee.stage,
    processes: knee.processes,
    perReplicaRps: knee.rps / knee.processes,
    cpuSecondsPerRequest: knee.cpuSecondsPerRequest,
    rssBytesPerProcess: knee.rssBytes / knee.processes,
    ignoredPasses:
      firstMissAt === -1 ? [] : points.slice(firstMissAt).flatMap((p) => (p.misses.length ? [] : [p.stage])),
  };
  return firstMissAt === -1
    ? { kind: "not-reached", ...atKnee }
    : { kind: "found", firstMiss: points[firstMissAt] as StagePoint, ...atKnee };
}

/** The knee of one service in a run, judged against one SLO. */
export function serviceKnee(
  stages: readonly StageResult[],
  service: ServiceName,
  limits: SloLimits,
  clientSide = false,
): Knee {
  return findKnee(stagePoints(stages, service, limits, clientSide));
}
