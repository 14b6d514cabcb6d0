/**
 * What an experiment did, from the answers Prometheus and Alertmanager gave while the runner watched: time to
 * detect, time to recover, error budget consumed, peaks, and the verdict of each hypothesis line. Pure: the
 * runner records, this judges, and the tests feed it recorded answers.
 */
import type { ServiceName } from "../../contract";
import type { SloKind } from "../../infra/alerting/names";
import { windowHours } from "../../infra/alerting/slos";
import type { AlertExpectation, Experiment } from "../../infra/chaos/experiments";
import { PREMISE_TOLERANCE } from "../../infra/chaos/plan";
import type { StackConfig } from "../../infra/config/schema";
import { alertLabel, formatShare } from "./describe";
import type { AlertSample, HypothesisLine, SliSample } from "./types";

export type SloConfig = Pick<StackConfig["slo"], "availability" | "latency" | "period">;

/** Whether the target answered /readyz at a moment (local runs; a killed process is back when it does). */
export interface ReadinessSample {
  t: number;
  ready: boolean;
}

export interface MeasureInput {
  experiment: Experiment;
  slo: SloConfig;
  /** Unix seconds. */
  faultStart: number;
  faultEnd: number;
  samples: SliSample[];
  alerts: AlertSample[];
  readiness?: ReadinessSample[];
  /** Recovered only once everything has held this long (a single good sample between bad ones is not recovery). */
  confirmSeconds?: number;
}

export interface Measurement {
  detectionSeconds: number | null;
  detectionByAlert: { alert: AlertExpectation; seconds: number | null }[];
  recoverySeconds: number | null;
  budgetConsumed: number;
  peakErrorRatio: number;
  peakP99Seconds: number | null;
  lines: HypothesisLine[];
  passed: boolean;
}

const sameAlert = (a: AlertExpectation, b: AlertExpectation) => alertLabel(a) === alertLabel(b);

/**
 * A service's SLIs within objective: it has traffic (an error ratio), its 5xx share is within the availability
 * budget (1 − objective) and its share of slow requests (when measured) within the latency budget.
 */
export function sliWithinObjective(sample: Pick<SliSample, "errorRatio" | "slowRatio">, slo: SloConfig): boolean {
  if (sample.errorRatio === undefined) return false;
  if (sample.errorRatio > 1 - slo.availability + 1e-12) return false;
  return sample.slowRatio === undefined || sample.slowRatio <= 1 - slo.latency + 1e-12;
}

/** Fault start → the first sample showing the alert active (delivered, not inhibited or silenced); null if never. */
export function detectionOf(alert: AlertExpectation, alerts: AlertSample[], faultStart: number): number | null {
  const first = alerts
    .filter((s) => s.t >= faultStart && s.state === "active" && sameAlert(s.alert, alert))
    .sort((a, b) => a.t - b.t)[0];
  return first ? toMs(first.t - faultStart) : null;
}

/** Differences of Unix seconds to the millisecond (no floating-point dust such as 15.000999927). */
const toMs = (seconds: number) => Math.round(seconds * 1_000) / 1_000;

/**
 * The moment the system was back for good: the first tick after the fault's end of the trailing run of ticks at
 * which every SLI service was within objective, every mustFire alert absent (resolved, not merely inhibited) and
 * the target ready (when readiness was sampled). Null when the last tick is not such a tick, or the run is
 * shorter than `confirmSeconds`. A tick missing any of those answers (a failed query) does not count as good.
 */
