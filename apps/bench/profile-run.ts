import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { startCluster, type VariantCluster } from "./cluster";
import { runOpenLoop } from "./open-loop";
import { type ProfileSummary, readNewestProfile, summarizeProfile } from "./profile";
import { planSlice } from "./schedule";
import { VARIANTS, type VariantName } from "./variants";

/** Enough to tell the tracing steps apart: the other signals, trace context only, everything. */
export const PROFILED_VARIANTS: readonly VariantName[] = ["metrics+logs", "trace-context", "all-100"];
/** Sampling interval of the profiler, µs (V8's default is 1,000). */
const INTERVAL_US = 250;

export interface ProfileReport {
  service: "order";
  scenario: "orders";
  rate: number;
  secondsPerVariant: number;
  intervalUs: number;
  /** The .cpuprofile files, for Chrome DevTools or speedscope. */
  files: string[];
  variants: ProfileSummary[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowUs = () => Number(process.hrtime.bigint() / 1_000n);

/**
 * CPU profiles of the order service (node --cpu-prof) under POST /orders at the fixed rate, one
 * variant after another, each profile read over its load plus `deferS` (the span exports it left).
 * Separate processes from the measured run: the profiler's own cost stays out of those numbers.
 */
export async function runProfiles(options: {
  rate: number;
  seconds: number;
  deferS: number;
  outDir: string;
  progress: (line: string) => void;
}): Promise<ProfileReport> {
  const clusters: VariantCluster[] = [];
  const windows = new Map<VariantName, { fromUs: number; toUs: number; requests: number; dir: string }>();
  try {
    for (const name of PROFILED_VARIANTS) {
      const variant = VARIANTS.find((v) => v.name === name);
      if (!variant) throw new Error(`no variant ${name}`);
      const dir = path.join(options.outDir, "profiles", name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      options.progress(`profile: starting ${name} (order under --cpu-prof)`);
      const cluster = await startCluster(variant, {
        order: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir} --cpu-prof-interval=${INTERVAL_US}` },
      });
      clusters.push(cluster);
      // Warm the JIT first; the window starts after it.
      await runOpenLoop(
        cluster,
        planSlice({ rate: options.rate * 2, durationS: Math.min(2, options.seconds), scenario: "orders", seed: 5 }),
      );
      const fromUs = nowUs();
      const result = await runOpenLoop(
        cluster,
        planSlice({ rate: options.rate, durationS: options.seconds, scenario: "orders", seed: 6 }),
      );
      windows.set(name, { fromUs, toUs: nowUs() + options.deferS * 1e6, requests: result.answered, dir });
      options.progress(`profile: ${name} done (${result.answered} requests)`);
    }
    await sleep(options.deferS * 1_000);
  } finally {
    // The profile is written when the process exits.
    await Promise.all(clusters.map((c) => c.stop()));
  }
  const files: string[] = [];
  const variants = PROFILED_VARIANTS.map((name) => {
    const w = windows.get(name);
    if (!w) throw new Error(`no profile window for ${name}`);
    const { profile, file } = readNewestProfile(w.dir);
    files.push(file);
    return summarizeProfile(profile, w, name, w.requests);
  });
  return {
    service: "order",
    scenario: "orders",
    rate: options.rate,
    secondsPerVariant: options.seconds,
    intervalUs: INTERVAL_US,
    files,
    variants,
  };
}
