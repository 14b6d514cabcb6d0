import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SERVICE_NAMES } from "../../contract";
import { repoRoot } from "../../infra/charts/values-files";
import { StackConfigError } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { serviceLogging } from "../../infra/services/logging-env";
import { describeMachine } from "../bench/machine";
import { progressPrinter, stopServicesOnExit } from "../bench/process-guard";
import { renderText, type Table } from "../bench/table";
import { parseOptions, USAGE, UsageError } from "./options";
import { LOADTEST_RESULT_SCHEMA, type LoadTestResult } from "./result";
import { attachSpans, runLoadTest } from "./run";
import { SCENARIOS } from "./scenarios";
import { connectTarget, type Target } from "./targets";
import { runPassed, thresholdsFor } from "./thresholds";

/** average-2025-01-31T12-00-00Z.json */
export function resultFileName(scenario: string, startedAt: string): string {
  return `${scenario}-${startedAt.replace(/\.\d+Z$/, "Z").replaceAll(":", "-")}.json`;
}

function writeResult(result: LoadTestResult, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const text = `${JSON.stringify(result, null, 2)}\n`;
  const files = [
    path.join(outDir, resultFileName(result.scenario, result.startedAt)),
    path.join(outDir, `latest-${result.scenario}.json`),
  ];
  for (const file of files) writeFileSync(file, text);
  return files;
}

const ms = (seconds: number | null) => (seconds === null ? "-" : `${Math.round(seconds * 1e4) / 10}`);

function summaryTable(result: LoadTestResult): Table {
  const services = SERVICE_NAMES.filter((name) => result.stages.some((s) => s.services[name]));
  return {
    title: `${result.scenario}: thresholds p99 ≤ ${result.thresholds.p99Seconds * 1_000} ms, errors ≤ ${(result.thresholds.errorRatio * 100).toFixed(2)} % (stack ${result.slo.stack})`,
    headers: [
      "stage",
      "offered/s",
      "achieved/s",
      "p50 ms",
      "p99 ms",
      "errors",
      "4xx meant",
      ...services.flatMap((name) => [`${name} p99≤ ms`, `${name} CPU ms/req`]),
      "spans/req",
      "verdict",
    ],
    rows: result.stages.map((s) => [
      s.name,
      String(s.targetRps),
      s.achievedRps.toFixed(1),
      ms(s.latencyUs.p50 / 1e6),
      ms(s.latencyUs.p99 / 1e6),
      String(s.errors),
      String(s.expectedClientErrors),
      ...services.flatMap((name) => {
        const m = s.services[name];
        return [
          ms(m?.p99Seconds ?? null),
          m?.cpuSecondsPerRequest == null ? "-" : (m.cpuSecondsPerRequest * 1e3).toFixed(2),
        ];
      }),
      s.spans ? s.spans.spansPerRequest.toFixed(2) : "-",
      s.passed ? "pass" : "FAIL",
    ]),
    notes: stressNotes(result),
  };
}

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

/** First and last memory sample per service: growth over a soak shows here first. */
function memoryLine(result: LoadTestResult): string {
  const parts = SERVICE_NAMES.flatMap((name) => {
    const samples = result.memory.filter((m) => m.service === name);
    const [first, last] = [samples[0], samples.at(-1)];
    if (!first || !last) return [];
    const heap = first.heapUsedBytes !== undefined && last.heapUsedBytes !== undefined;
    return [
      `${name} RSS ${mib(first.rssBytes)} → ${mib(last.rssBytes)}${heap ? `, heap ${mib(first.heapUsedBytes as number)} → ${mib(last.heapUsedBytes as number)}` : ""}`,
    ];
  });
  const span = result.memory.at(-1)?.atS ?? 0;
  return parts.length ? `memory over ${Math.round(span)} s (${result.memory.length} samples): ${parts.join("; ")}` : "";
}

