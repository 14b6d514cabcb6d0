import type { SloKind } from "../alerting/names";
import { ruleGroupsFor } from "../alerting/rule-set";
import { ALERT_NAMES } from "../alerting/rules";
import { BURN_RATE_ALERTS, burnFactor, windowHours } from "../alerting/slos";
import type { StackConfig } from "../config/schema";
import { namespaces } from "../platform/naming";
import { durationSeconds } from "../preflight/checks/rendered-config/units";
import {
  type BurnPair,
  budgetSpent,
  type FaultShape,
  firesAfter,
  holdsAtEnd,
  ratioDuringFault,
  resolvesAfter,
} from "./burn-model";
import { CATALOGUE } from "./catalogue";
import type { AlertExpectation, BurnPremise, Experiment, ExperimentDefinition } from "./experiments";

/**
 * The plan of an experiment whose hypothesis is an SLO burn: how long the fault must last for the page to fire,
 * and the detection, recovery and budget limits, all derived from the stack's objective, its burn-rate pairs,
 * the history Prometheus holds and its intervals (burn-model.ts). Experiments without a burn premise keep the
 * catalogue's numbers.
 */

export type SloObjectives = Pick<StackConfig["slo"], "availability" | "latency" | "period">;

export interface PlanConditions {
  slo: SloObjectives;
  /** Seconds of the premise SLI's history in Prometheus (Infinity: a warm stack, every window full). */
  historySeconds: number;
  /** The premise SLI's bad share per rule window (`1h`, `5m`…) before the fault; none when absent. */
  priorRatios?: Record<string, number>;
  /** Prometheus' scrape and rule-evaluation intervals, and how often the runner asks Alertmanager. */
  scrapeSeconds: number;
  evaluationSeconds: number;
  sampleSeconds: number;
  /** Seconds the runner's SLI window spans (recovery needs it free of the fault). */
  sliWindowSeconds: number;
  /** The rules' windows are these divided by this (test harnesses compress time); default 1. */
  windowDivisor?: number;
  /** Run the fault this long instead of the planned length (the limits are planned for it). */
  faultSeconds?: number;
  /** Seconds each alert's rule must hold before it fires (`for`), by alert name, before windowDivisor. */
  alertHolds?: Record<string, number>;
}

/** What the plan rests on, for the report and the progress display. */
export interface PlanNotes {
  historySeconds: number | null;
  pipelineSeconds: number;
  /** The page pair predicted to fire first, e.g. `1h/5m`. */
  firstPage: string;
  predictedDetectSeconds: number;
  predictedResolveSeconds: number;
  predictedBudget: number;
  /** Ticket pairs the model expects to fire: then the ticket must stay inhibited while the page fires. */
  ticketsExpected: string[];
  lines: string[];
}

/** An experiment the stack's objectives cannot page for (its premise is below every page threshold). */
export class PlanError extends Error {}

/** A fault's bad share is judged against this share of its premise (the premise is a floor, not a guess). */
export const PREMISE_TOLERANCE = 0.8;
/** Pairs within this share of their threshold count as firing for the recovery limit and the ticket line (a fault
 * may be stronger than its premise: 0.7 covers up to 1.4 times it). */
const MARGINAL = 0.7;
/** The measured budget may exceed the model's by this factor (the premise is a floor) plus a small constant. */
const BUDGET_SLACK = { factor: 1.5, plus: 0.001 };

/** The SLO's burn-rate pairs with their thresholds, as rules.ts writes them, in seconds. */
export function burnPairs(slo: SloObjectives, kind: SloKind, windowDivisor = 1): BurnPair[] {
  const objective = kind === "availability" ? slo.availability : slo.latency;
  return BURN_RATE_ALERTS.map((a) => ({
    severity: a.severity,
    longWindow: a.longWindow,
    shortWindow: a.shortWindow,
    longSeconds: (windowHours(a.longWindow) * 3_600) / windowDivisor,
    shortSeconds: (windowHours(a.shortWindow) * 3_600) / windowDivisor,
    threshold: Math.round(burnFactor(a, slo.period) * (1 - objective) * 1e9) / 1e9,
  }));
}

/** Scrape, evaluate, send, and be seen: how long an alert lags the moment its condition holds. */
export function pipelineSeconds(c: Pick<PlanConditions, "scrapeSeconds" | "evaluationSeconds" | "sampleSeconds">) {
  return 2 * c.scrapeSeconds + 2 * c.evaluationSeconds + c.sampleSeconds + 10;
}

const pct = (ratio: number) => `${Math.round(ratio * 1e4) / 100} %`;
const history = (c: PlanConditions) =>
  Number.isFinite(c.historySeconds) ? `${Math.round(c.historySeconds)} s of history` : "every window full";
const pairName = (p: BurnPair) => `${p.longWindow}/${p.shortWindow}`;
const roundUp = (seconds: number, step = 10) => Math.ceil(seconds / step) * step;

