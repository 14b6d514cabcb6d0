/**
 * One game day experiment: steady state first, then the fault for its duration, then watching until the system
 * has recovered (or the watch bound), then the verdict. The fault is removed in a `finally`, so an interrupt
 * (the abort signal main.ts raises on SIGINT/SIGTERM), an error or a timeout never leaves it in force.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { Experiment, ExperimentDefinition } from "../../infra/chaos/experiments";
import { alertLabel } from "./describe";
import { type MeasureInput, measure, type ReadinessSample, recoveredAt, type SloConfig } from "./measure";
import { ObservationError } from "./observe";
import type { Progress } from "./progress";
import type { PushResult } from "./push";
import { awaitSteadyState, type SteadyStateDeps, SteadyStateRefused } from "./steady-state";
import type { AlertSample, ExperimentReport, SliSample } from "./types";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Rejects when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }),
};

export interface RunnerDeps extends SteadyStateDeps {
  clock: Clock;
  progress: Progress;
  /** Pushes the result metrics; a failure is reported by its result, never thrown. */
  push?: (report: ExperimentReport) => Promise<PushResult>;
  /**
   * The experiment as it will run, planned from what Prometheus shows now (SLO-burn experiments: plan.ts);
   * throws SteadyStateRefused when it cannot be planned. Default: as written.
   */
  plan?: (definition: ExperimentDefinition) => Promise<Experiment>;
}

export interface RunOptions {
  /** `local` or the kube context. */
  runTarget: string;
  slo: SloConfig;
  /** Prometheus and Alertmanager are asked this often. */
  sampleSeconds?: number;
  /** How often the injector may re-apply the fault (a restarted process is killed again before it serves). */
  maintainMs?: number;
  /** Bound of the watch after the fault's end; default the hypothesis' recovery limit plus a minute. */
  watchSeconds?: number;
  /** Recovered once everything has held this long; default three samples in a row. */
  confirmSeconds?: number;
  /** PromQL range of the SLIs while watching (short: recovery shows within it) and of the steady-state check. */
  sliWindow?: string;
  steadyWindow?: string;
  /** Wait this long for the steady state before refusing (between the experiments of a game day). */
  settleSeconds?: number;
  signal?: AbortSignal;
}

/** The run ended early (interrupt or error); the fault was removed unless `cleanup` says otherwise. */
export class ExperimentAborted extends Error {
  constructor(
    readonly experiment: string,
    readonly interrupted: boolean,
    readonly cleanup: ExperimentReport["cleanup"],
    cause: unknown,
  ) {
    const why = interrupted ? "interrupted" : `stopped by an error: ${(cause as Error)?.message ?? String(cause)}`;
    super(`${experiment} ${why}; ${cleanup.detail}`, { cause });
  }
}

const pct = (ratio: number | undefined) => (ratio === undefined ? "-" : `${(ratio * 100).toFixed(1)} %`);
const secs = (s: number | undefined) => (s === undefined ? "-" : `${s.toFixed(2)} s`);

