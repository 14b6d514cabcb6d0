/**
 * A small steady load for the demo: reads, orders and some invalid requests, so every dashboard
 * panel and every error path has data. Bounded: a fixed request rate with one timeout per request.
 */

export interface LoadTargets {
  order: string;
  product: string;
  user: string;
}

export interface LoadStats {
  sent: number;
  byStatus: Map<number, number>;
  failed: number;
}

type Action = { weight: number; run: (t: LoadTargets, created: string[]) => Promise<Response> };

const PRODUCTS = ["p-1001", "p-1002", "p-1003", "p-1004", "p-1005"];
const USERS = ["u-1001", "u-1002", "u-1003"];
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;
const REQUEST_TIMEOUT_MS = 5_000;

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

const get = (url: string) => fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });

const ACTIONS: Action[] = [
  { weight: 25, run: (t) => get(`${t.product}/products`) },
  { weight: 15, run: (t) => get(`${t.product}/products/${pick(PRODUCTS)}`) },
  { weight: 10, run: (t) => get(`${t.user}/users/${pick(USERS)}`) },
  {
    weight: 30,
    run: async (t, created) => {
      const items = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => ({
        productId: pick(PRODUCTS),
        quantity: 1 + Math.floor(Math.random() * 2),
      }));
      const res = await post(`${t.order}/orders`, { userId: pick(USERS), items });
      if (res.status === 201) {
        const order = (await res.json()) as { id: string };
        created.push(order.id);
        if (created.length > 100) created.shift();
      }
      return res;
    },
  },
  { weight: 8, run: (t, created) => get(`${t.order}/orders/${created.length ? pick(created) : "o-none"}`) },
  // invalid requests: validation errors, unknown ids, malformed JSON
  { weight: 4, run: (t) => post(`${t.order}/orders`, { userId: "u-1001", items: [] }) },
  {
    weight: 3,
    run: (t) => post(`${t.order}/orders`, { userId: "u-unknown", items: [{ productId: "p-1001", quantity: 1 }] }),
  },
  { weight: 3, run: (t) => post(`${t.user}/users`, '{"name": "broken",') },
  { weight: 2, run: (t) => get(`${t.product}/products/p-unknown`) },
];
const TOTAL_WEIGHT = ACTIONS.reduce((sum, a) => sum + a.weight, 0);

function chooseAction(): Action {
  let roll = Math.random() * TOTAL_WEIGHT;
  for (const action of ACTIONS) {
    roll -= action.weight;
    if (roll < 0) return action;
  }
  return ACTIONS[0] as Action;
}

/** Sends `ratePerSecond` requests per second until stopped; in-flight requests are capped. */
export function startLoad(targets: LoadTargets, ratePerSecond: number) {
  const stats: LoadStats = { sent: 0, byStatus: new Map(), failed: 0 };
  const created: string[] = [];
  const maxInFlight = Math.max(10, ratePerSecond * 2);
  let inFlight = 0;
  const timer = setInterval(() => {
    if (inFlight >= maxInFlight) return;
    inFlight++;
    stats.sent++;
    chooseAction()
      .run(targets, created)
      .then(async (res) => {
        stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
        await res.body?.cancel().catch(() => undefined);
      })
      .catch(() => {
        stats.failed++;
      })
      .finally(() => {
        inFlight--;
      });
  }, 1000 / ratePerSecond);
  return {
    stats,
    stop: () => clearInterval(timer),
  };
}

export function summarize(stats: LoadStats): string {
  const statuses = [...stats.byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status}:${count}`)
    .join(" ");
  return `sent ${stats.sent} | ${statuses || "no answers yet"}${stats.failed ? ` | failed ${stats.failed}` : ""}`;
}