function stressNotes(result: LoadTestResult): string[] {
  if (SCENARIOS[result.scenario as keyof typeof SCENARIOS]?.kind !== "stress") return [];
  const last = result.stages.at(-1);
  const knee = result.stages.findLast((s) => s.passed);
  if (!last || !knee) return ["even the first stage broke the thresholds: start lower (--rate)"];
  if (last.passed) return [`no stage broke the thresholds up to ${last.targetRps}/s: the knee is higher (--max-rate)`];
  return [`${last.name} broke the thresholds, which ends the ramp (expected); the last stage that held: ${knee.name}`];
}

export async function runCli(argv: readonly string[]): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  let stack: ReturnType<typeof loadStackConfig>;
  try {
    options = parseOptions(argv);
    stack = loadStackConfig(options.stack);
  } catch (err) {
    if (err instanceof StackConfigError) {
      process.stderr.write(`loadtest: ${err.message}\n`);
      return 2;
    }
    if (!(err instanceof UsageError)) throw err;
    if (err.message) process.stderr.write(`loadtest: ${err.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    return err.message ? 2 : 0;
  }
  const progress = progressPrinter();
  stopServicesOnExit(progress);

  const { plan, scenario } = options;
  const thresholds = thresholdsFor(stack.slo);
  progress(
    `${scenario}: ${SCENARIOS[scenario].description}; ${plan.stages.length} stage(s), ` +
      `${plan.stopOnFailure ? "at most " : ""}${plan.maxDurationS} s and ${plan.maxRequests} requests; ` +
      `thresholds from ${options.stack}: p99 ≤ ${thresholds.p99Seconds} s, error ratio ≤ ${thresholds.errorRatio}`,
  );
  const startedAt = new Date().toISOString();
  let target: Target;
  try {
    progress(options.target ? `target: ${Object.values(options.target).join(", ")}` : "starting user, product, order");
    target = options.target
      ? await connectTarget(options.target)
      : await (await import("./loopback.js")).startLoopback(stack, options.cpuLimitCores);
  } catch (err) {
    process.stderr.write(`loadtest: ${(err as Error).message}\n`);
    return 1;
  }
  let output: Awaited<ReturnType<typeof runLoadTest>>;
  try {
    output = await runLoadTest(
      target,
      { plan, seed: options.seed, thresholds, latencyThresholdSeconds: stack.slo.latencyThresholdSeconds },
      progress,
    );
  } catch (err) {
    process.stderr.write(`loadtest: ${(err as Error).message}\n`);
    return 1;
  } finally {
    if (!options.target) progress("stopping the services (they flush their spans)");
    await target.stop();
  }
  const { cpus, cpuModel, memoryGiB, node } = describeMachine();
  const result: LoadTestResult = {
    schema: LOADTEST_RESULT_SCHEMA,
    scenario,
    target: { ...target.urls },
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { cpus, cpuModel, memoryGiB, node },
    ...(options.target || options.cpuLimitCores === undefined ? {} : { cpuLimitCores: options.cpuLimitCores }),
    // a --target's own sampling is unknown here; loopback services log as the stack says
    ...(options.target ? {} : { accessLogSamplingPercent: serviceLogging(stack).accessLogSamplingPercentage }),
    slo: {
      stack: options.stack,
      latencyThresholdSeconds: stack.slo.latencyThresholdSeconds,
      availability: stack.slo.availability,
      latency: stack.slo.latency,
    },
    thresholds,
    stages: output.stages,
    memory: output.memory,
    passed: runPassed(output.stages, plan.stopOnFailure),
  };
  attachSpans(result, target);
  if (target.spans?.unreadable) progress(`warning: ${target.spans.unreadable} span exports could not be read`);

  process.stdout.write(`\n${renderText(summaryTable(result))}\n${memoryLine(result)}\n\n`);
  const outDir = options.outDir ? path.resolve(options.outDir) : path.join(repoRoot(), "out", "loadtest");
  const files = writeResult(result, outDir);
  progress(`wrote ${files.map((f) => path.relative(process.cwd(), f) || f).join(", ")}`);
  progress(result.passed ? "passed" : "FAILED: see the failures of each stage");
  return result.passed ? 0 : 1;
}
