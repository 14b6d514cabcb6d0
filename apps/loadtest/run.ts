/**
 * A load-test run: a short warm-up, then stage after stage, each bracketed by scrapes of every
 * service's /metrics and judged against the thresholds; stress stops at its first failing stage.
 */
import type { ServiceName } from "../../contract";
import { Deadline } from "../bench/run";
import { type ClientStage, runStage, Window } from "./driver";
import { mixFor, planStage } from "./mix";
import type { LoadTestResult, MemorySample, ServiceStage, StageResult } from "./result";
import { runStages, type StagePlan } from "./scenarios";
import { type MetricsSnapshot, scrape, serviceStage } from "./service-metrics";
import type { Target } from "./targets";
import { evaluateStage, type Thresholds } from "./thresholds";

/** Orders placed before the first stage: the flow works end to end, and GET /orders/:id has something to read. */
const WARMUP_ORDERS = 5;
/** Then a second of the mix, unmeasured: every route's first-call costs (lazy compilation) are paid here. */
const WARMUP_MIX = { rate: 50, durationS: 1 };

export interface RunSettings {
  plan: StagePlan;
  seed: number;
  thresholds: Thresholds;
  latencyThresholdSeconds: number;
}

export interface RunOutput {
  stages: StageResult[];
  memory: MemorySample[];
}

const fmtMs = (us: number) => `${(us / 1_000).toFixed(1)} ms`;
const fmtLatency = (p: { count: number; p50: number; p99: number }) =>
  p.count > 0 ? `p50 ${fmtMs(p.p50)} p99 ${fmtMs(p.p99)}` : "p50 - p99 -";

