/**
 * Sends one stage's planned requests open-loop (the bench's dispatcher: latency from each request's
 * scheduled send time, so stalls are not hidden) and tallies what came back: per kind, and per second
 * for the live display.
 */
import { dispatchOpenLoop } from "../bench/open-loop";
import { percentiles } from "../bench/stats";
import { type LoadRequest, MIX, type RequestKind } from "./mix";
import type { Percentiles, StageResult } from "./result";
import type { Target } from "./targets";

/** Whole request, queueing for a connection included: a load test gives up like a client would. */
const REQUEST_TIMEOUT_MS = 10_000;
const KEEP_CREATED = 1_000;
const MAX_ERROR_SAMPLES = 5;

/** What came back during the last interval, for the live display; read and reset once a second. */
export class Window {
  answered = 0;
  errors = 0;
  latencyUs: number[] = [];
  take(): { answered: number; errors: number; latencyUs: Percentiles } {
    const out = { answered: this.answered, errors: this.errors, latencyUs: percentiles(this.latencyUs) };
    this.answered = 0;
    this.errors = 0;
    this.latencyUs = [];
    return out;
  }
}

export type ClientStage = Pick<
  StageResult,
  "sent" | "answered" | "errors" | "expectedClientErrors" | "achievedRps" | "latencyUs" | "byEndpoint"
> & { durationS: number; errorSamples: string[] };

/** Percentiles with zeros instead of NaN when nothing was answered (count says so): JSON has no NaN. */
export function finitePercentiles(values: readonly number[]): Percentiles {
  const p = percentiles(values);
  if (p.count === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  // whole microseconds: the clock's fractions say nothing
  return {
    count: p.count,
    p50: Math.round(p.p50),
    p90: Math.round(p.p90),
    p99: Math.round(p.p99),
    max: Math.round(p.max),
  };
}

export async function runStage(
  target: Target,
  plan: readonly LoadRequest[],
  createdOrders: string[],
  window: Window,
  maxInFlight: number,
): Promise<ClientStage> {
  const latency: number[] = [];
  const byKind = new Map<RequestKind, { latencyUs: number[]; errors: number }>();
  const kindOf = (kind: RequestKind) => {
    const entry = byKind.get(kind) ?? { latencyUs: [], errors: 0 };
    byKind.set(kind, entry);
    return entry;
  };
  const tally = { answered: 0, errors: 0, expectedClientErrors: 0 };
  const errorSamples: string[] = [];
  const fail = (request: LoadRequest, why: string) => {
    tally.errors++;
    window.errors++;
    kindOf(request.kind).errors++;
    if (errorSamples.length < MAX_ERROR_SAMPLES) errorSamples.push(`${request.kind}: ${why}`);
  };

  const send = async (request: LoadRequest, nowUs: () => number): Promise<void> => {
    const spec = MIX[request.kind];
    const pool = target.pools[spec.service];
    if (!pool) return fail(request, `no URL for ${spec.service}`);
    const path =
      request.path ??
      `/orders/${encodeURIComponent(createdOrders.length ? (createdOrders[(request.pick ?? 0) % createdOrders.length] as string) : "o-none")}`;
    try {
      const res = await pool.request({
        method: request.method,
        path,
        headers: request.body === undefined ? undefined : { "content-type": "application/json" },
        body: request.body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = request.kind === "POST /orders" && res.statusCode === 201 ? await res.body.text() : undefined;
      if (text === undefined) await res.body.dump({ limit: 1 << 20 });
      const latencyUs = nowUs() - request.atUs;
      tally.answered++;
      window.answered++;
      latency.push(latencyUs);
      window.latencyUs.push(latencyUs);
      kindOf(request.kind).latencyUs.push(latencyUs);
      if (res.statusCode !== spec.expectedStatus) return fail(request, `answered ${res.statusCode}`);
      if (spec.invalid) tally.expectedClientErrors++;
      if (text !== undefined) {
        createdOrders.push((JSON.parse(text) as { id: string }).id);
        if (createdOrders.length > KEEP_CREATED) createdOrders.shift();
      }
    } catch (err) {
      fail(request, (err as Error).message);
    }
  };

  const { durationS } = await dispatchOpenLoop(plan, send, {
    maxInFlight,
    dropped: (request) => fail(request, `not sent, ${maxInFlight} requests already in flight`),
  });
  return {
    sent: plan.length,
    ...tally,
    achievedRps: durationS > 0 ? tally.answered / durationS : 0,
    latencyUs: finitePercentiles(latency),
    byEndpoint: Object.fromEntries(
      [...byKind].map(([kind, entry]) => [kind, { ...finitePercentiles(entry.latencyUs), errors: entry.errors }]),
    ),
    durationS,
    errorSamples,
  };
}
