import { PATHS } from "../../contract";
import { attribute, type Counters, idleRate, Timeline } from "./attribution";
import { startCluster, type VariantCluster } from "./cluster";
import { runOpenLoop } from "./open-loop";
import type { BenchOptions } from "./options";
import { sampleProcesses } from "./proc";
import { runClosedLoop } from "./saturation";
import { type Endpoint, orderBody, planSlice, prng, SCENARIO_NAMES, type ScenarioName } from "./schedule";
import { rotation, VARIANTS, type VariantName } from "./variants";

export type PhaseName = ScenarioName | "saturation";

/** One variant's turn in one measured cycle. */
export interface SliceRecord {
  phase: PhaseName;
  cycle: number;
  variant: VariantName;
  /** Place of the variant in this cycle's rotation (0: first). */
  position: number;
  /** Seconds since the start of the run. */
  startS: number;
  /** How long the load ran, seconds. */
  durationS: number;
  /**
   * CPU (user + system, µs) of the variant's three processes for this turn: during it, plus the work
   * it left behind afterwards, less the variant's idle rate over that afterwards (attribution.ts).
   */
  cpuUs: number;
  activeCpuUs: number;
  deferredCpuUs: number;
  deferredS: number;
  /** The variant's background CPU when it has no load, µs per second (three processes). */
  idleUsPerS: number;
  answered: number;
  ok: number;
  errors: number;
  errorSamples: string[];
  /** Bytes of JSON logs, and of OTLP exports received by the sink, over the same intervals as cpuUs. */
  logBytes: number;
  exportBytes: number;
  exports: number;
  /** Whether /metrics was scraped in this turn. */
  scraped: boolean;
  rssBytes: number;
  /** Fixed-rate phases only: latency of each answered request (µs from its scheduled send time). */
  latencyUs?: Partial<Record<Endpoint, number[]>>;
  sendLagUs?: { p50: number; max: number };
}

interface LoadOutcome {
  durationS: number;
  answered: number;
  ok: number;
  errors: number;
  errorSamples: string[];
  latencyUs?: Partial<Record<Endpoint, number[]>>;
  sendLagUs?: { p50: number; max: number };
}

type Turn = Omit<
  SliceRecord,
  "cpuUs" | "activeCpuUs" | "deferredCpuUs" | "deferredS" | "idleUsPerS" | "logBytes" | "exportBytes" | "exports"
> & { slice: number };

export interface RunResult {
  startedAt: string;
  finishedAt: string;
  records: SliceRecord[];
  /** Scrapes per variant. */
  scrapes: Record<VariantName, number>;
}

/** Bodies for the closed-loop phases, from the same generator as the fixed-rate load. */
export function saturationBodies(count = 32, seed = 7): string[] {
  const random = prng(seed);
  return Array.from({ length: count }, () => JSON.stringify(orderBody(random)));
}

/** One order through the whole flow before anything is measured: a set-up problem fails loudly here. */
async function checkOrderFlow(cluster: VariantCluster, body: string): Promise<void> {
  const res = await cluster.pools.order.request({
    method: "POST",
    path: "/orders",
    headers: { "content-type": "application/json" },
    body,
    headersTimeout: 15_000,
  });
  const text = await res.body.text();
  if (res.statusCode !== 201) {
    const stderr = Object.values(cluster.services)
      .map((s) => s.stderrTail().trim())
      .filter(Boolean)
      .join("\n");
    throw new Error(
      `${cluster.variant.name}: POST /orders answered ${res.statusCode}: ${text.slice(0, 300)}${stderr ? `\n${stderr}` : ""}`,
    );
  }
}