export function recoveredAt(input: MeasureInput): number | null {
  const { experiment, slo, faultEnd } = input;
  const { sliServices, mustFire } = experiment.hypothesis;
  const moments = [...input.samples, ...input.alerts, ...(input.readiness ?? [])].map((s) => s.t);
  const ticks = [...new Set(moments)].filter((t) => t >= faultEnd).sort((a, b) => a - b);
  const good = (t: number) =>
    sliServices.every((service) => {
      const sample = input.samples.find((s) => s.t === t && s.service === service);
      return sample !== undefined && sliWithinObjective(sample, slo);
    }) &&
    mustFire.every((alert) =>
      input.alerts.some((s) => s.t === t && s.state === "absent" && sameAlert(s.alert, alert)),
    ) &&
    (input.readiness === undefined ||
      input.readiness.length === 0 ||
      input.readiness.some((r) => r.t === t && r.ready));
  let since: number | null = null;
  for (let i = ticks.length - 1; i >= 0 && good(ticks[i] as number); i--) since = ticks[i] as number;
  const last = ticks.at(-1);
  if (since === null || last === undefined || last - since < (input.confirmSeconds ?? 0)) return null;
  return since;
}

/**
 * Error budget consumed: the share of the SLO period's availability budget the experiment spent, for one service.
 *
 *   consumed = errors in the window ÷ (budget × requests expected over the SLO period)
 *
 * where the window runs from the fault's start to recovery (or to the last sample when it never recovered),
 * budget = 1 − availability objective, and the requests expected over the period are the window's own request
 * rate × the period's length. The rate cancels out: errors in the window = Σ errorRatio × rate × Δt, so
 *
 *   consumed = Σ_i errorRatio(t_i) × (t_{i+1} − t_i) ÷ (budget × period seconds)
 *
 * over the service's samples in the window (each error ratio is over the runner's short window, so the sum is
 * the lagging moving average's integral: the same total once the window has emptied after the fault). A
 * sample without traffic counts as no errors: server-side SLIs do not see requests a dead process never got.
 */
export function budgetConsumedBy(
  service: ServiceName,
  samples: SliSample[],
  slo: SloConfig,
  from: number,
  to: number,
  kind: SloKind = "availability",
): number {
  const series = samples.filter((s) => s.service === service && s.t >= from && s.t <= to).sort((a, b) => a.t - b.t);
  let badSeconds = 0;
  for (let i = 0; i + 1 < series.length; i++) {
    const [a, b] = [series[i] as SliSample, series[i + 1] as SliSample];
    badSeconds += badShare(a, kind) * (b.t - a.t);
  }
  const periodSeconds = windowHours(slo.period) * 3_600;
  const objective = kind === "availability" ? slo.availability : slo.latency;
  return badSeconds / ((1 - objective) * periodSeconds);
}

/** A sample's share of bad requests for an SLI: 5xx for availability, slower than the threshold for latency. */
const badShare = (s: SliSample, kind: SloKind) => (kind === "availability" ? s.errorRatio : s.slowRatio) ?? 0;

/** The sample's highest bad share of the premise SLI while the fault was on (null without a sample). */
export function peakBadShare(
  samples: SliSample[],
  service: ServiceName,
  kind: SloKind,
  from: number,
  to: number,
): number | null {
  const during = samples.filter((s) => s.service === service && s.t > from && s.t <= to);
  return during.length ? Math.max(...during.map((s) => badShare(s, kind))) : null;
}

/** Whether `alert` was ever active (reaching someone) at a tick where a mustFire alert was active too. */
export function activeUnderPage(
  alert: AlertExpectation,
  pages: AlertExpectation[],
  alerts: AlertSample[],
): number | null {
  const pageTicks = new Set(
    alerts.filter((s) => s.state === "active" && pages.some((p) => sameAlert(s.alert, p))).map((s) => s.t),
  );
  const hit = alerts
    .filter((s) => s.state === "active" && sameAlert(s.alert, alert) && pageTicks.has(s.t))
    .sort((a, b) => a.t - b.t)[0];
  return hit ? hit.t : null;
}

/**
 * The premise an SLO-burn plan rests on, as a line: the fault made at least PREMISE_TOLERANCE of the premise's
 * share bad. A late page with this line failing is a weaker fault than assumed, not a broken alert.
 */
