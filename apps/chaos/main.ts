import { repoRoot } from "../../infra/charts/values-files";
import { chaosObjects } from "../../infra/chaos/chaos-mesh";
import type { Experiment, ExperimentDefinition } from "../../infra/chaos/experiments";
import {
  alertHolds,
  burnPairs,
  type PlanConditions,
  PlanError,
  planExperiment,
  type SloObjectives,
} from "../../infra/chaos/plan";
import { StackConfigError } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { commonLabels } from "../../infra/platform/labels";
import { namespaces } from "../../infra/platform/naming";
import { formatSeconds, formatShare } from "./describe";
import { connectChaosMesh } from "./chaos-mesh-api";
import { FaultApi, isHttpFault } from "./fault-api";
import { clusterInjector, type Injector, localInjector } from "./inject";
import { httpObserver, ObservationError, type Observer } from "./observe";
import { type ChaosOptions, LOCAL_TARGET, parseOptions, USAGE, UsageError } from "./options";
import { type Output, progressDisplay } from "./progress";
import { pushResults } from "./push";
import { writeReport } from "./report";
import { ExperimentAborted, realClock, runExperiment } from "./runner";
import { SteadyStateRefused } from "./steady-state";
import type { ExperimentReport, HypothesisLine } from "./types";

/** `npm run chaos -- <experiment|all>`: game days against the demo or a cluster (docs/chaos.md). */

/** The longest wait for the steady state between the experiments of `all` (default of --settle-seconds). */
export const SETTLE_BETWEEN_SECONDS = 1_800;

export const EXIT = { passed: 0, failed: 1, usage: 2, refused: 3, interrupted: 130 } as const;
type Outcome = (typeof EXIT)[keyof typeof EXIT];

/** The exit code of a game day: an interrupt wins, then a failed hypothesis (or broken run), then a refusal. */
export function exitCodeOf(outcomes: readonly Outcome[]): Outcome {
  for (const code of [EXIT.interrupted, EXIT.failed, EXIT.refused] as const) {
    if (outcomes.includes(code)) return code;
  }
  return EXIT.passed;
}

const measuredText = (line: HypothesisLine): string => {
  if (line.measured === null) return "never";
  if (line.unit === "seconds") return formatSeconds(line.measured);
  if (line.unit === "ratio") return formatShare(line.measured);
  return String(line.measured);
};

/** The verdict as printed: one line per hypothesis line with what was measured, then the headline numbers. */
export function verdictText(report: ExperimentReport): string {
  return [
    `${report.experiment} (${report.runTarget}): ${report.passed ? "PASSED" : "FAILED"}`,
    ...report.lines.map((l) => `  ${l.passed ? "pass" : "FAIL"}  ${l.statement} — measured ${measuredText(l)}`),
    `  detection ${report.detectionSeconds === null ? "-" : formatSeconds(report.detectionSeconds)}, recovery ${
      report.recoverySeconds === null ? "-" : formatSeconds(report.recoverySeconds)
    }, budget ${formatShare(report.budgetConsumed)}, peak 5xx ${formatShare(report.peakErrorRatio)}, peak p99 ${
      report.peakP99Seconds === null ? "-" : formatSeconds(report.peakP99Seconds)
    }`,
    `  cleanup: ${report.cleanup.faultRemoved ? "" : "FAULT NOT REMOVED: "}${report.cleanup.detail}`,
  ].join("\n");
}

export interface CliIo {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
}

async function injectorFor(options: ChaosOptions, faultApi: FaultApi): Promise<Injector> {
  if (options.target === LOCAL_TARGET) return localInjector({ faultApi, pidsFile: options.pidsFile });
  const stack = loadStackConfig(options.stack);
  const ns = namespaces(stack).apps;
  // made by this tool, not the program: the ownership labels say so
  const labels = { ...commonLabels(stack, "chaos"), "app.kubernetes.io/managed-by": "chaos-runner" };
  const needsApi = options.experiments.some((e) => !isHttpFault(e.fault));
  const api = needsApi
    ? await connectChaosMesh({ context: options.target })
    : { exists: async () => false, create: async () => {}, delete: async () => false };
  return clusterInjector({ api, faultApi, objects: (e: Experiment) => chaosObjects(e, ns, labels) });
}

export interface PlannerOptions {
  observer: Observer;
  slo: SloObjectives;
  sampleSeconds: number;
  sliWindowSeconds: number;
  faultSeconds?: number;
  maxFaultSeconds: number;
  /** The rules' windows and `for`s are the stack's divided by this (test harnesses); default 1. */
  windowDivisor?: number;
  /** `for` of each alert rule of the stack (plan.ts alertHolds). */
  alertHolds: Record<string, number>;
}

/**
 * Plans an SLO-burn experiment from what Prometheus shows now: the premise SLI's history and each rule window's
 * bad share, and Prometheus' own intervals. Anything that keeps it from being planned is a refusal with the reason.
 */