export class Deadline {
  constructor(private readonly atMs: number) {}
  check(what: string): void {
    if (Date.now() > this.atMs) throw new Error(`the run took too long (${what}); stopped`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runBenchmark(
  options: BenchOptions,
  progress: (line: string) => void,
  deadline: Deadline,
): Promise<RunResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const elapsedS = () => (performance.now() - t0) / 1_000;
  const clusters: VariantCluster[] = [];
  try {
    // One variant at a time: fifteen processes loading at once on a small machine would take longer.
    for (const variant of VARIANTS) {
      progress(`starting ${variant.name} (order, user, product)`);
      clusters.push(await startCluster(variant));
      deadline.check("start-up");
    }

    const timeline = new Timeline(options.deferS);
    const rss = new Map<VariantName, number>();
    const sampleAll = () =>
      new Map(
        clusters.map((c): [VariantName, Counters] => {
          const { cpuUs, rssBytes } = sampleProcesses(c.pids());
          rss.set(c.variant.name, rssBytes);
          return [
            c.variant.name,
            { cpuUs, logBytes: c.logBytes(), exportBytes: c.sink.counts.bytes, exports: c.sink.counts.requests },
          ];
        }),
      );
    let slice = 0;
    const boundary = (phase: string, active?: { variant: VariantName; slice: number }) =>
      timeline.boundary(elapsedS(), phase, sampleAll(), active);

    const bodies = saturationBodies();
    boundary("warm-up");
    for (const cluster of clusters) {
      progress(`warming up ${cluster.variant.name}`);
      await checkOrderFlow(cluster, bodies[0] as string);
      await runClosedLoop({ url: cluster.services.order.url, bodies, connections: 4, durationS: options.warmupBurstS });
      boundary("warm-up", { variant: cluster.variant.name, slice: ++slice });
    }

    const activeS = new Map<VariantName, number>();
    const lastScrapeS = new Map<VariantName, number>();
    const scrapes = Object.fromEntries(VARIANTS.map((v) => [v.name, 0])) as Record<VariantName, number>;
    /** Scrapes the variant's /metrics when a scrape interval's worth of its own load has passed. */
    const maybeScrape = async (cluster: VariantCluster): Promise<boolean> => {
      const name = cluster.variant.name;
      if (!cluster.variant.metrics || options.scrapeIntervalS <= 0) return false;
      const active = activeS.get(name) ?? 0;
      if (lastScrapeS.has(name) && active - (lastScrapeS.get(name) as number) < options.scrapeIntervalS) return false;
      lastScrapeS.set(name, active);
      await Promise.all(
        Object.values(cluster.services).map(async (s) => {
          const res = await fetch(s.url + PATHS.metrics, { signal: AbortSignal.timeout(5_000) });
          await res.text();
        }),
      );
      scrapes[name]++;
      return true;
    };

    const turns: Turn[] = [];
    const runPhase = async (
      phase: PhaseName,
      cycles: number,
      warmupCycles: number,
      load: (cluster: VariantCluster, cycle: number, warmup: boolean) => Promise<LoadOutcome>,
    ) => {
      for (let k = 0; k < warmupCycles + cycles; k++) {
        const warmup = k < warmupCycles;
        const cycle = k - warmupCycles + 1;
        let errors = 0;
        for (const [position, cluster] of rotation(clusters, k).entries()) {
          deadline.check(`${phase}, cycle ${cycle}`);
          const name = cluster.variant.name;
          const startS = elapsedS();
          const scraped = await maybeScrape(cluster);
          const outcome = await load(cluster, cycle, warmup);
          activeS.set(name, (activeS.get(name) ?? 0) + outcome.durationS);
          boundary(phase, { variant: name, slice: ++slice });
          errors += outcome.errors;
          if (warmup) continue;
          turns.push({
            slice,
            phase,
            cycle,
            variant: name,
            position,
            startS,
            durationS: outcome.durationS,
            answered: outcome.answered,
            ok: outcome.ok,
            errors: outcome.errors,
            errorSamples: outcome.errorSamples,
            scraped,
            rssBytes: rss.get(name) ?? 0,
            latencyUs: outcome.latencyUs,
            sendLagUs: outcome.sendLagUs,
          });
        }
        progress(
          `${phase}: ${warmup ? "warm-up cycle" : `cycle ${cycle}/${cycles}`} done${errors ? ` (${errors} errors)` : ""}`,
        );
      }
      // No load for a while: the work the last turns left behind runs, then every variant idles.
      const until = elapsedS() + options.coolDownS;
      while (elapsedS() < until) {
        await sleep(Math.min(1_000, (until - elapsedS()) * 1_000));
        boundary(phase);
      }
    };

    for (const scenario of SCENARIO_NAMES.filter((s) => options.scenarios.includes(s))) {
      const seedBase = (SCENARIO_NAMES.indexOf(scenario) + 1) * 1_000;
      await runPhase(scenario, options.cycles, options.warmupCycles, (cluster, cycle) =>
        runOpenLoop(
          cluster,
          planSlice({ rate: options.rate, durationS: options.sliceS, scenario, seed: seedBase + cycle }),
          { maxInFlight: Math.max(100, Math.ceil(options.rate * 10)) },
        ),
      );
    }
    const sat = options.saturation;
    if (sat.cycles > 0) {
      await runPhase("saturation", sat.cycles, 1, async (cluster, _cycle, warmup) => {
        const outcome = await runClosedLoop({
          url: cluster.services.order.url,
          bodies,
          connections: sat.connections,
          durationS: warmup ? sat.warmupSliceS : sat.sliceS,
        });
        return { ...outcome, errorSamples: outcome.errors ? [`${outcome.errors} non-2xx, errors or timeouts`] : [] };
      });
    }

    const records = turns.map(({ slice: id, ...turn }): SliceRecord => {
      const share = attribute(
        timeline.intervals,
        turn.variant,
        id,
        idleRate(timeline.intervals, turn.variant, turn.phase),
      );
      return { ...turn, ...share };
    });
    return { startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), records, scrapes };
  } finally {
    progress("stopping the services");
    await Promise.all(clusters.map((c) => c.stop()));
  }
}
