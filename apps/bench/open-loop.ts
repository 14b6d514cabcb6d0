import type { Pool } from "undici";
import type { Endpoint, PlannedRequest } from "./schedule";

/** Where the fixed-rate load goes: keep-alive pools to order and product, and the orders created so far. */
export interface LoadTarget {
  pools: { order: Pool; product: Pool };
  createdOrders: string[];
}

export interface OpenLoopResult {
  /** Latency of each answered request by endpoint, µs from its scheduled send time to the end of the response. */
  latencyUs: Partial<Record<Endpoint, number[]>>;
  /** Requests that got an HTTP answer (whatever the status): the ones that cost the services CPU. */
  answered: number;
  /** Answers with the expected status. */
  ok: number;
  /** Unexpected status, transport failure or timeout, or not sent because too many were in flight. */
  errors: number;
  errorSamples: string[];
  /** How late the generator sent requests (already included in the latencies). */
  sendLagUs: { p50: number; max: number };
  durationS: number;
}

const EXPECTED_STATUS: Record<Endpoint, number> = {
  "POST /orders": 201,
  "GET /orders/:id": 200,
  "GET /products": 200,
  "GET /products/:id": 200,
};
const KEEP_CREATED = 1_000;
const MAX_ERROR_SAMPLES = 5;
const SPIN_US = 1_000;

async function send(target: LoadTarget, request: PlannedRequest): Promise<{ status: number; text?: string }> {
  const { order, product } = target.pools;
  const get = async (pool: Pool, path: string) => {
    const res = await pool.request({ method: "GET", path });
    await res.body.dump({ limit: 1 << 20 });
    return { status: res.statusCode };
  };
  switch (request.endpoint) {
    case "POST /orders": {
      const res = await order.request({
        method: "POST",
        path: "/orders",
        headers: { "content-type": "application/json" },
        body: request.body,
      });
      return { status: res.statusCode, text: await res.body.text() };
    }
    case "GET /orders/:id": {
      const ids = target.createdOrders;
      const id = ids.length > 0 ? (ids[(request.pick ?? 0) % ids.length] as string) : "o-none";
      return get(order, `/orders/${encodeURIComponent(id)}`);
    }
    case "GET /products":
      return get(product, "/products");
    case "GET /products/:id":
      return get(product, `/products/${encodeURIComponent(request.productId ?? "p-1001")}`);
  }
}

/** When a planned request is due: microseconds from the start of its run. */
export interface Scheduled {
  atUs: number;
}

export interface DispatchResult {
  /** How late requests were handed to `send` (already included in latencies measured from `atUs`). */
  sendLagUs: { p50: number; max: number };
  /** From the start until the last request settled, seconds. */
  durationS: number;
}

/**
 * Hands each planned request to `send` at its scheduled time whatever happens to earlier ones (an
 * open model); `send` gets a clock with the plan's origin, so it can measure each request from when
 * it *should* have been sent: a stall delays every request scheduled behind it and all of them show
 * it (no coordinated omission). `send` handles its own failures. Bounded: a request finding
 * `maxInFlight` still pending goes to `dropped` instead.
 */
export async function dispatchOpenLoop<R extends Scheduled>(
  plan: readonly R[],
  send: (request: R, nowUs: () => number) => Promise<void>,
  options: { maxInFlight: number; dropped: (request: R) => void },
): Promise<DispatchResult> {
  const lags: number[] = [];
  const start = process.hrtime.bigint();
  const nowUs = () => Number(process.hrtime.bigint() - start) / 1_000;
  const pending = new Set<Promise<void>>();

  const fire = (request: R, now: number) => {
    lags.push(now - request.atUs);
    if (pending.size >= options.maxInFlight) {
      options.dropped(request);
      return;
    }
    const done: Promise<void> = send(request, nowUs)
      .catch(() => undefined)
      .finally(() => pending.delete(done));
    pending.add(done);
  };

  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = () => {
      const now = nowUs();
      while (next < plan.length && (plan[next] as R).atUs <= now) fire(plan[next++] as R, now);
      if (next >= plan.length) {
        resolve();
        return;
      }
      const waitUs = (plan[next] as R).atUs - nowUs();
      // Timers fire up to a millisecond late; the last stretch is spun on setImmediate (I/O still runs),
      // so requests leave on time instead of adding ~0.7 ms of generator lateness to every latency.
      if (waitUs < SPIN_US) setImmediate(tick);
      else setTimeout(tick, Math.floor((waitUs - SPIN_US) / 1_000));
    };
    tick();
  });
  await Promise.all(pending);
  lags.sort((a, b) => a - b);
  return {
    durationS: nowUs() / 1e6,
    sendLagUs: {
      p50: lags.length ? (lags[Math.ceil(lags.length / 2) - 1] as number) : 0,
      max: lags.length ? (lags[lags.length - 1] as number) : 0,
    },
  };
}

/**
 * The benchmark's fixed-rate load: the planned requests sent open-loop (dispatchOpenLoop), each
 * measured from its scheduled send time. At most `maxInFlight` requests at once (the rest count as
 * errors), each with the pools' timeouts.
 */
export async function runOpenLoop(
  target: LoadTarget,
  plan: readonly PlannedRequest[],
  options: { maxInFlight?: number } = {},
): Promise<OpenLoopResult> {
  const maxInFlight = options.maxInFlight ?? 1_000;
  const result: OpenLoopResult = {
    latencyUs: {},
    answered: 0,
    ok: 0,
    errors: 0,
    errorSamples: [],
    sendLagUs: { p50: 0, max: 0 },
    durationS: 0,
  };
  const noteError = (message: string) => {
    result.errors++;
    if (result.errorSamples.length < MAX_ERROR_SAMPLES) result.errorSamples.push(message);
  };
  const sendOne = (request: PlannedRequest, nowUs: () => number) =>
    send(target, request)
      .then(({ status, text }) => {
        const latency = nowUs() - request.atUs;
        result.answered++;
        const list = result.latencyUs[request.endpoint] ?? [];
        list.push(latency);
        result.latencyUs[request.endpoint] = list;
        if (status !== EXPECTED_STATUS[request.endpoint]) {
          noteError(`${request.endpoint}: answered ${status}`);
          return;
        }
        result.ok++;
        if (request.endpoint === "POST /orders" && text) {
          target.createdOrders.push((JSON.parse(text) as { id: string }).id);
          if (target.createdOrders.length > KEEP_CREATED) target.createdOrders.shift();
        }
      })
      .catch((err: Error) => noteError(`${request.endpoint}: ${err.message}`));
  const { durationS, sendLagUs } = await dispatchOpenLoop(plan, sendOne, {
    maxInFlight,
    dropped: (request) => noteError(`${request.endpoint}: not sent, ${maxInFlight} requests already in flight`),
  });
  return { ...result, durationS, sendLagUs };
}
