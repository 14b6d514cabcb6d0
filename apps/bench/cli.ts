import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { analyze, type Report } from "./analyze";
import { writeDocs } from "./docs";
import { describeMachine, loadAverage } from "./machine";
import { estimateSeconds, parseOptions, USAGE, UsageError } from "./options";
import { progressPrinter, stopServicesOnExit } from "./process-guard";
import { runProfiles } from "./profile-run";
import { Deadline, runBenchmark } from "./run";
import { measureSpanCost } from "./span-cost";
import { renderText } from "./table";
import { reportTables } from "./tables";
import { VARIANTS } from "./variants";

/** The repository root, from dist/apps/bench. */
const ROOT = path.resolve(__dirname, "../../..");

/** telemetry-2025-01-31T12-00-00Z.json */
export function reportFileName(startedAt: string): string {
  return `telemetry-${startedAt.replace(/\.\d+Z$/, "Z").replaceAll(":", "-")}.json`;
}

function writeJson(report: Report, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const files = [path.join(outDir, reportFileName(report.startedAt)), path.join(outDir, "latest.json")];
  for (const file of files) writeFileSync(file, text);
  return files;
}

const relative = (file: string) => path.relative(process.cwd(), file) || file;

export async function runCli(argv: readonly string[]): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) process.stderr.write(`bench: ${err.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    return err.message ? 2 : 0;
  }
  const progress = progressPrinter();
  stopServicesOnExit(progress);

  const machine = describeMachine();
  const estimate = estimateSeconds(options, VARIANTS.length);
  progress(
    `telemetry benchmark${options.smoke ? " (smoke)" : ""}: ${VARIANTS.length} variants × 3 services, ` +
      `${options.rate} req/s in ${options.sliceS} s slices × ${options.cycles} cycles (${options.scenarios.join(", ")}), ` +
      `saturation ${options.saturation.cycles} × ${options.saturation.sliceS} s at ${options.saturation.connections} connections; ` +
      `about ${Math.ceil(estimate)} s (${machine.cpus} cores, load ${machine.loadAverageStart.join(" ")})`,
  );
  const deadline = new Deadline(Date.now() + (estimate * 1.5 + 120) * 1_000);
  const run = await runBenchmark(options, progress, deadline);
  machine.loadAverageEnd = loadAverage();
  const report = analyze(run, options, machine);
  const outDir = options.outDir ? path.resolve(options.outDir) : path.join(ROOT, "out", "bench");
  if (options.profileS > 0) {
    report.profile = await runProfiles({
      rate: options.rate,
      seconds: options.profileS,
      deferS: options.deferS,
      outDir,
      progress,
    });
    machine.loadAverageEnd = loadAverage();
  }
  if (!options.smoke || options.profileS > 0) {
    progress("span cost: the SDK alone, per span (two short processes)");
    report.spanCost = measureSpanCost(options.smoke ? 2_000 : 20_000);
  }

  process.stdout.write(`\n${reportTables(report).map(renderText).join("\n\n")}\n\n`);
  const files = writeJson(report, outDir);
  if (options.docs) files.push(...(await writeDocs(report, path.join(ROOT, "docs"))));
  progress(`wrote ${files.map(relative).join(", ")}`);
  if (report.totals.errors > 0) {
    progress(
      `warning: ${report.totals.errors} of ${report.totals.requests} requests failed (see "errorSamples" in the JSON)`,
    );
  }
  return 0;
}
