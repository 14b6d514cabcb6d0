import type { ServiceName } from "../../contract";
import type { SloKind } from "../alerting/names";
import type { PlanNotes } from "./plan";

/**
 * Experiments as code: a fault on one service for a while, and the hypothesis that says what the platform
 * must do about it. Infrastructure faults become Chaos Mesh objects in a cluster (chaos-mesh.ts); HTTP-level
 * faults go through the services' own fault API (PUT /admin/faults), never Chaos Mesh's HTTPChaos.
 */
export type Fault =
  /** Chaos Mesh PodChaos pod-kill; locally: the service process is killed and its supervisor starts it again. */
  | { kind: "pod-kill" }
  /** PodChaos container-kill (cluster only). */
  | { kind: "container-kill" }
  /** NetworkChaos delay on the target's traffic towards a dependency (cluster only). */
  | { kind: "network-delay"; towards: ServiceName; latencyMs: number; jitterMs: number }
  /** NetworkChaos loss towards a dependency (cluster only). */
  | { kind: "network-loss"; towards: ServiceName; lossPercent: number }
  /** StressChaos CPU (cluster only). */
  | { kind: "cpu-stress"; workers: number; loadPercent: number }
  /** StressChaos memory (cluster only). */
  | { kind: "memory-stress"; workers: number; size: string }
  /** The service's fault API: a share of its API requests answered with a status. */
  | { kind: "http-errors"; errorRate: number; errorStatus: number }
  /** The service's fault API: added latency. */
  | { kind: "http-latency"; latencyMs: number; jitterMs: number }
  /** The service's fault API: one route template answered 503. */
  | { kind: "route-outage"; route: string };
export type FaultKind = Fault["kind"];

/** Faults the runner can inject without Kubernetes (fault API, process kill). */
export const LOCAL_FAULTS: readonly FaultKind[] = ["pod-kill", "http-errors", "http-latency", "route-outage"];

/** An alert as Alertmanager shows it: its name and the labels that single it out (e.g. service, slo). */
export interface AlertExpectation {
  alertname: string;
  labels: Record<string, string>;
}

export interface Hypothesis {
  /** Alerts that must fire (active and not inhibited or silenced in Alertmanager) within maxDetectSeconds. */
  mustFire: AlertExpectation[];
  /** Alerts that must not reach anyone during the experiment (never active-and-uninhibited). */
  mustNotFire: AlertExpectation[];
  /** Alerts that may fire but must not reach anyone while a mustFire alert fires (the ticket under its page). */
  mustBeInhibited?: AlertExpectation[];
  /** Fault start → every mustFire alert firing. */
  maxDetectSeconds: number;
  /** Fault end → SLIs of `sliServices` back within objective and the mustFire alerts resolved. */
  maxRecoverSeconds: number;
  /** Largest share of the SLO period's error budget (of `sliServices`, `budgetSlo`) it may consume. */
  maxBudgetConsumed: number;
  /** Whose budget `maxBudgetConsumed` is about; default availability. */
  budgetSlo?: SloKind;
  /** Whose SLIs measure the impact (the target, or its callers: a fault in product shows in order). */
  sliServices: ServiceName[];
}

/**
 * The premise of an SLO-burn experiment: while the fault lasts, at least `badRatio` of `service`'s requests are
 * bad for its `slo` SLI. Its fault length and limits are planned from it (plan.ts), not written down.
 */
export interface BurnPremise {
  service: ServiceName;
  slo: SloKind;
  badRatio: number;
}

interface ExperimentBase {
  /** DNS-label name: the Chaos Mesh object's name and the report's. */
  name: string;
  description: string;
  target: ServiceName;
  fault: Fault;
  /** Cron schedule for a recurring run in stacks whose chaos config enables schedules (staging): a Schedule object. */
  schedule?: string;
}

/** An experiment as it runs: its fault length and every limit known. */
export interface Experiment extends ExperimentBase {
  durationSeconds: number;
  hypothesis: Hypothesis;
  /** Set when the length and limits were planned from an SLO burn premise. */
  burn?: BurnPremise;
  /** How they were planned (plan.ts). */
  plan?: PlanNotes;
}

/** A catalogue entry whose page alert, fault length and limits follow from its premise and the stack's SLOs. */
export interface BurnExperimentDefinition extends ExperimentBase {
  burn: BurnPremise;
  /** Alerts that must stay silent besides the SLO's own ticket (which the plan adds), and whose SLIs to watch. */
  hypothesis: Pick<Hypothesis, "mustNotFire" | "sliServices">;
}

export type ExperimentDefinition = Experiment | BurnExperimentDefinition;

/** Whether the entry's length and limits are planned from an SLO burn premise. */
export const isBurnDefinition = (e: ExperimentDefinition): e is BurnExperimentDefinition => e.burn !== undefined;
