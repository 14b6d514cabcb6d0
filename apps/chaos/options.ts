import path from "node:path";
import { localPorts, SERVICE_NAMES, type ServiceName } from "../../contract";
import { CATALOGUE } from "../../infra/chaos/catalogue";
import { type ExperimentDefinition, LOCAL_FAULTS } from "../../infra/chaos/experiments";
import { ENVIRONMENTS, type Environment } from "../../infra/config/schema";
import { strictFlags } from "../bench/flags";
import { isHttpFault } from "./fault-api";

export class UsageError extends Error {}

export const LOCAL_TARGET = "local";

export interface ChaosOptions {
  /** The experiments to run, in order: SLO-burn ones are planned just before they run. */
  experiments: ExperimentDefinition[];
  /** --duration-seconds: every fault lasts this long (burn limits are planned for it). */
  faultSeconds?: number;
  /** --max-fault-seconds: a plan needing a longer fault is refused instead of run. */
  maxFaultSeconds: number;
  /** `all` in a cluster: the experiments left out, and why. */
  skipped: string[];
  /** `local` or a kube context. */
  target: string;
  stack: Environment;
  prometheusUrl: string;
  alertmanagerUrl: string;
  pushgatewayUrl: string;
  services: Partial<Record<ServiceName, string>>;
  adminToken?: string;
  pidsFile: string;
  outDir: string;
  watchSeconds?: number;
  sampleSeconds: number;
  settleSeconds?: number;
}

const names = CATALOGUE.map((e) => e.name);
const localNames = CATALOGUE.filter((e) => LOCAL_FAULTS.includes(e.fault.kind)).map((e) => e.name);

export const USAGE = `usage: npm run chaos -- <experiment|all> [flags]
  experiments: ${names.join(", ")}
  all: every experiment the target can run (locally: ${localNames.join(", ")})
  --target <local|kube-context>  where to inject (default local: the fault API and process kills of npm run demo;
                                 a kube context: Chaos Mesh objects through the Kubernetes API)
  --stack <name>          the stack whose SLOs and namespaces apply: ${ENVIRONMENTS.join(", ")} (default dev)
  --prometheus <url>      default http://127.0.0.1:9090
  --alertmanager <url>    default http://127.0.0.1:9093
  --pushgateway <url>     default http://127.0.0.1:9091 (a failed push is reported, not fatal)
  --services <s=url,...>  the services' base URLs (fault API, /readyz); locally default the demo's ports
  --admin-token <token>   the services' admin token (or ADMIN_TOKEN); needed by fault-API experiments
  --pids-file <file>      local pod kills: the demo supervisor's pids (default out/demo/pids.json)
  --out <dir>             where the reports go (default out/chaos)
  --duration-seconds <n>  every fault lasts this long (SLO-burn limits are planned for it; default: planned,
                          long enough for the page to fire under the stack's objectives and Prometheus' history)
  --max-fault-seconds <n> refuse an SLO-burn experiment whose planned fault is longer (default 3600)
  --watch-seconds <n>     how long to watch for recovery after the fault (default its limit + 60)
  --sample-seconds <n>    how often Prometheus and Alertmanager are asked (default 5)
  --settle-seconds <n>    wait this long for the steady state before refusing (default 0; up to 1800 between the experiments of all)
exit codes: 0 every hypothesis held, 1 one failed (or the run broke), 2 bad usage, 3 not in a steady state, 130 interrupted`;

