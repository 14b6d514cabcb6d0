import type { ServiceName } from "../../contract";
import type { AlertExpectation, Experiment, Fault } from "../../infra/chaos/experiments";

/** One point of the timeline of an SLI service (Prometheus, sampled by the runner while it waits). */
export interface SliSample {
  /** Unix seconds. */
  t: number;
  service: ServiceName;
  /** 5xx share of API requests over the runner's short window; undefined without traffic. */
  errorRatio?: number;
  p99Seconds?: number;
  /** Share of API requests slower than the SLO's latency threshold (the latency SLI); undefined without traffic. */
  slowRatio?: number;
}

/** An expected (or forbidden) alert's state as Alertmanager showed it at a moment. */
export interface AlertSample {
  t: number;
  alert: AlertExpectation;
  /** `active`: firing and delivered; `suppressed`: firing but inhibited or silenced; `absent`: not firing. */
  state: "active" | "suppressed" | "absent";
}

/** One line of the hypothesis with what was measured. */
export interface HypothesisLine {
  /** e.g. `SLOFastBurn{service="order",slo="availability"} fires within 180 s`. */
  statement: string;
  passed: boolean;
  /** The measured value (seconds, ratio) or null when it never happened. */
  measured: number | null;
  limit: number | null;
  /** How `measured` and `limit` read in the report: seconds, or a share (0.1 = 10 %); plain numbers when absent. */
  unit?: "seconds" | "ratio";
}

export interface ExperimentReport {
  experiment: string;
  description: string;
  target: ServiceName;
  fault: Fault;
  /** `local` or the kube context. */
  runTarget: string;
  /** ISO times. */
  startedAt: string;
  faultStartedAt: string;
  faultEndedAt: string;
  endedAt: string;
  /** Fault start → the last mustFire alert active; null if one never was. */
  detectionSeconds: number | null;
  detectionByAlert: { alert: AlertExpectation; seconds: number | null }[];
  /** Fault end → SLIs within objective and mustFire alerts resolved; null if not within the watch. */
  recoverySeconds: number | null;
  /** Share of the SLO period's availability budget the fault window (to recovery) consumed, per SLI service max. */
  budgetConsumed: number;
  peakErrorRatio: number;
  peakP99Seconds: number | null;
  lines: HypothesisLine[];
  passed: boolean;
  samples: SliSample[];
  alerts: AlertSample[];
  cleanup: { faultRemoved: boolean; detail: string };
  /** The experiment as run (the hypothesis limits the verdict used). */
  definition: Experiment;
}