function premiseLines(experiment: Experiment, samples: SliSample[], from: number, to: number): HypothesisLine[] {
  const premise = experiment.burn;
  if (!premise) return [];
  const floor = Math.round(premise.badRatio * PREMISE_TOLERANCE * 1e4) / 1e4;
  const peak = peakBadShare(samples, premise.service, premise.slo, from, to);
  const what = premise.slo === "availability" ? "failing" : "slow";
  return [
    {
      statement: `premise: the fault made at least ${formatShare(floor)} of ${premise.service}'s requests ${what} (the plan assumed ${formatShare(premise.badRatio)})`,
      passed: peak !== null && peak >= floor,
      measured: peak,
      limit: floor,
      unit: "ratio",
    },
  ];
}

export function measure(input: MeasureInput): Measurement {
  const { experiment, slo, faultStart, faultEnd, samples, alerts } = input;
  const h = experiment.hypothesis;
  const detectionByAlert = h.mustFire.map((alert) => ({ alert, seconds: detectionOf(alert, alerts, faultStart) }));
  const detected = detectionByAlert.map((d) => d.seconds);
  const detectionSeconds =
    detected.length === 0 || detected.some((s) => s === null) ? null : Math.max(...(detected as number[]));

  const recovered = recoveredAt(input);
  const recoverySeconds = recovered === null ? null : toMs(recovered - faultEnd);
  const windowEnd = recovered ?? Math.max(faultEnd, ...samples.map((s) => s.t));
  const budgetSlo = h.budgetSlo ?? "availability";
  const budgetConsumed = Math.max(
    0,
    ...h.sliServices.map((service) => budgetConsumedBy(service, samples, slo, faultStart, windowEnd, budgetSlo)),
  );

  const during = samples.filter((s) => s.t >= faultStart && h.sliServices.includes(s.service));
  const peakErrorRatio = Math.max(0, ...during.map((s) => s.errorRatio ?? 0));
  const p99s = during.flatMap((s) => (s.p99Seconds === undefined ? [] : [s.p99Seconds]));
  const peakP99Seconds = p99s.length ? Math.max(...p99s) : null;

  const services = h.sliServices.join(" and ");
  const lines: HypothesisLine[] = [
    ...detectionByAlert.map(({ alert, seconds }) => ({
      statement: `${alertLabel(alert)} fires within ${h.maxDetectSeconds} s`,
      passed: seconds !== null && seconds <= h.maxDetectSeconds,
      measured: seconds,
      limit: h.maxDetectSeconds,
      unit: "seconds" as const,
    })),
    ...premiseLines(experiment, samples, faultStart, faultEnd),
    ...(h.mustBeInhibited ?? []).map((alert) => {
      const at = activeUnderPage(alert, h.mustFire, alerts);
      return {
        statement: `${alertLabel(alert)} reaches nobody while the page fires (it may fire after it: the plan expects it to)`,
        passed: at === null,
        measured: at === null ? null : toMs(at - faultStart),
        limit: null,
        unit: "seconds" as const,
      };
    }),
    ...h.mustNotFire.map((alert) => {
      const reached = detectionOf(alert, alerts, faultStart);
      return {
        statement: `${alertLabel(alert)} reaches nobody (never active; inhibited or silenced is fine)`,
        passed: reached === null,
        measured: reached,
        limit: null,
        unit: "seconds" as const,
      };
    }),
    {
      statement: `${services} back within objective${h.mustFire.length ? " and the alerts resolved" : ""} within ${h.maxRecoverSeconds} s of the fault's end`,
      passed: recoverySeconds !== null && recoverySeconds <= h.maxRecoverSeconds,
      measured: recoverySeconds,
      limit: h.maxRecoverSeconds,
      unit: "seconds",
    },
    {
      statement: `consumes at most ${formatShare(h.maxBudgetConsumed)} of ${services}'s ${slo.period} ${budgetSlo} budget`,
      passed: budgetConsumed <= h.maxBudgetConsumed,
      measured: budgetConsumed,
      limit: h.maxBudgetConsumed,
      unit: "ratio",
    },
  ];
  return {
    detectionSeconds,
    detectionByAlert,
    recoverySeconds,
    budgetConsumed,
    peakErrorRatio,
    peakP99Seconds,
    lines,
    passed: lines.every((l) => l.passed),
  };
}
