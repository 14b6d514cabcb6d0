/**
 * What the benchmark sends and when: requests at fixed intervals (an open model: the send times do
 * not depend on how fast the services answer), drawn from a scenario's mix with a seeded generator,
 * so every variant gets exactly the same requests in the same cycle.
 */

export const ENDPOINTS = ["POST /orders", "GET /orders/:id", "GET /products", "GET /products/:id"] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** Ids the services are seeded with (apps/user/directory.ts, apps/product/catalog.ts). */
export const USER_IDS = ["u-1001", "u-1002", "u-1003"] as const;
/** Products with plenty of stock; p-1005 (25 mugs) would run out and turn orders into 409s. */
export const ORDERABLE_PRODUCT_IDS = ["p-1001", "p-1002", "p-1003", "p-1004"] as const;
export const PRODUCT_IDS = [...ORDERABLE_PRODUCT_IDS, "p-1005"] as const;

export const SCENARIO_NAMES = ["orders", "mix"] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** Relative weights of the endpoints in each scenario. */
export const SCENARIOS: Record<ScenarioName, { description: string; weights: Partial<Record<Endpoint, number>> }> = {
  orders: { description: "POST /orders only (order → user, product)", weights: { "POST /orders": 1 } },
  mix: {
    description: "orders and the reads people do most",
    weights: { "POST /orders": 40, "GET /products": 25, "GET /orders/:id": 20, "GET /products/:id": 15 },
  },
};

export interface PlannedRequest {
  /** Send time from the start of the slice, in microseconds. */
  atUs: number;
  endpoint: Endpoint;
  /** JSON body of POST /orders. */
  body?: string;
  /** Product of GET /products/:id. */
  productId?: string;
  /** For GET /orders/:id: which of the recently created orders to read (taken modulo their number). */
  pick?: number;
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pickFrom = <T>(list: readonly T[], random: () => number): T => list[Math.floor(random() * list.length)] as T;

/** A valid order: a known user and one to three different products with plenty of stock. */
export function orderBody(random: () => number): { userId: string; items: { productId: string; quantity: number }[] } {
  const count = 1 + Math.floor(random() * 3);
  const products = [...ORDERABLE_PRODUCT_IDS];
  const items = [];
  for (let i = 0; i < count; i++) {
    const [productId] = products.splice(Math.floor(random() * products.length), 1);
    items.push({ productId: productId as string, quantity: 1 + Math.floor(random() * 2) });
  }
  return { userId: pickFrom(USER_IDS, random), items };
}

/**
 * Smooth weighted round robin: endpoints interleaved evenly in exactly the weights' proportions
 * (up to rounding at the end), without runs of one kind.
 */
export function interleave(weights: Partial<Record<Endpoint, number>>, count: number): Endpoint[] {
  return interleaveKinds(ENDPOINTS, weights, count);
}

/** interleave() over any list of kinds; ties go to the kind listed first. */
export function interleaveKinds<K extends string>(
  kinds: readonly K[],
  weights: Partial<Record<K, number>>,
  count: number,
): K[] {
  const entries = kinds.flatMap((kind) =>
    (weights[kind] ?? 0) > 0 ? [{ kind, weight: weights[kind] as number }] : [],
  );
  if (entries.length === 0) throw new Error("a scenario needs at least one endpoint with a positive weight");
  const total = entries.reduce((sum, e) => sum + e.weight, 0);
  const current = entries.map(() => 0);
  const out: K[] = [];
  for (let n = 0; n < count; n++) {
    let best = 0;
    for (let i = 0; i < entries.length; i++) {
      current[i] = (current[i] as number) + (entries[i] as { weight: number }).weight;
      if ((current[i] as number) > (current[best] as number)) best = i;
    }
    current[best] = (current[best] as number) - total;
    out.push((entries[best] as { kind: K }).kind);
  }
  return out;
}

/** The requests of one slice: `rate` per second for `durationS` seconds, evenly spaced. */
export function planSlice(options: {
  rate: number;
  durationS: number;
  scenario: ScenarioName;
  seed: number;
}): PlannedRequest[] {
  const { rate, durationS } = options;
  if (!(rate > 0) || !(durationS > 0)) throw new Error("rate and duration must be positive");
  const count = Math.max(1, Math.round(rate * durationS));
  const random = prng(options.seed);
  const intervalUs = 1e6 / rate;
  return interleave(SCENARIOS[options.scenario].weights, count).map((endpoint, i): PlannedRequest => {
    const atUs = Math.round(i * intervalUs);
    switch (endpoint) {
      case "POST /orders":
        return { atUs, endpoint, body: JSON.stringify(orderBody(random)) };
      case "GET /products/:id":
        return { atUs, endpoint, productId: pickFrom(PRODUCT_IDS, random) };
      case "GET /orders/:id":
        return { atUs, endpoint, pick: Math.floor(random() * 1_000_000) };
      default:
        return { atUs, endpoint };
    }
  });
}