async function placeWarmupOrders(target: Target, createdOrders: string[]): Promise<void> {
  for (let i = 0; i < WARMUP_ORDERS; i++) {
    const res = await target.pools.order.request({
      method: "POST",
      path: "/orders",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userId: "u-1001", items: [{ productId: "p-1001", quantity: 1 }] }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.body.text();
    if (res.statusCode !== 201) {
      const stderr = target.stderrTail();
      throw new Error(
        `warm-up: POST /orders answered ${res.statusCode}: ${text.slice(0, 300)}${stderr ? `\n${stderr}` : ""}`,
      );
    }
    createdOrders.push((JSON.parse(text) as { id: string }).id);
  }
}

export async function runLoadTest(
  target: Target,
  settings: RunSettings,
  progress: (line: string) => void,
): Promise<RunOutput> {
  const { plan } = settings;
  const deadline = new Deadline(Date.now() + (plan.maxDurationS * 1.5 + 120) * 1_000);
  const createdOrders: string[] = [];
  progress(`warm-up: ${WARMUP_ORDERS} orders through order → user, product, then ${WARMUP_MIX.durationS} s of the mix`);
  await placeWarmupOrders(target, createdOrders);

  const scraped = Object.entries(target.urls) as [ServiceName, string][];
  const weights = mixFor(new Set(scraped.map(([name]) => name)));
  const warmup = await runStage(
    target,
    planStage({ ...WARMUP_MIX, seed: settings.seed * 1_000 + 999, weights }),
    createdOrders,
    new Window(),
    1_000,
  );
  if (warmup.errors > 0) progress(`warning: ${warmup.errors} errors in the warm-up, e.g. ${warmup.errorSamples[0]}`);
  const memory: MemorySample[] = [];
  const t0 = performance.now();
  const elapsedS = () => (performance.now() - t0) / 1_000;
  /** Services whose /metrics could not be read at the start: left out of the per-service numbers. */
  const unscrapable = new Set<ServiceName>();
  /** Scrapes the services (all, or `only`); one that fails is missing from the answer, with a warning. */
  const scrapeAll = async (only?: ServiceName[]): Promise<Partial<Record<ServiceName, MetricsSnapshot>>> => {
    const atS = Math.round(elapsedS() * 1_000) / 1_000;
    const entries = await Promise.all(
      scraped
        .filter(([name]) => !unscrapable.has(name) && (only === undefined || only.includes(name)))
        .map(async ([name, url]) => {
          try {
            const snap = await scrape(url);
            memory.push({ atS, service: name, rssBytes: snap.rssBytes, heapUsedBytes: snap.heapUsedBytes });
            return [[name, snap] as const];
          } catch (err) {
            progress(`warning: ${name}'s ${url}/metrics could not be read: ${(err as Error).message}`);
            return [];
          }
        }),
    );
    return Object.fromEntries(entries.flat());
  };

  let before = await scrapeAll();
  for (const [name] of scraped) {
    if (!before[name]) {
      unscrapable.add(name);
      progress(`warning: ${name} is left out of the per-service numbers (no readable /metrics)`);
    }
  }
  const memoryTimer =
    plan.memoryIntervalS > 0 ? setInterval(() => void scrapeAll(), plan.memoryIntervalS * 1_000) : undefined;
  const window = new Window();
  const plannedS = plan.stages.reduce((sum, s) => sum + s.durationS, 0);
  let doneS = 0;
  try {
    const stages = await runStages(plan, async (stage, index) => {
      deadline.check(`stage ${stage.name}`);
      const label = `stage ${index + 1}/${plan.stages.length} ${stage.name}`;
      // a service whose closing scrape of the last stage failed gets a fresh starting point
      const missing = scraped.map(([name]) => name).filter((name) => !unscrapable.has(name) && !before[name]);
      if (missing.length > 0) before = { ...before, ...(await scrapeAll(missing)) };
      window.take();
      const stageStart = elapsedS();
      const ticker = setInterval(() => {
        const w = window.take();
        const inStage = elapsedS() - stageStart;
        progress(
          `${label} | offered ${stage.targetRps}/s achieved ${w.answered}/s | ${fmtLatency(w.latencyUs)} | errors ${w.errors} | ` +
            (inStage > stage.durationS
              ? `${stage.durationS}/${stage.durationS} s, waiting for the last answers`
              : `${Math.round(inStage)}/${stage.durationS} s, ${Math.max(0, Math.round(plannedS - doneS - inStage))} s left${plan.stopOnFailure ? " at most" : ""}`),
        );
      }, 1_000);
      target.spans?.startStage(index, Date.now());
      let client: ClientStage;
      try {
        client = await runStage(
          target,
          planStage({
            rate: stage.targetRps,
            durationS: stage.durationS,
            seed: settings.seed * 1_000 + index,
            weights,
          }),
          createdOrders,
          window,
          Math.max(100, Math.ceil(stage.targetRps * 10)),
        );
      } finally {
        clearInterval(ticker);
      }
      doneS += stage.durationS;
      const after = await scrapeAll();
      const services: Partial<Record<ServiceName, ServiceStage>> = {};
      const p99AboveBuckets: ServiceName[] = [];
      for (const [name, snap] of Object.entries(after) as [ServiceName, MetricsSnapshot][]) {
        const start = before[name];
        if (!start) continue;
        const measured = serviceStage(start, snap, {
          durationS: client.durationS,
          latencyThresholdSeconds: settings.latencyThresholdSeconds,
        });
        services[name] = measured.stage;
        if (measured.p99AboveBuckets) p99AboveBuckets.push(name);
      }
      before = after;
      const { durationS: _measuredS, errorSamples, ...clientFields } = client;
      const failures = evaluateStage({ ...client, services, p99AboveBuckets }, settings.thresholds);
      const result: StageResult = {
        name: stage.name,
        targetRps: stage.targetRps,
        durationS: stage.durationS,
        ...clientFields,
        services,
        passed: failures.length === 0,
        failures,
      };
      progress(
        `${label}: ${result.passed ? "passed" : "FAILED"} | ${client.answered}/${client.sent} answered, ${client.achievedRps.toFixed(1)}/s | ` +
          `${fmtLatency(client.latencyUs)} | errors ${client.errors}` +
          `${errorSamples.length ? ` (e.g. ${errorSamples[0]})` : ""}${failures.map((f) => `\n    ${f}`).join("")}`,
      );
      return result;
    });
    // interval scrapes may finish after a stage's closing scrape began
    memory.sort((a, b) => a.atS - b.atS || a.service.localeCompare(b.service));
    return { stages, memory };
  } finally {
    if (memoryTimer) clearInterval(memoryTimer);
  }
}

/** The per-stage span volumes, once the services have flushed their spans (loopback only). */
export function attachSpans(result: Pick<LoadTestResult, "stages">, target: Target): void {
  if (!target.spans) return;
  for (const [index, stage] of result.stages.entries()) stage.spans = target.spans.volume(index, stage.answered);
}
