/**
 * The steady state an experiment needs before it starts, or its measurements mean nothing: every SLI service
 * has traffic and is within objective, none of the hypothesis' alerts fires already, no fault is in force on
 * the target, and (locally) the target answers /readyz.
 */
import type { ServiceName } from "../../contract";
import type { AlertExpectation, Experiment } from "../../infra/chaos/experiments";
import { alertLabel } from "./describe";
import type { Injector } from "./inject";
import type { SloConfig } from "./measure";
import { type AlertState, ObservationError, type Observer, type SliReading } from "./observe";

export interface SteadyStateView {
  /** The PromQL range the SLIs were judged over, e.g. `2m`. */
  window: string;
  sli: SliReading[];
  alerts: { alert: AlertExpectation; state: AlertState }[];
  /** A fault in force on the target, described; undefined when none. */
  targetFault?: string;
  /** Whether the target answers /readyz; undefined when not checked (a cluster). */
  targetReady?: boolean;
}

/** The runner refuses to start: each reason says what is wrong. */
export class SteadyStateRefused extends Error {
  constructor(
    readonly experiment: string,
    readonly reasons: string[],
  ) {
    super(`${experiment}: not in a steady state, not starting:\n  - ${reasons.join("\n  - ")}`);
  }
}

const pct = (ratio: number) => `${Math.round(ratio * 1e4) / 100} %`;

/** Why the system is not in the steady state the experiment needs; empty when it is. */
export function steadyStateReasons(experiment: Experiment, slo: SloConfig, view: SteadyStateView): string[] {
  const reasons: string[] = [];
  for (const service of experiment.hypothesis.sliServices) {
    const sli = view.sli.find((s) => s.service === service);
    if (sli?.errorRatio === undefined) {
      reasons.push(`${service} had no API traffic over the last ${view.window}: its SLIs cannot be judged`);
      continue;
    }
    const budget = 1 - slo.availability;
    if (sli.errorRatio > budget + 1e-12) {
      reasons.push(
        `${service}'s 5xx ratio over the last ${view.window} is ${pct(sli.errorRatio)}, above its availability budget of ${pct(budget)}`,
      );
    }
    const latencyBudget = 1 - slo.latency;
    if (sli.slowRatio !== undefined && sli.slowRatio > latencyBudget + 1e-12) {
      reasons.push(
        `${service}'s share of slow requests over the last ${view.window} is ${pct(sli.slowRatio)}, above its latency budget of ${pct(latencyBudget)}`,
      );
    }
  }
  for (const { alert, state } of view.alerts) {
    if (state !== "absent") reasons.push(`${alertLabel(alert)} is firing already (${state})`);
  }
  if (view.targetFault) reasons.push(`a fault is in force on the target: ${view.targetFault}`);
  if (view.targetReady === false) reasons.push(`${experiment.target} does not answer /readyz`);
  return reasons;
}

export interface SteadyStateDeps {
  observer: Observer;
  injector: Injector;
  /** Local runs: whether a service answers /readyz. */
  ready?: (service: ServiceName) => Promise<boolean>;
}

/** Asks Prometheus, Alertmanager, the injector and the target what the steady-state check needs. */
export async function observeSteadyState(
  experiment: Experiment,
  deps: SteadyStateDeps,
  window: string,
): Promise<SteadyStateView> {
  const h = experiment.hypothesis;
  const [sli, alerts, targetFault, targetReady] = await Promise.all([
    deps.observer.sli(h.sliServices, window),
    deps.observer.alerts([...h.mustFire, ...h.mustNotFire]),
    deps.injector.activeFault(experiment),
    deps.ready?.(experiment.target),
  ]);
  return { window, sli, alerts, targetFault, targetReady };
}

export interface SettleOptions {
  slo: SloConfig;
  window: string;
  /** Until when (clock ms) to wait for the steady state before refusing. */
  settleUntil: number;
  now: () => number;
  /** One pause between checks (rejects when the run is interrupted). */
  wait: () => Promise<void>;
  status?: (line: string) => void;
}

/**
 * The steady state, waited for until `settleUntil`; throws SteadyStateRefused with the last reasons otherwise.
 * Prometheus or Alertmanager not answering is a reason too: nothing can be judged without them.
 */
export async function awaitSteadyState(
  experiment: Experiment,
  deps: SteadyStateDeps,
  options: SettleOptions,
): Promise<SteadyStateView> {
  for (;;) {
    let view: SteadyStateView | undefined;
    let reasons: string[];
    try {
      view = await observeSteadyState(experiment, deps, options.window);
      reasons = steadyStateReasons(experiment, options.slo, view);
    } catch (err) {
      if (!(err instanceof ObservationError)) throw err;
      reasons = [`the steady state cannot be checked: ${err.message}`];
    }
    if (view && reasons.length === 0) return view;
    if (options.now() >= options.settleUntil) throw new SteadyStateRefused(experiment.name, reasons);
    options.status?.(`${experiment.name}: waiting for the steady state: ${reasons[0]}`);
    await options.wait();
  }
}