export async function runExperiment(
  definition: ExperimentDefinition,
  deps: RunnerDeps,
  options: RunOptions,
): Promise<ExperimentReport> {
  const { clock, progress, observer, injector } = deps;
  const plan = deps.plan ?? (async (d: ExperimentDefinition) => d as Experiment);
  // planned before the steady-state check (which alerts must be quiet) and again just before the fault
  let experiment = await plan(definition);
  let h = experiment.hypothesis;
  let expectations = [...h.mustFire, ...h.mustNotFire, ...(h.mustBeInhibited ?? [])];
  const sampleMs = (options.sampleSeconds ?? 5) * 1_000;
  const maintainMs = Math.min(options.maintainMs ?? 250, sampleMs);
  const watchMsOf = (e: Experiment) => (options.watchSeconds ?? e.hypothesis.maxRecoverSeconds + 60) * 1_000;
  let watchMs = watchMsOf(experiment);
  const confirmSeconds = options.confirmSeconds ?? 2 * (sampleMs / 1_000);
  const sliWindow = options.sliWindow ?? "1m";
  const steadyWindow = options.steadyWindow ?? "2m";
  const signal = options.signal;
  const nowS = () => Math.round(clock.now()) / 1_000;
  const sleep = (ms: number) => clock.sleep(Math.max(0, ms), signal);

  const samples: SliSample[] = [];
  const alerts: AlertSample[] = [];
  const readiness: ReadinessSample[] = [];
  let lostSamples = 0;
  const startedAt = clock.now();
  let faultStart = Number.NaN;
  let faultEnd = Number.NaN;
  let cleanup: ExperimentReport["cleanup"] = { faultRemoved: true, detail: "no fault was injected" };

  /** One answer lost to an unreachable Prometheus or Alertmanager is a gap; anything else is a bug and stops the run. */
  async function tolerant<T>(answer: Promise<T>): Promise<T | undefined> {
    try {
      return await answer;
    } catch (err) {
      if (!(err instanceof ObservationError)) throw err;
      if (lostSamples++ === 0) progress.log(`warning: ${err.message} (the sample is lost; the experiment goes on)`);
      return undefined;
    }
  }

  async function sample(phase: string): Promise<void> {
    const t = nowS();
    const [sli, states, ready] = await Promise.all([
      tolerant(observer.sli(h.sliServices, sliWindow)),
      tolerant(observer.alerts(expectations)),
      deps.ready?.(experiment.target),
    ]);
    for (const reading of sli ?? []) samples.push({ t, ...reading });
    for (const { alert, state } of states ?? []) alerts.push({ t, alert, state });
    if (ready !== undefined) readiness.push({ t, ready });
    const parts = [
      `${experiment.name}: ${phase}`,
      ...(sli ?? []).map((s) => `${s.service} 5xx ${pct(s.errorRatio)} p99 ${secs(s.p99Seconds)}`),
      ...(states ?? []).map(({ alert, state }) => `${alertLabel(alert)} ${state}`),
      ...(ready === undefined ? [] : [`${experiment.target} ${ready ? "ready" : "not ready"}`]),
    ];
    progress.status(parts.join(" · "));
    signal?.throwIfAborted();
  }

  const measureInput = (): MeasureInput => ({
    experiment,
    slo: options.slo,
    faultStart,
    faultEnd,
    samples,
    alerts,
    readiness,
    confirmSeconds,
  });

  let injected = false;
  let removed = false;
  try {
    try {
      signal?.throwIfAborted();
      for (const line of await injector.removeStale(experiment)) progress.log(`stale fault removed: ${line}`);

      const view = await awaitSteadyState(experiment, deps, {
        slo: options.slo,
        window: steadyWindow,
        settleUntil: clock.now() + (options.settleSeconds ?? 0) * 1_000,
        now: () => clock.now(),
        wait: () => sleep(sampleMs),
        status: (line) => progress.status(line),
      });
      progress.done();
      if (experiment.burn) {
        experiment = await plan(definition);
        h = experiment.hypothesis;
        expectations = [...h.mustFire, ...h.mustNotFire, ...(h.mustBeInhibited ?? [])];
        watchMs = watchMsOf(experiment);
        for (const line of experiment.plan?.lines ?? []) progress.log(`${experiment.name}: plan: ${line}`);
      }
      const t0 = nowS();
      for (const reading of view.sli) samples.push({ t: t0, ...reading });
      for (const { alert, state } of view.alerts) alerts.push({ t: t0, alert, state });

      if (watchMs < h.maxRecoverSeconds * 1_000) {
        progress.log(
          `${experiment.name}: note: the watch (${watchMs / 1_000} s) is shorter than the recovery limit (${h.maxRecoverSeconds} s): a recovery after it shows as never`,
        );
      }
      injected = true; // before the call: an injection that fails halfway is still cleaned up
      const what = await injector.inject(experiment);
      faultStart = nowS();
      progress.log(`${experiment.name}: fault injected for ${experiment.durationSeconds} s: ${what}`);
      const endAt = faultStart * 1_000 + experiment.durationSeconds * 1_000;
      let nextSample = clock.now();
      while (clock.now() < endAt) {
        if (clock.now() >= nextSample) {
          const elapsed = Math.round(nowS() - faultStart);
          await sample(`fault ${elapsed}/${experiment.durationSeconds} s`);
          nextSample += sampleMs;
          if (nextSample < clock.now()) nextSample = clock.now() + sampleMs; // a slow answer: no burst of catch-up samples
        }
        const again = await injector.maintain(experiment);
        if (again) progress.log(`${experiment.name}: ${again}`);
        await sleep(Math.min(maintainMs, nextSample - clock.now(), endAt - clock.now()));
      }

      faultEnd = nowS();
      const detail = await injector.remove(experiment);
      removed = true;
      cleanup = { faultRemoved: true, detail };
      progress.log(`${experiment.name}: fault ended: ${detail}`);

      const watchUntil = faultEnd * 1_000 + watchMs;
      for (;;) {
        await sample(`recovering ${Math.round(nowS() - faultEnd)}/${Math.round(watchMs / 1_000)} s`);
        if (recoveredAt(measureInput()) !== null || clock.now() >= watchUntil) break;
        await sleep(Math.min(sampleMs, watchUntil - clock.now()));
      }
    } finally {
      progress.done();
      if (injected && !removed) {
        try {
          cleanup = { faultRemoved: true, detail: await injector.remove(experiment) };
        } catch (err) {
          cleanup = { faultRemoved: false, detail: `the fault could NOT be removed: ${(err as Error).message}` };
        }
        progress.log(`${experiment.name}: cleanup: ${cleanup.detail}`);
      }
    }
  } catch (err) {
    if (err instanceof SteadyStateRefused) throw err;
    throw new ExperimentAborted(experiment.name, signal?.aborted === true, cleanup, err);
  }

  if (lostSamples > 0) progress.log(`${experiment.name}: ${lostSamples} answers were lost (see the first warning)`);
  const measured = measure(measureInput());
  const iso = (seconds: number) => new Date(seconds * 1_000).toISOString();
  const report: ExperimentReport = {
    experiment: experiment.name,
    description: experiment.description,
    target: experiment.target,
    fault: experiment.fault,
    runTarget: options.runTarget,
    startedAt: new Date(startedAt).toISOString(),
    faultStartedAt: iso(faultStart),
    faultEndedAt: iso(faultEnd),
    endedAt: new Date(clock.now()).toISOString(),
    ...measured,
    samples,
    alerts,
    cleanup,
    definition: experiment,
  };
  if (deps.push) {
    const pushed = await deps.push(report);
    progress.log(`${experiment.name}: ${pushed.ok ? "" : "warning: results not pushed: "}${pushed.detail}`);
  }
  return report;
}
