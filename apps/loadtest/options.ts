import os from "node:os";
import { SERVICE_NAMES, type ServiceName } from "../../contract";
import { ENVIRONMENTS, type Environment } from "../../infra/config/schema";
import { strictFlags } from "../bench/flags";
import { servicesCoreBudget } from "./cpu-limit";
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
  /** Loopback only: each service held to its cores (a CFS quota, like a Kubernetes CPU limit). */
  cpuLimitCores?: Record<ServiceName, number>;
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
                     limit), leaving the rest of the machine to the load generator; together at most
                     CPUs − 1; per service: --cpu order=0.33,product=0.08,user=0.08
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

/**
 * `--cpu`: cores per loopback service — one number for all, or `order=…,product=…,user=…` — together at
 * most CPUs − 1, so the load generator keeps a core of its own on this machine.
 */
export function cpuFlag(raw: unknown, hasTarget: boolean, cpus: number): Record<ServiceName, number> | undefined {
  if (raw === undefined) return undefined;
  if (hasTarget) throw new UsageError("--cpu limits the loopback services; a --target's limits are its own");
  const budget = servicesCoreBudget(cpus);
  if (budget < 0.15) {
    throw new UsageError(`--cpu needs at least 2 CPUs (one for the load generator); this machine has ${cpus}`);
  }
  const text = String(raw).trim();
  const shape = `a number of cores (e.g. 0.33) or ${SERVICE_NAMES.map((n) => `${n}=<cores>`).join(",")}`;
  const cores = (value: string, what: string) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < 0.05) {
      throw new UsageError(`--cpu: ${what} must be at least 0.05 cores, got "${value}" (--cpu takes ${shape})`);
    }
    return n;
  };
  let limits: Record<ServiceName, number>;
  if (!text.includes("=")) {
    const each = cores(text, "the cores per service");
    limits = Object.fromEntries(SERVICE_NAMES.map((n) => [n, each])) as Record<ServiceName, number>;
  } else {
    const given = new Map<string, number>();
    for (const part of text.split(",")) {
      const [name = "", value = ""] = part.split("=").map((x) => x.trim());
      if (!(SERVICE_NAMES as readonly string[]).includes(name) || given.has(name)) {
        throw new UsageError(
          `--cpu: "${part}" must name one of ${SERVICE_NAMES.join(", ")} once (--cpu takes ${shape})`,
        );
      }
      given.set(name, cores(value, name));
    }
    const missing = SERVICE_NAMES.filter((n) => !given.has(n));
    if (missing.length > 0) throw new UsageError(`--cpu: name every service; missing ${missing.join(", ")}`);
    limits = Object.fromEntries(given) as Record<ServiceName, number>;
  }
  const total = SERVICE_NAMES.reduce((sum, n) => sum + limits[n], 0);
  // rounded: three services at 0.33 on two CPUs are 0.99 of the 1 core they may share
  if (Math.round(total * 100) / 100 > budget) {
    throw new UsageError(
      `--cpu: the services' cores add up to ${Math.round(total * 100) / 100}, more than the ${budget} this machine leaves them (${cpus} CPUs: one stays with the load generator)`,
    );
  }
  return limits;
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
