import os from "node:os";
import { SERVICE_NAMES } from "../../contract";
import { ENVIRONMENTS, type Environment } from "../../infra/config/schema";
import { strictFlags } from "../bench/flags";
import { maxCoresPerService } from "./cpu-limit";
import { MAX_RATE, PlanError, planStages, SCENARIO_NAMES, type ScenarioName, type StagePlan } from "./scenarios";

export class UsageError extends Error {}

export interface LoadTestOptions {
  scenario: ScenarioName;
  plan: StagePlan;
  /** Absent: the load test starts the three services on loopback itself. */
  target?: { order: string; product?: string; user?: string };
  stack: Environment;
  seed: number;
  /** Where the JSON goes; undefined: out/loadtest in the repository. */
  outDir?: string;
  /** Loopback only: each service held to this many cores (a CFS quota, like a Kubernetes CPU limit). */
  cpuLimitCores?: number;
}

export const USAGE = `usage: npm run loadtest -- <scenario> [flags]
  scenarios: ${SCENARIO_NAMES.join(", ")}
  --target <url>     drive the order service at this http(s) URL instead of starting the services on loopback
  --product <url>    with --target: the product service, for direct reads and its /metrics
  --user <url>       with --target: the user service, for direct reads and its /metrics
  --duration <d>     the whole run, stages scaled in proportion (stress: each stage), e.g. 90, 90s, 5m, 1h
  --rate <req/s>     the scenario's base rate (stress: the first stage's)
  --step <req/s>     stress: increase per stage
  --max-rate <req/s> stress: the last rate tried
  --stack <name>     the stack whose SLO sets the thresholds: ${ENVIRONMENTS.join(", ")} (default dev)
  --cpu <cores>      loopback: hold each service to this many cores (a CFS quota, as a Kubernetes CPU
                     limit), leaving the rest of the machine to the load generator; up to (CPUs − 1) ÷ 3
  --seed <n>         seed of the request mix (default 1)
  --out <dir>        where the JSON goes (default out/loadtest)`;

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3_600 };

/** "90", "90s", "1.5m", "2h", "500ms" → seconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (DURATION_UNITS[match[2] ?? "s"] as number);
}

function rateFlag(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw === "" || !Number.isFinite(value) || value < 0.1 || value > MAX_RATE) {
    throw new UsageError(`--${name} must be a number of requests per second from 0.1 to ${MAX_RATE}, got "${raw}"`);
  }
  return value;
}

/** An http(s) URL without a path, query or credentials: where a service answers /healthz and /metrics. */
export function serviceUrl(flag: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--${flag} must be an http:// or https:// URL such as http://127.0.0.1:8080, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--${flag} must be an http:// or https:// URL, got the scheme "${url.protocol}"`);
  }
  if (url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== "")) {
    throw new UsageError(
      `--${flag} must be a bare origin such as http://127.0.0.1:8080 (no path, query or credentials)`,
    );
  }
  return url.origin;
}

/** `--cpu`: cores per loopback service, leaving the load generator a core of its own on this machine. */
export function cpuFlag(raw: unknown, hasTarget: boolean, cpus: number): number | undefined {
  if (raw === undefined) return undefined;
  if (hasTarget) throw new UsageError("--cpu limits the loopback services; a --target's limits are its own");
  const most = Math.floor(maxCoresPerService(cpus, SERVICE_NAMES.length) * 100) / 100;
  const cores = Number(raw);
  if (most < 0.05) {
    throw new UsageError(`--cpu needs at least 2 CPUs (one for the load generator); this machine has ${cpus}`);
  }
  if (raw === "" || !Number.isFinite(cores) || cores < 0.05 || cores > most) {
    throw new UsageError(
      `--cpu must be a number of cores from 0.05 to ${most} on this machine (${cpus} CPUs: one stays with the load generator, the rest is shared by ${SERVICE_NAMES.length} services), got "${raw}"`,
    );
  }
  return cores;
}

/** The positional scenario and the flags; throws UsageError naming the flag and what it accepts. */
export function parseOptions(argv: readonly string[]): LoadTestOptions {
  const { values, positionals } = strictFlags(
    argv,
    {
      target: { type: "string" },
      product: { type: "string" },
      user: { type: "string" },
      duration: { type: "string" },
      rate: { type: "string" },
      step: { type: "string" },
      "max-rate": { type: "string" },
      stack: { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      cpu: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    (message) => new UsageError(message),
    true,
  );
  if (values.help) throw new UsageError("");
  const [scenario, ...extra] = positionals;
  if (scenario === undefined) throw new UsageError(`name a scenario: ${SCENARIO_NAMES.join(", ")}`);
  if (!(SCENARIO_NAMES as readonly string[]).includes(scenario)) {
    throw new UsageError(`unknown scenario "${scenario}"; the scenarios are: ${SCENARIO_NAMES.join(", ")}`);
  }
  if (extra.length > 0) throw new UsageError(`one scenario at a time; unexpected "${extra.join(" ")}"`);

  let durationS: number | undefined;
  if (typeof values.duration === "string") {
    durationS = parseDuration(values.duration);
    if (durationS === undefined || durationS <= 0) {
      throw new UsageError(`--duration must be a duration such as 90, 90s, 5m or 1h, got "${values.duration}"`);
    }
  }
  const stack = values.stack ?? "dev";
  if (typeof stack !== "string" || !(ENVIRONMENTS as readonly string[]).includes(stack)) {
    throw new UsageError(`--stack must be one of: ${ENVIRONMENTS.join(", ")}, got "${stack}"`);
  }
  let seed = 1;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) {
      throw new UsageError(`--seed must be an integer from 0 to ${2 ** 32 - 1}, got "${values.seed}"`);
    }
  }
  let target: LoadTestOptions["target"];
  if (typeof values.target === "string") {
    target = { order: serviceUrl("target", values.target) };
    if (typeof values.product === "string") target.product = serviceUrl("product", values.product);
    if (typeof values.user === "string") target.user = serviceUrl("user", values.user);
  } else if (values.product !== undefined || values.user !== undefined) {
    throw new UsageError("--product and --user go with --target (without it the services run on loopback)");
  }
  if (typeof values.out === "string" && values.out.trim() === "") throw new UsageError("--out needs a directory");
  const cpuLimitCores = cpuFlag(values.cpu, target !== undefined, os.availableParallelism());

  let plan: StagePlan;
  try {
    plan = planStages(scenario as ScenarioName, {
      durationS,
      rate: rateFlag(values, "rate"),
      step: rateFlag(values, "step"),
      maxRate: rateFlag(values, "max-rate"),
    });
  } catch (err) {
    if (err instanceof PlanError) throw new UsageError(err.message);
    throw err;
  }
  return {
    scenario: scenario as ScenarioName,
    plan,
    target,
    stack: stack as Environment,
    seed,
    outDir: typeof values.out === "string" ? values.out : undefined,
    ...(cpuLimitCores === undefined ? {} : { cpuLimitCores }),
  };
}
