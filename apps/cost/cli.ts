import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../infra/charts/values-files";
import { ENVIRONMENTS, type StackConfig } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { strictFlags } from "../bench/flags";
import { reportMarkdown, reportText } from "./document";
import { httpPrometheus, type PrometheusClient, PrometheusUnreachable } from "./prometheus";
import { buildReport } from "./report";

/** The demo's Prometheus (npm run demo); a cluster's through `kubectl port-forward` on the same port. */
export const DEFAULT_PROMETHEUS = "http://127.0.0.1:9090";
const DEFAULT_TOP = 10;

export const USAGE = `usage: npm run cost-report [-- flags]
  --prometheus <url>         Prometheus to query (default ${DEFAULT_PROMETHEUS}: npm run demo, or a port-forward)
  --stack <${ENVIRONMENTS.join("|")}>   whose prices, budget, rules and dashboards to judge by (default dev)
  --out <dir>                where cost-report-<timestamp>.md goes (default out/cost)
  --trace-budget <spans/s>   kept-span rate to size trace sampling for (no default: that advice is skipped)
  --top <n>                  rows of each ranked table (default ${DEFAULT_TOP})`;

/** Bad input (a flag, the stack file): one message, exit code 2. */
export class CostInputError extends Error {
  override name = "CostInputError";
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message);
  }
}

export interface CostOptions {
  prometheus: string;
  stack: (typeof ENVIRONMENTS)[number];
  outDir: string;
  traceBudget?: number;
  top: number;
}

function positive(flag: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new CostInputError(
      `--${flag} must be a positive ${integer ? "whole number" : "number"}, got "${text}"`,
      true,
    );
  }
  return value;
}

/** The flags; throws CostInputError naming the bad one. `help` when asked for the usage. */
export function parseOptions(argv: readonly string[], root = repoRoot()): CostOptions | "help" {
  const { values } = strictFlags(
    argv,
    {
      prometheus: { type: "string" },
      stack: { type: "string" },
      out: { type: "string" },
      "trace-budget": { type: "string" },
      top: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    (message) => new CostInputError(message, true),
  );
  if (values.help) return "help";
  const str = (flag: string) => values[flag] as string | undefined;
  const stack = str("stack") ?? "dev";
  if (!(ENVIRONMENTS as readonly string[]).includes(stack)) {
    throw new CostInputError(`--stack must be one of ${ENVIRONMENTS.join(", ")}, got "${stack}"`, true);
  }
  const prometheus = str("prometheus") ?? DEFAULT_PROMETHEUS;
  if (!/^https?:\/\/[^/\s]+/.test(prometheus)) {
    throw new CostInputError(`--prometheus must be an http:// or https:// URL, got "${prometheus}"`, true);
  }
  const out = str("out");
  if (out !== undefined && out.trim() === "") throw new CostInputError("--out needs a directory", true);
  return {
    prometheus,
    stack: stack as CostOptions["stack"],
    outDir: path.resolve(out ?? path.join(root, "out/cost")),
    traceBudget: positive("trace-budget", str("trace-budget"), false),
    top: positive("top", str("top"), true) ?? DEFAULT_TOP,
  };
}

/** `cost-report-2025-06-01T12-00-00Z.md`: sortable, no colons (not every file system takes them). */
export const reportFileName = (generatedAt: string) => `cost-report-${generatedAt.replaceAll(":", "-")}.md`;

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}
const STDIO: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export interface CliDeps {
  io?: Io;
  /** The client for a URL (tests may pass a fake); the real HTTP one by default. */
  client?: (url: string) => PrometheusClient;
  now?: () => Date;
}

/** Exit code: 0 written; 2 bad input (flag, stack file) or Prometheus unreachable, said in one message. */
export async function runCli(argv: readonly string[], deps: CliDeps = {}): Promise<number> {
  const io = deps.io ?? STDIO;
  const root = repoRoot();
  try {
    const options = parseOptions(argv, root);
    if (options === "help") {
      io.out(`${USAGE}\n`);
      return 0;
    }
    let config: StackConfig;
    try {
      config = loadStackConfig(options.stack);
    } catch (err) {
      throw new CostInputError(`Pulumi.${options.stack}.yaml: ${(err as Error).message}`);
    }
    const client = (deps.client ?? ((url) => httpPrometheus(url)))(options.prometheus);
    const report = await buildReport(client, config, options, deps.now?.() ?? new Date());
    io.out(`${reportText(report)}\n`);
    mkdirSync(options.outDir, { recursive: true });
    const file = path.join(options.outDir, reportFileName(report.generatedAt));
    writeFileSync(file, reportMarkdown(report));
    const rel = path.relative(root, file);
    io.err(`cost-report: wrote ${rel.startsWith("..") ? file : rel}\n`);
    return 0;
  } catch (err) {
    if (err instanceof PrometheusUnreachable) {
      io.err(
        `cost-report: ${err.message}\n  start it (npm run demo) or port-forward a cluster's (docs/cost.md), or pass --prometheus <url>\n`,
      );
      return 2;
    }
    if (!(err instanceof CostInputError)) throw err;
    io.err(`cost-report: ${err.message}\n`);
    if (err.showUsage) io.err(`${USAGE}\n`);
    return 2;
  }
}