export function planner(o: PlannerOptions): (definition: ExperimentDefinition) => Promise<Experiment> {
  const conditions = async (definition: ExperimentDefinition): Promise<PlanConditions> => {
    const base = {
      slo: o.slo,
      sampleSeconds: o.sampleSeconds,
      sliWindowSeconds: o.sliWindowSeconds,
      windowDivisor: o.windowDivisor,
      faultSeconds: o.faultSeconds,
      alertHolds: o.alertHolds,
    };
    const premise = definition.burn;
    if (!premise) return { ...base, historySeconds: 0, ...(await o.observer.intervals()) };
    const pairs = burnPairs(o.slo, premise.slo, o.windowDivisor);
    const windows = [...new Set(pairs.flatMap((p) => [p.longWindow, p.shortWindow]))];
    const longest = Math.max(...pairs.map((p) => p.longSeconds));
    return { ...base, ...(await o.observer.planInputs(premise.service, premise.slo, windows, longest)) };
  };
  return async (definition) => {
    let planned: Experiment;
    try {
      planned = planExperiment(definition, await conditions(definition));
    } catch (err) {
      if (err instanceof PlanError) throw new SteadyStateRefused(definition.name, [err.message]);
      if (err instanceof ObservationError) {
        throw new SteadyStateRefused(definition.name, [`the experiment cannot be planned: ${err.message}`]);
      }
      throw err;
    }
    if (planned.durationSeconds > o.maxFaultSeconds) {
      throw new SteadyStateRefused(definition.name, [
        `the plan needs ${planned.durationSeconds} s of this fault under the stack's objectives and Prometheus' history (${planned.plan?.lines[1] ?? ""}); that is longer than --max-fault-seconds ${o.maxFaultSeconds}`,
      ]);
    }
    return planned;
  };
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let options: ChaosOptions;
  let stack: ReturnType<typeof loadStackConfig>;
  try {
    options = parseOptions(argv, io.env, repoRoot());
    stack = loadStackConfig(options.stack);
  } catch (err) {
    if (err instanceof StackConfigError) {
      io.stderr.write(`chaos: ${err.message}\n`);
      return EXIT.usage;
    }
    if (!(err instanceof UsageError)) throw err;
    if (err.message) io.stderr.write(`chaos: ${err.message}\n`);
    io.stderr.write(`${USAGE}\n`);
    return err.message ? EXIT.usage : EXIT.passed;
  }
  const progress = progressDisplay(io.stderr, () => Date.now());
  for (const why of options.skipped) progress.log(`skipped: ${why}`);
  if (options.experiments.length === 0) {
    io.stderr.write("chaos: no experiment to run on this target\n");
    return EXIT.usage;
  }

  const faultApi = new FaultApi(options.services, options.adminToken);
  let injector: Injector;
  try {
    injector = await injectorFor(options, faultApi);
  } catch (err) {
    io.stderr.write(`chaos: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  const observer = httpObserver({
    prometheusUrl: options.prometheusUrl,
    alertmanagerUrl: options.alertmanagerUrl,
    namespace: namespaces(stack).apps,
    latencyThresholdSeconds: stack.slo.latencyThresholdSeconds,
  });

  // First Ctrl-C: end the experiment, which removes the fault; a second one exits at once.
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      io.stderr.write(`\nchaos: ${signal} again: exiting now; the fault may still be in force (docs/chaos.md)\n`);
      process.exit(EXIT.interrupted);
    }
    progress.log(`${signal}: ending the experiment and removing its fault…`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const outcomes: Outcome[] = [];
  try {
    for (const [i, experiment] of options.experiments.entries()) {
      progress.log(`${experiment.name}: ${experiment.description}`);
      let report: ExperimentReport;
      try {
        report = await runExperiment(
          experiment,
          {
            observer,
            injector,
            ready: options.target === LOCAL_TARGET ? (service) => faultApi.ready(service) : undefined,
            plan: planner({
              observer,
              slo: stack.slo,
              sampleSeconds: options.sampleSeconds,
              sliWindowSeconds: 60,
              faultSeconds: options.faultSeconds,
              maxFaultSeconds: options.maxFaultSeconds,
              alertHolds: alertHolds(stack),
            }),
            clock: realClock,
            progress,
            push: (r) => pushResults(options.pushgatewayUrl, r),
          },
          {
            runTarget: options.target,
            slo: stack.slo,
            sampleSeconds: options.sampleSeconds,
            watchSeconds: options.watchSeconds,
            // between the experiments of a game day the last one's alerts need time to resolve: on a young
            // stack a 6h/30m page drains for up to its 30-minute short window (the wait ends once steady)
            settleSeconds: options.settleSeconds ?? (i === 0 ? 0 : SETTLE_BETWEEN_SECONDS),
            signal: controller.signal,
          },
        );
      } catch (err) {
        if (err instanceof SteadyStateRefused) {
          io.stderr.write(`chaos: ${err.message}\n`);
          outcomes.push(EXIT.refused);
          continue;
        }
        if (!(err instanceof ExperimentAborted)) throw err;
        io.stderr.write(`chaos: ${err.message}\n`);
        if (err.interrupted) return EXIT.interrupted;
        outcomes.push(EXIT.failed);
        if (!err.cleanup.faultRemoved) return EXIT.failed; // never start another fault on top of one left in force
        continue;
      }
      io.stdout.write(`${verdictText(report)}\n`);
      try {
        const files = await writeReport(report, options.outDir);
        io.stdout.write(`  report: ${files.json}, ${files.markdown}, ${files.png}\n`);
      } catch (err) {
        io.stderr.write(`chaos: the report could not be written: ${(err as Error).message}\n`);
        outcomes.push(EXIT.failed);
      }
      outcomes.push(report.passed ? EXIT.passed : EXIT.failed);
      if (!report.cleanup.faultRemoved) return EXIT.failed;
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return exitCodeOf(outcomes);
}

if (require.main === module) {
  runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(EXIT.failed);
    },
  );
}