function seconds(values: Record<string, unknown>, flag: string, min: number, max: number): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== "string" || !/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new UsageError(`--${flag} must be a whole number of seconds from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** A path given on the command line is the user's, relative to where they are; the defaults are the repository's. */
const fileFlag = (raw: unknown, fallback: string) =>
  typeof raw === "string" && raw !== "" ? path.resolve(raw) : fallback;

/** An http(s) URL (a path prefix is fine: a proxy); the trailing slash is dropped. */
export function httpUrl(flag: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--${flag} must be an http:// or https:// URL such as http://127.0.0.1:9090, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--${flag} must be an http:// or https:// URL, got the scheme "${url.protocol}"`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new UsageError(`--${flag} must not carry credentials, a query or a fragment`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}

/** `order=http://…,product=http://…`: some or all services. */
export function parseServices(raw: string): Partial<Record<ServiceName, string>> {
  const services: Partial<Record<ServiceName, string>> = {};
  for (const entry of raw.split(",").map((e) => e.trim())) {
    const at = entry.indexOf("=");
    const name = entry.slice(0, at);
    if (at < 1 || !(SERVICE_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(
        `--services takes <service>=<url> pairs separated by commas, the services being ${SERVICE_NAMES.join(", ")}; got "${entry}"`,
      );
    }
    services[name as ServiceName] = httpUrl(`services ${name}`, entry.slice(at + 1));
  }
  return services;
}

/** The positional experiment and the flags; throws UsageError naming the flag or experiment and what is allowed. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv, root: string): ChaosOptions {
  const { values, positionals } = strictFlags(
    argv,
    {
      target: { type: "string" },
      stack: { type: "string" },
      prometheus: { type: "string" },
      alertmanager: { type: "string" },
      pushgateway: { type: "string" },
      services: { type: "string" },
      "admin-token": { type: "string" },
      "pids-file": { type: "string" },
      out: { type: "string" },
      "duration-seconds": { type: "string" },
      "max-fault-seconds": { type: "string" },
      "watch-seconds": { type: "string" },
      "sample-seconds": { type: "string" },
      "settle-seconds": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    (message) => new UsageError(message),
    true,
  );
  if (values.help) throw new UsageError("");
  const allowed = `the experiments are: ${names.join(", ")}, or all`;
  if (positionals.length === 0) throw new UsageError(`name an experiment; ${allowed}`);
  if (positionals.length > 1) throw new UsageError(`one experiment (or all) at a time; unexpected "${positionals[1]}"`);
  const name = positionals[0] as string;
  if (name !== "all" && !names.includes(name)) throw new UsageError(`unknown experiment "${name}"; ${allowed}`);

  const target = ((values.target as string | undefined) ?? LOCAL_TARGET).trim();
  if (target === "") throw new UsageError("--target must be local or a kube context name");
  const local = target === LOCAL_TARGET;
  const stack = (values.stack as string | undefined) ?? "dev";
  if (!(ENVIRONMENTS as readonly string[]).includes(stack)) {
    throw new UsageError(`--stack must be one of: ${ENVIRONMENTS.join(", ")}; got "${stack}"`);
  }
  const ports = localPorts();
  const localServices = Object.fromEntries(SERVICE_NAMES.map((s) => [s, `http://127.0.0.1:${ports[s]}`]));
  const services = {
    ...(local ? localServices : {}),
    ...(values.services === undefined ? {} : parseServices(values.services as string)),
  };
  const adminToken = (values["admin-token"] as string | undefined) || env.ADMIN_TOKEN || undefined;
  const duration = seconds(values, "duration-seconds", 1, 86_400);

  const skipped: string[] = [];
  const runnable = (e: ExperimentDefinition): string | undefined => {
    if (local && !LOCAL_FAULTS.includes(e.fault.kind)) {
      return `${e.name} injects ${e.fault.kind}, which needs a cluster (Chaos Mesh): --target <kube-context>; locally: ${localNames.join(", ")}`;
    }
    if (isHttpFault(e.fault) && !adminToken) {
      return `${e.name} goes through the services' fault API: pass --admin-token or set ADMIN_TOKEN (npm run demo prints it)`;
    }
    if (isHttpFault(e.fault) && !services[e.target]) {
      return `${e.name} goes through ${e.target}'s fault API: pass --services ${e.target}=<url> (reachable from here)`;
    }
    return undefined;
  };
  let experiments: ExperimentDefinition[];
  if (name === "all") {
    experiments = [];
    for (const e of local ? CATALOGUE.filter((e) => LOCAL_FAULTS.includes(e.fault.kind)) : CATALOGUE) {
      const why = runnable(e);
      // locally every experiment of `all` must run: a missing token is a mistake, not a choice
      if (why && local) throw new UsageError(why);
      if (why) skipped.push(why);
      else experiments.push(e);
    }
  } else {
    const experiment = CATALOGUE.find((e) => e.name === name) as ExperimentDefinition;
    const why = runnable(experiment);
    if (why) throw new UsageError(why);
    experiments = [experiment];
  }

  return {
    experiments,
    faultSeconds: duration,
    maxFaultSeconds: seconds(values, "max-fault-seconds", 1, 86_400) ?? 3_600,
    skipped,
    target,
    stack: stack as Environment,
    prometheusUrl: httpUrl("prometheus", (values.prometheus as string | undefined) ?? "http://127.0.0.1:9090"),
    alertmanagerUrl: httpUrl("alertmanager", (values.alertmanager as string | undefined) ?? "http://127.0.0.1:9093"),
    pushgatewayUrl: httpUrl("pushgateway", (values.pushgateway as string | undefined) ?? "http://127.0.0.1:9091"),
    services,
    adminToken,
    pidsFile: fileFlag(values["pids-file"], path.join(root, "out", "demo", "pids.json")),
    outDir: fileFlag(values.out, path.join(root, "out", "chaos")),
    watchSeconds: seconds(values, "watch-seconds", 1, 86_400),
    sampleSeconds: seconds(values, "sample-seconds", 1, 300) ?? 5,
    settleSeconds: seconds(values, "settle-seconds", 0, 86_400),
  };
}
