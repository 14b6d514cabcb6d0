import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../infra/charts/values-files";
import { ENVIRONMENTS } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { strictFlags } from "../bench/flags";
import { describeMachine } from "../bench/machine";
import { renderPng } from "../bench/plots";
import { renderText } from "../bench/table";
import { reportBlocks, reportHtml, reportMarkdown } from "./document";
import { CapacityInputError, readLoadTestResult } from "./load-result";
import { CAPACITY_PLOTS } from "./plots";
import { buildReport, type CapacityReport } from "./report";
import { kneeTable, verdictTable } from "./tables";

export const USAGE = `usage: npm run capacity-report [-- flags]
  --from <file>   the load-test result to read (default out/loadtest/latest-stress.json); repeat it to
                  add runs that starve another service of CPU: each service's knee comes from the run
                  where it is highest per core, volumes and stages from the first
  --docs <dir>    where capacity-report.md and img/capacity-*.png go (default docs)
  --out <dir>     where report.html goes (default out/capacity)`;

export interface CapacityOptions {
  /** The first is the main run (volumes, fan-out, stages); the others may hold a service's own knee. */
  from: string[];
  docsDir: string;
  outDir: string;
}

/** The flags; throws CapacityInputError naming the bad one. `help` when asked for the usage. */
export function parseOptions(argv: readonly string[], root = repoRoot()): CapacityOptions | "help" {
  const { values } = strictFlags(
    argv,
    {
      from: { type: "string", multiple: true },
      docs: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    (message) => new CapacityInputError(message, true),
  );
  if (values.help) return "help";
  for (const flag of ["docs", "out"] as const) {
    if (typeof values[flag] === "string" && (values[flag] as string).trim() === "") {
      throw new CapacityInputError(`--${flag} needs a directory`, true);
    }
  }
  const from = (values.from as string[] | undefined) ?? [];
  if (from.some((f) => f.trim() === "")) throw new CapacityInputError("--from needs a file", true);
  const resolve = (v: unknown, fallback: string) => path.resolve(typeof v === "string" ? v : path.join(root, fallback));
  return {
    from: from.length > 0 ? from.map((f) => path.resolve(f)) : [resolve(undefined, "out/loadtest/latest-stress.json")],
    docsDir: resolve(values.docs, "docs"),
    outDir: resolve(values.out, "out/capacity"),
  };
}

/** A path as the report shows it: relative to the repository when inside it (no home directories in docs). */
function shown(file: string, root: string): string {
  const rel = path.relative(root, file);
  return rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}

/** Writes the Markdown and PNGs under `docsDir` and the self-contained HTML under `outDir`; returns the files. */
export async function writeReport(report: CapacityReport, docsDir: string, outDir: string): Promise<string[]> {
  const imgDir = path.join(docsDir, "img");
  mkdirSync(imgDir, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  const pngs = new Map<string, Buffer>();
  const written: string[] = [];
  for (const plot of CAPACITY_PLOTS) {
    const png = await renderPng(plot.spec(report));
    pngs.set(plot.file, png);
    const file = path.join(imgDir, plot.file);
    writeFileSync(file, png);
    written.push(file);
  }
  const blocks = reportBlocks(report);
  const md = path.join(docsDir, "capacity-report.md");
  writeFileSync(md, reportMarkdown(blocks));
  const html = path.join(outDir, "report.html");
  const linkBase = `${path.relative(outDir, docsDir).split(path.sep).join("/")}/`;
  writeFileSync(html, reportHtml(blocks, pngs, linkBase));
  written.push(md, html);
  return written;
}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}
const STDIO: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** Exit code: 0 written, 2 bad input (flag, result file, stack config), said in one message without a stack trace. */
export async function runCli(argv: readonly string[], io: Io = STDIO): Promise<number> {
  const root = repoRoot();
  try {
    const options = parseOptions(argv, root);
    if (options === "help") {
      io.out(`${USAGE}\n`);
      return 0;
    }
    const [main, ...others] = options.from.map((file) => ({
      result: readLoadTestResult(file),
      source: shown(file, root),
    }));
    const { result } = main as { result: ReturnType<typeof readLoadTestResult> };
    for (const other of others) {
      if (other.result.slo.stack !== result.slo.stack) {
        throw new CapacityInputError(
          `${other.source} was run against the ${other.result.slo.stack} SLO, the first result against ${result.slo.stack}: compare runs made with the same --stack`,
        );
      }
    }
    const stacks = ENVIRONMENTS.map((stack) => {
      try {
        return { stack, config: loadStackConfig(stack) };
      } catch (err) {
        // an invalid config (StackConfigError), a missing file or bad YAML: all the stack file's fault
        throw new CapacityInputError(`Pulumi.${stack}.yaml: ${(err as Error).message}`);
      }
    });
    const generated = { at: new Date().toISOString().replace(/\.\d+Z$/, "Z"), machine: describeMachine() };
    const report = buildReport(result, main?.source as string, stacks, generated, others);
    io.out(`\n${[kneeTable(report), verdictTable(report)].map(renderText).join("\n\n")}\n\n`);
    const files = await writeReport(report, options.docsDir, options.outDir);
    io.err(`capacity-report: wrote ${files.map((f) => shown(f, root)).join(", ")}\n`);
    if (report.fixture) io.err("capacity-report: FIXTURE DATA — not a measurement (the result is a test fixture)\n");
    return 0;
  } catch (err) {
    if (!(err instanceof CapacityInputError)) throw err;
    io.err(`capacity-report: ${err.message}\n`);
    if (err.showUsage) io.err(`${USAGE}\n`);
    return 2;
  }
}
