import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../infra/charts/values-files";
import { ENVIRONMENTS, type Environment } from "../../infra/config/schema";
import { strictFlags } from "../bench/flags";
import { formatManifest, MANIFEST_FILE, type Manifest, ManifestError, parseManifest, staleDashboards } from "./check";
import { DashboardModelError } from "./model";
import { environmentDashboards, manifestOf, type RenderedDashboard, renderDashboards, svgToPng } from "./render";

export const RENDER_SCRIPT = "npm run dashboards:render";
const DEFAULT_OUT = "docs/dashboards";

export const USAGE = `usage: ${RENDER_SCRIPT} [-- flags]
  --environment <${ENVIRONMENTS.join("|")}>  whose dashboards to draw (default prod)
  --out <dir>                       where the PNGs and ${MANIFEST_FILE} go (default ${DEFAULT_OUT})
  --check                           write nothing; exit 1 when a PNG there is missing or stale`;

/** A bad flag: the message names it and what is allowed. */
export class RenderInputError extends Error {
  override name = "RenderInputError";
}

export interface RenderOptions {
  environment: Environment;
  outDir: string;
  check: boolean;
}

export function parseOptions(argv: readonly string[], root = repoRoot()): RenderOptions | "help" {
  const { values } = strictFlags(
    argv,
    {
      environment: { type: "string" },
      out: { type: "string" },
      check: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    (message) => new RenderInputError(`${message}; flags: --environment, --out, --check, --help`),
  );
  if (values.help) return "help";
  const { environment = "prod", out } = values as { environment?: string; out?: string };
  if (!(ENVIRONMENTS as readonly string[]).includes(environment)) {
    throw new RenderInputError(`--environment must be one of ${ENVIRONMENTS.join(", ")} (got "${environment}")`);
  }
  if (out !== undefined && out.trim() === "") throw new RenderInputError("--out needs a directory");
  return {
    environment: environment as Environment,
    outDir: path.resolve(out ?? path.join(root, DEFAULT_OUT)),
    check: values.check === true,
  };
}

/** The command that regenerates what `options` checks (flags only when they differ from the defaults). */
function regenerateCommand(options: RenderOptions, root: string): string {
  const flags: string[] = [];
  if (options.environment !== "prod") flags.push(`--environment ${options.environment}`);
  const out = path.relative(root, options.outDir).split(path.sep).join("/");
  if (out !== DEFAULT_OUT) flags.push(`--out ${out.startsWith("..") || path.isAbsolute(out) ? options.outDir : out}`);
  return flags.length ? `${RENDER_SCRIPT} -- ${flags.join(" ")}` : RENDER_SCRIPT;
}

function readCommitted(outDir: string): Manifest | string {
  const file = path.join(outDir, MANIFEST_FILE);
  if (!existsSync(file)) return `${MANIFEST_FILE} is missing`;
  try {
    return parseManifest(readFileSync(file, "utf8"));
  } catch (err) {
    if (err instanceof ManifestError) return err.message;
    throw err;
  }
}

/** Writes `<key>.png` per dashboard and the manifest; removes the PNGs of dashboards no longer generated. */
function write(outDir: string, rendered: RenderedDashboard[], manifest: Manifest): string[] {
  mkdirSync(outDir, { recursive: true });
  const previous = readCommitted(outDir);
  const written = rendered.map((r) => {
    const file = `${r.key}.png`;
    writeFileSync(path.join(outDir, file), svgToPng(r.svg, manifest.pngWidth));
    return file;
  });
  if (typeof previous !== "string") {
    for (const old of previous.dashboards) {
      if (!written.includes(old.png)) rmSync(path.join(outDir, old.png), { force: true });
    }
  }
  writeFileSync(path.join(outDir, MANIFEST_FILE), formatManifest(manifest));
  return [...written, MANIFEST_FILE];
}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}
const STDIO: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/**
 * Exit code: 0 written or current; 1 stale PNGs, layout problems or a model it cannot draw; 2 a bad flag.
 * Each is one message without a stack trace.
 */
export async function runCli(argv: readonly string[], io: Io = STDIO): Promise<number> {
  const root = repoRoot();
  let options: RenderOptions | "help";
  try {
    options = parseOptions(argv, root);
  } catch (err) {
    if (!(err instanceof RenderInputError)) throw err;
    io.err(`dashboards:render: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (options === "help") {
    io.out(`${USAGE}\n`);
    return 0;
  }
  let rendered: RenderedDashboard[];
  try {
    rendered = renderDashboards(options.environment, environmentDashboards(options.environment));
  } catch (err) {
    if (!(err instanceof DashboardModelError)) throw err;
    io.err(`dashboards:render: cannot draw ${err.message}\n`);
    return 1;
  }
  const manifest = manifestOf(options.environment, rendered);
  const layout = rendered.flatMap((r) => r.problems.map((p) => `${r.key}: ${p}`));
  for (const line of layout) io.err(`dashboards:render: layout problem: ${line}\n`);
  // inside the repository relative to it, so no home directory shows up in a log
  const rel = path.relative(root, options.outDir);
  const shown = rel.startsWith("..") || path.isAbsolute(rel) ? options.outDir : rel || ".";
  if (options.check) {
    const committed = readCommitted(options.outDir);
    const pngs = new Set(existsSync(options.outDir) ? readdirSync(options.outDir) : []);
    const stale = typeof committed === "string" ? [committed] : staleDashboards(committed, manifest, pngs);
    if (stale.length === 0 && layout.length === 0) {
      io.err(`dashboards:render: the ${rendered.length} PNGs in ${shown} are current\n`);
      return 0;
    }
    for (const line of stale) io.err(`dashboards:render: stale: ${line}\n`);
    if (stale.length > 0)
      io.err(`dashboards:render: run \`${regenerateCommand(options, root)}\` and commit ${shown}\n`);
    return 1;
  }
  const files = write(options.outDir, rendered, manifest);
  io.err(`dashboards:render: wrote ${files.map((f) => path.join(shown, f)).join(", ")}\n`);
  return layout.length === 0 ? 0 : 1;
}
