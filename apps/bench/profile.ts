import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** The parts of a V8 .cpuprofile (node --cpu-prof) this reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  /** Microseconds on the monotonic clock (the one process.hrtime reads). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a sample's time is charged: the package or part of the runtime the running function belongs to. */
export const PROFILE_GROUPS = [
  "OpenTelemetry (SDK, exporter, our tracing middleware)",
  "logging (winston, sonic-boom, our logger)",
  "metrics (prom-client, our metrics)",
  "Express, body parsing, other packages",
  "zod",
  "service code",
  "Node.js (HTTP, streams, timers)",
  "native (socket writes, parsers)",
  "garbage collector",
  "V8 (program)",
] as const;
export type ProfileGroup = (typeof PROFILE_GROUPS)[number];

const LOGGING_PACKAGES =
  /^(winston|winston-transport|logform|sonic-boom|triple-beam|@dabh\/|fecha|safe-stable-stringify|colors|@colors\/|one-time|kuler|fn\.name|text-hex|enabled|stack-trace|async|readable-stream)/;

/** The group of a function, from its script URL (compiled service code under dist/apps). */
export function groupOf(functionName: string, url: string): ProfileGroup {
  if (functionName === "(garbage collector)") return "garbage collector";
  if (url === "")
    return functionName === "(program)" || functionName === "(root)"
      ? "V8 (program)"
      : "native (socket writes, parsers)";
  if (url.startsWith("node:")) return "Node.js (HTTP, streams, timers)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg !== undefined) {
    if (pkg.startsWith("@opentelemetry/") || pkg === "protobufjs")
      return "OpenTelemetry (SDK, exporter, our tracing middleware)";
    if (LOGGING_PACKAGES.test(pkg)) return "logging (winston, sonic-boom, our logger)";
    if (pkg === "prom-client" || pkg === "tdigest" || pkg === "bintrees") return "metrics (prom-client, our metrics)";
    if (pkg === "zod") return "zod";
    return "Express, body parsing, other packages";
  }
  if (/\/lib\/http\/tracing\.js$|\/lib\/telemetry\.js$/.test(url))
    return "OpenTelemetry (SDK, exporter, our tracing middleware)";
  if (/\/lib\/(logger|log-sampling)\.js$/.test(url)) return "logging (winston, sonic-boom, our logger)";
  if (/\/lib\/metrics\.js$/.test(url)) return "metrics (prom-client, our metrics)";
  return "service code";
}

export interface FunctionCost {
  function: string;
  /** package or file, and line */
  location: string;
  group: ProfileGroup;
  usPerRequest: number;
  share: number;
}

export interface ProfileSummary {
  variant: string;
  requests: number;
  /** Sampled busy time (not idle) in the window per request, µs; wall-clock samples, so contention inflates it. */
  busyUsPerRequest: number;
  groups: { group: ProfileGroup; usPerRequest: number; share: number }[];
  top: FunctionCost[];
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

function shortLocation(url: string, line: number): string {
  const pkg = /node_modules\/(.*)$/.exec(url)?.[1];
  const file = pkg ?? (url.includes("/dist/") ? url.slice(url.lastIndexOf("/dist/") + 6) : url);
  return file ? `${file}:${line + 1}` : "(native)";
}

/** Self time by group and by function within [fromUs, toUs] of the monotonic clock, per request. */
export function summarizeProfile(
  profile: CpuProfile,
  window: { fromUs: number; toUs: number },
  variant: string,
  requests: number,
  topCount = 12,
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const groups = new Map<ProfileGroup, number>();
  const functions = new Map<string, { fn: string; location: string; group: ProfileGroup; us: number }>();
  let busy = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < window.fromUs || t > window.toUs) continue;
    const node = byId.get(profile.samples[i] as number);
    if (!node || node.callFrame.functionName === "(idle)") continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const group = groupOf(functionName, url);
    busy += dt;
    groups.set(group, (groups.get(group) ?? 0) + dt);
    const key = `${functionName} ${url}:${lineNumber}`;
    const entry = functions.get(key) ?? {
      fn: functionName || "(anonymous)",
      location: shortLocation(url, lineNumber),
      group,
      us: 0,
    };
    entry.us += dt;
    functions.set(key, entry);
  }
  const per = (us: number) => (requests > 0 ? round(us / requests) : 0);
  const share = (us: number) => (busy > 0 ? round((100 * us) / busy) : 0);
  return {
    variant,
    requests,
    busyUsPerRequest: per(busy),
    groups: PROFILE_GROUPS.map((group) => ({
      group,
      usPerRequest: per(groups.get(group) ?? 0),
      share: share(groups.get(group) ?? 0),
    })),
    top: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topCount)
      .map((f) => ({
        function: f.fn,
        location: f.location,
        group: f.group,
        usPerRequest: per(f.us),
        share: share(f.us),
      })),
  };
}

/** The newest .cpuprofile a process wrote into `dir` (node --cpu-prof --cpu-prof-dir). */
export function readNewestProfile(dir: string): { profile: CpuProfile; file: string } {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .sort();
  const newest = files[files.length - 1];
  if (!newest) throw new Error(`no .cpuprofile in ${dir}: the profiled process did not exit cleanly`);
  const file = path.join(dir, newest);
  return { profile: JSON.parse(readFileSync(file, "utf8")) as CpuProfile, file };
}
