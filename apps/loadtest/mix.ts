/**
 * What a load test sends: the shop's traffic in fixed proportions (smooth weighted round robin, so
 * even a short stage has the right mix), with bodies and ids from a seeded generator: the same seed
 * always plans the same requests.
 */
import type { ServiceName } from "../../contract";
import { interleaveKinds, orderBody, PRODUCT_IDS, prng, USER_IDS } from "../bench/schedule";

export const REQUEST_KINDS = [
  "GET /products",
  "GET /products/:id",
  "GET /users/:id",
  "POST /orders",
  "GET /orders/:id",
  "POST /orders (invalid)",
  "GET /products/:id (unknown)",
] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export interface KindSpec {
  /** The service the request goes to directly. */
  service: ServiceName;
  /** Share of the traffic, in percent (the weights add up to 100). */
  weight: number;
  expectedStatus: number;
  /** Sent wrong on purpose: the expected 4xx counts as expectedClientErrors, not as an error. */
  invalid: boolean;
}

/** Browsing dominates, a fifth of the visits order, and 5 % of the requests are invalid. */
export const MIX: Record<RequestKind, KindSpec> = {
  "GET /products": { service: "product", weight: 30, expectedStatus: 200, invalid: false },
  "GET /products/:id": { service: "product", weight: 22, expectedStatus: 200, invalid: false },
  "GET /users/:id": { service: "user", weight: 10, expectedStatus: 200, invalid: false },
  "POST /orders": { service: "order", weight: 18, expectedStatus: 201, invalid: false },
  "GET /orders/:id": { service: "order", weight: 15, expectedStatus: 200, invalid: false },
  "POST /orders (invalid)": { service: "order", weight: 3, expectedStatus: 400, invalid: true },
  "GET /products/:id (unknown)": { service: "product", weight: 2, expectedStatus: 404, invalid: true },
};

/** Bodies POST /orders refuses with 400: schema violations and malformed JSON. */
export const INVALID_ORDER_BODIES = [
  '{"userId":"u-1001","items":[]}',
  '{"items":[{"productId":"p-1001","quantity":1}]}',
  '{"userId":"u-1002","items":[{"productId":"p-1002","quantity":0}]}',
  '{"userId":"u-1003","items":[{"productId":"p-1003"',
] as const;

export interface LoadRequest {
  /** Send time from the start of the stage, µs. */
  atUs: number;
  kind: RequestKind;
  method: "GET" | "POST";
  /** Absent for GET /orders/:id, whose id is taken at send time from the orders placed so far. */
  path?: string;
  body?: string;
  /** GET /orders/:id: which of the recently placed orders to read (modulo their number). */
  pick?: number;
}

/** The mix restricted to the services the load test can reach directly (order is always one of them). */
export function mixFor(reachable: ReadonlySet<ServiceName>): Partial<Record<RequestKind, number>> {
  return Object.fromEntries(
    REQUEST_KINDS.filter((kind) => reachable.has(MIX[kind].service)).map((kind) => [kind, MIX[kind].weight]),
  );
}

const pickFrom = <T>(list: readonly T[], random: () => number): T => list[Math.floor(random() * list.length)] as T;

/** `rate` requests per second for `durationS` seconds, evenly spaced from 0 (an open model). */
export function planStage(options: {
  rate: number;
  durationS: number;
  seed: number;
  weights: Partial<Record<RequestKind, number>>;
}): LoadRequest[] {
  const { rate, durationS } = options;
  if (!(rate > 0) || !(durationS > 0)) throw new Error("rate and duration must be positive");
  const count = Math.max(1, Math.round(rate * durationS));
  const random = prng(options.seed);
  const intervalUs = 1e6 / rate;
  return interleaveKinds(REQUEST_KINDS, options.weights, count).map((kind, i): LoadRequest => {
    const atUs = Math.round(i * intervalUs);
    switch (kind) {
      case "GET /products":
        return { atUs, kind, method: "GET", path: "/products" };
      case "GET /products/:id":
        return { atUs, kind, method: "GET", path: `/products/${pickFrom(PRODUCT_IDS, random)}` };
      case "GET /users/:id":
        return { atUs, kind, method: "GET", path: `/users/${pickFrom(USER_IDS, random)}` };
      case "POST /orders":
        return { atUs, kind, method: "POST", path: "/orders", body: JSON.stringify(orderBody(random)) };
      case "GET /orders/:id":
        return { atUs, kind, method: "GET", pick: Math.floor(random() * 1_000_000) };
      case "POST /orders (invalid)":
        return { atUs, kind, method: "POST", path: "/orders", body: pickFrom(INVALID_ORDER_BODIES, random) };
      case "GET /products/:id (unknown)":
        return { atUs, kind, method: "GET", path: `/products/p-unknown-${Math.floor(random() * 1_000)}` };
      default:
        throw new Error(`no plan for ${kind satisfies never}`);
    }
  });
}