/** The alerts a burn premise is about: the SLO's page, and its ticket. */
export function burnAlerts(premise: BurnPremise): { page: AlertExpectation; ticket: AlertExpectation } {
  const labels = { service: premise.service, slo: premise.slo };
  return {
    page: { alertname: ALERT_NAMES.fastBurn, labels },
    ticket: { alertname: ALERT_NAMES.slowBurn, labels },
  };
}

/** The experiment as it will run under these conditions: planned when it has a burn premise, else as written. */
export function planExperiment(experiment: ExperimentDefinition, c: PlanConditions): Experiment {
  const premise = experiment.burn;
  if (!premise) return planHeld(experiment as Experiment, c);
  const objective = premise.slo === "availability" ? c.slo.availability : c.slo.latency;
  const pairs = burnPairs(c.slo, premise.slo, c.windowDivisor);
  const shape: FaultShape = {
    badRatio: premise.badRatio,
    historySeconds: c.historySeconds,
    priorRatio: (seconds) => {
      const pair = pairs.find((p) => p.longSeconds === seconds || p.shortSeconds === seconds);
      const name = pair?.longSeconds === seconds ? pair.longWindow : pair?.shortWindow;
      return name === undefined ? 0 : (c.priorRatios?.[name] ?? 0);
    },
  };
  // bounds, not guesses, where an earlier burn is still in the windows: it leaves them as early as it can when
  // judging how late the page may fire, and as late as it can when judging how late the alerts may resolve
  const early: FaultShape = { ...shape, priorPlacement: "oldest" };
  const late: FaultShape = { ...shape, priorPlacement: "newest" };
  const pages = pairs.filter((p) => p.severity === "page");
  const fired = pages
    .map((pair) => ({ pair, at: firesAfter(pair, early) }))
    .filter((f): f is { pair: BurnPair; at: number } => f.at !== null)
    .sort((a, b) => a.at - b.at)[0];
  const what = `${pct(premise.badRatio)} of ${premise.service}'s requests ${premise.slo === "availability" ? "failing" : "slow"}`;
  if (!fired) {
    throw new PlanError(
      `${experiment.name}: ${what} never pages on a ${pct(objective)} ${premise.slo} objective: the page pairs need more than ${pages.map((p) => `${pct(p.threshold)} (${pairName(p)})`).join(" or ")}`,
    );
  }
  if (c.faultSeconds !== undefined && c.faultSeconds < fired.at) {
    throw new PlanError(
      `${experiment.name}: the page needs ${fired.at} s of this fault (the ${pairName(fired.pair)} pair, ${history(c)}); a fault of ${c.faultSeconds} s cannot test the hypothesis`,
    );
  }
  const pipeline = pipelineSeconds(c);
  const maxDetectSeconds = roundUp(fired.at + pipeline);
  const durationSeconds = c.faultSeconds ?? maxDetectSeconds + 30; // on a little past the limit: it pages while on
  const firing = pages.filter((p) => holdsAtEnd(p, durationSeconds, late, MARGINAL));
  const resolve = Math.max(0, ...firing.map((p) => resolvesAfter(p, durationSeconds, late, MARGINAL)));
  const maxRecoverSeconds = roundUp(
    Math.max(resolve + pipeline, c.sliWindowSeconds + c.scrapeSeconds) + 2 * c.sampleSeconds,
  );
  const periodSeconds = windowHours(c.slo.period) * 3_600;
  const predictedBudget = budgetSpent(premise.badRatio, durationSeconds, objective, periodSeconds);
  const maxBudgetConsumed = Math.ceil((predictedBudget * BUDGET_SLACK.factor + BUDGET_SLACK.plus) * 10_000) / 10_000;
  const tickets = pairs.filter((p) => p.severity === "ticket" && holdsAtEnd(p, durationSeconds, late, MARGINAL));
  const { page, ticket } = burnAlerts(premise);
  const prior = Object.entries(c.priorRatios ?? {}).filter(([, ratio]) => ratio > 0);
  const priorNote = prior.length
    ? `an earlier burn is still in the windows (${prior.map(([w, r]) => `${w} ${pct(r)}`).join(", ")}): detection is planned as if it left them first, recovery as if it stayed longest`
    : undefined;
  const notes: PlanNotes = {
    historySeconds: Number.isFinite(c.historySeconds) ? c.historySeconds : null,
    pipelineSeconds: pipeline,
    firstPage: pairName(fired.pair),
    predictedDetectSeconds: fired.at,
    predictedResolveSeconds: resolve,
    predictedBudget,
    ticketsExpected: tickets.map(pairName),
    lines: [
      `premise: ${what} while the fault lasts; ${history(c)}`,
      ...(priorNote ? [priorNote] : []),
      `the ${pairName(fired.pair)} page pair (${pct(fired.pair.threshold)} in both windows) holds ${fired.at} s into the fault (${pct(ratioDuringFault(fired.pair.longSeconds, fired.at, early))} over ${fired.pair.longWindow}); + ${pipeline} s to scrape, evaluate and reach Alertmanager`,
      `the page resolves ${resolve} s after the fault (its windows drain); recovery also waits for the runner's ${c.sliWindowSeconds} s SLI window`,
      `budget: ${pct(premise.badRatio)} × ${durationSeconds} s ÷ (${pct(1 - objective)} × ${c.slo.period}) = ${pct(predictedBudget)} of the ${premise.slo} budget`,
      tickets.length
        ? `tickets expected to fire too (${tickets.map(pairName).join(", ")}): the history is too short to dilute the burn, so the ticket must only stay inhibited while the page fires`
        : "no ticket pair reaches its threshold: the ticket must stay silent throughout",
    ],
  };
  const { name, description, target, fault, schedule, burn } = experiment;
  return {
    name,
    description,
    target,
    fault,
    ...(schedule ? { schedule } : {}),
    burn,
    durationSeconds,
    hypothesis: {
      sliServices: experiment.hypothesis.sliServices,
      mustFire: [page],
      mustNotFire: [...experiment.hypothesis.mustNotFire, ...(tickets.length ? [] : [ticket])],
      mustBeInhibited: tickets.length ? [ticket] : [],
      maxDetectSeconds,
      maxRecoverSeconds,
      maxBudgetConsumed,
      budgetSlo: premise.slo,
    },
    plan: notes,
  };
}

