import { INVALID_ORDER_BODIES, MIX, mixFor, planStage, REQUEST_KINDS, type RequestKind } from "../../apps/loadtest/mix";
import { newOrderBody } from "../../apps/order/service";
import { SEED_PRODUCTS } from "../../apps/product/catalog";
import { SEED_USERS } from "../../apps/user/directory";
import { SERVICE_NAMES } from "../../contract";

const ALL = mixFor(new Set(SERVICE_NAMES));
const countKinds = (kinds: RequestKind[]) =>
  Object.fromEntries(REQUEST_KINDS.map((k) => [k, kinds.filter((kind) => kind === k).length]));

describe("the traffic mix", () => {
  test("the weights are percentages: they add up to 100, 5 of them invalid requests", () => {
    const weights = Object.values(MIX);
    expect(weights.reduce((n, k) => n + k.weight, 0)).toBe(100);
    expect(weights.filter((k) => k.invalid).reduce((n, k) => n + k.weight, 0)).toBe(5);
    for (const spec of weights) expect(spec.invalid).toBe(spec.expectedStatus >= 400);
  });

  test("every 100 requests hold each kind exactly its weight", () => {
    const plan = planStage({ rate: 100, durationS: 3, seed: 5, weights: ALL });
    for (let window = 0; window < 3; window++) {
      const kinds = plan.slice(window * 100, (window + 1) * 100).map((r) => r.kind);
      expect(countKinds(kinds)).toEqual(Object.fromEntries(REQUEST_KINDS.map((k) => [k, MIX[k].weight])));
    }
  });

  test("even the smoke stage (50 requests) sends every kind, invalid ones included", () => {
    const kinds = new Set(planStage({ rate: 10, durationS: 5, seed: 1, weights: ALL }).map((r) => r.kind));
    expect([...kinds].sort()).toEqual([...REQUEST_KINDS].sort());
  });

  test("is the same for the same seed and differs across seeds", () => {
    const a = planStage({ rate: 50, durationS: 2, seed: 7, weights: ALL });
    expect(planStage({ rate: 50, durationS: 2, seed: 7, weights: ALL })).toEqual(a);
    expect(planStage({ rate: 50, durationS: 2, seed: 8, weights: ALL })).not.toEqual(a);
  });

  test("sends at fixed intervals from 0 (an open model)", () => {
    const plan = planStage({ rate: 40, durationS: 1, seed: 1, weights: ALL });
    expect(plan).toHaveLength(40);
    expect(plan.map((r) => r.atUs)).toEqual(Array.from({ length: 40 }, (_, i) => i * 25_000));
  });

  test("valid requests name seeded users and products; orders validate; invalid orders do not", () => {
    const users = new Set(SEED_USERS.map((u) => u.id));
    const products = new Set(SEED_PRODUCTS.map((p) => p.id));
    const plan = planStage({ rate: 200, durationS: 5, seed: 3, weights: ALL });
    for (const r of plan) {
      const id = r.path?.split("/")[2];
      if (r.kind === "GET /users/:id") expect(users.has(id as string)).toBe(true);
      if (r.kind === "GET /products/:id") expect(products.has(id as string)).toBe(true);
      if (r.kind === "GET /products/:id (unknown)") expect(products.has(id as string)).toBe(false);
      if (r.kind === "POST /orders") expect(newOrderBody.safeParse(JSON.parse(r.body as string)).success).toBe(true);
      if (r.kind === "GET /orders/:id") expect([r.path, typeof r.pick]).toEqual([undefined, "number"]);
    }
    for (const body of INVALID_ORDER_BODIES) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        continue; // malformed JSON: 400 from the body parser
      }
      expect(newOrderBody.safeParse(parsed).success).toBe(false);
    }
  });

  test("without direct URLs for product and user, only order's kinds remain, in their own proportions", () => {
    const weights = mixFor(new Set(["order"] as const));
    expect(weights).toEqual({ "POST /orders": 18, "GET /orders/:id": 15, "POST /orders (invalid)": 3 });
    const kinds = planStage({ rate: 36, durationS: 1, seed: 1, weights }).map((r) => r.kind);
    expect(countKinds(kinds)).toMatchObject({ "POST /orders": 18, "GET /orders/:id": 15, "POST /orders (invalid)": 3 });
  });
});