/**
 * An experiment with written limits whose alerts fire after their rule's `for`: its fault must last longer than
 * that (a target down for 60 s never fires a 2-minute ServiceTargetDown), and its detection limit cannot be
 * shorter. The written numbers stand where they are already enough.
 */
function planHeld(written: Experiment, c: PlanConditions): Experiment {
  const holds = written.hypothesis.mustFire.map((a) => ({
    alert: a.alertname,
    seconds: (c.alertHolds?.[a.alertname] ?? 0) / (c.windowDivisor ?? 1),
  }));
  const longest = holds.sort((a, b) => b.seconds - a.seconds)[0];
  if (!longest || longest.seconds === 0) {
    return c.faultSeconds === undefined ? written : { ...written, durationSeconds: c.faultSeconds };
  }
  if (c.faultSeconds !== undefined && c.faultSeconds <= longest.seconds) {
    throw new PlanError(
      `${written.name}: ${longest.alert} fires only after its rule has held ${longest.seconds} s; a fault of ${c.faultSeconds} s cannot test the hypothesis`,
    );
  }
  const pipeline = pipelineSeconds(c);
  const needed = roundUp(longest.seconds + pipeline);
  const durationSeconds = c.faultSeconds ?? Math.max(written.durationSeconds, needed + 30);
  const maxDetectSeconds = Math.max(written.hypothesis.maxDetectSeconds, needed);
  return {
    ...written,
    durationSeconds,
    hypothesis: { ...written.hypothesis, maxDetectSeconds },
    plan: {
      historySeconds: null,
      pipelineSeconds: pipeline,
      firstPage: `${longest.alert} after ${longest.seconds} s`,
      predictedDetectSeconds: longest.seconds,
      predictedResolveSeconds: 0,
      predictedBudget: 0,
      ticketsExpected: [],
      lines: [
        `${longest.alert} fires once its rule has held ${longest.seconds} s (its \`for\`); + ${pipeline} s to scrape, evaluate and reach Alertmanager: detection within ${maxDetectSeconds} s`,
        `the fault lasts ${durationSeconds} s, so the alert fires while it is on`,
        `recovery and budget limits as written: ${written.hypothesis.maxRecoverSeconds} s, ${pct(written.hypothesis.maxBudgetConsumed)}`,
      ],
    },
  };
}

/** `for` of every alert rule of the stack in seconds, by alert name (the longest where a name has several). */
export function alertHolds(config: StackConfig): Record<string, number> {
  const holds: Record<string, number> = {};
  for (const group of ruleGroupsFor(config, namespaces(config))) {
    for (const rule of group.rules) {
      if (!rule.alert) continue;
      const seconds = rule.for ? (durationSeconds(rule.for, "prometheus") ?? 0) : 0;
      holds[rule.alert] = Math.max(holds[rule.alert] ?? 0, seconds);
    }
  }
  return holds;
}

/** Every experiment planned for a warm stack (every window full): what Pulumi's Schedules and the docs state. */
export function warmPlan(
  experiments: readonly ExperimentDefinition[],
  slo: SloObjectives,
  scrapeSeconds: number,
  holds: Record<string, number> = {},
): Experiment[] {
  return experiments.map((e) =>
    planExperiment(e, {
      slo,
      historySeconds: Number.POSITIVE_INFINITY,
      scrapeSeconds,
      evaluationSeconds: scrapeSeconds,
      sampleSeconds: 5,
      sliWindowSeconds: 60,
      alertHolds: holds,
    }),
  );
}

/** The catalogue as a warm stack runs it: the fault lengths of Pulumi's Schedules and of the docs' table. */
export function stackPlan(config: StackConfig, experiments: readonly ExperimentDefinition[] = CATALOGUE): Experiment[] {
  const scrape = durationSeconds(config.metrics.scrapeInterval, "prometheus") ?? 30;
  return warmPlan(experiments, config.slo, scrape, alertHolds(config));
}
