import { interleave, planSlice, prng, SCENARIOS } from "../../apps/bench/schedule";
import { newOrderBody } from "../../apps/order/service";
import { SEED_PRODUCTS } from "../../apps/product/catalog";
import { SEED_USERS } from "../../apps/user/directory";

describe("the fixed-rate schedule", () => {
  test("sends rate × duration requests at fixed intervals from 0", () => {
    const plan = planSlice({ rate: 100, durationS: 2.5, scenario: "orders", seed: 1 });
    expect(plan).toHaveLength(250);
    expect(plan.slice(0, 3).map((r) => r.atUs)).toEqual([0, 10_000, 20_000]);
    expect(plan.at(-1)?.atUs).toBe(2_490_000);
    const gaps = plan.slice(1).map((r, i) => r.atUs - (plan[i] as { atUs: number }).atUs);
    expect(new Set(gaps)).toEqual(new Set([10_000]));
  });

  test("rounds send times to whole microseconds at rates that do not divide a second", () => {
    const plan = planSlice({ rate: 3, durationS: 1, scenario: "orders", seed: 1 });
    expect(plan.map((r) => r.atUs)).toEqual([0, 333_333, 666_667]);
  });

  test("is the same for the same seed (every variant gets the same requests) and differs across seeds", () => {
    const a = planSlice({ rate: 50, durationS: 1, scenario: "mix", seed: 7 });
    expect(planSlice({ rate: 50, durationS: 1, scenario: "mix", seed: 7 })).toEqual(a);
    expect(planSlice({ rate: 50, durationS: 1, scenario: "mix", seed: 8 })).not.toEqual(a);
  });

  test("orders are valid POST /orders bodies for seeded users and products with plenty of stock", () => {
    const users = new Set(SEED_USERS.map((u) => u.id));
    const plentiful = new Set(SEED_PRODUCTS.filter((p) => p.stock >= 100_000).map((p) => p.id));
    const plan = planSlice({ rate: 200, durationS: 5, scenario: "orders", seed: 3 });
    for (const request of plan) {
      expect(request.endpoint).toBe("POST /orders");
      const body = newOrderBody.parse(JSON.parse(request.body as string));
      expect(users.has(body.userId)).toBe(true);
      expect(body.items.length).toBeGreaterThanOrEqual(1);
      expect(body.items.length).toBeLessThanOrEqual(3);
      expect(new Set(body.items.map((i) => i.productId)).size).toBe(body.items.length);
      for (const item of body.items) expect(plentiful.has(item.productId)).toBe(true);
    }
  });

  test("the mix has the scenario's proportions, evenly interleaved", () => {
    const plan = planSlice({ rate: 100, durationS: 1, scenario: "mix", seed: 1 });
    const counts = new Map<string, number>();
    for (const r of plan) counts.set(r.endpoint, (counts.get(r.endpoint) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual(SCENARIOS.mix.weights);
    // no long run of one kind: POST /orders (40 %) never comes more than twice in a row
    let run = 0;
    for (const r of plan) {
      run = r.endpoint === "POST /orders" ? run + 1 : 0;
      expect(run).toBeLessThanOrEqual(2);
    }
    expect(
      plan.filter((r) => r.endpoint === "GET /products/:id").every((r) => /^p-100[1-5]$/.test(r.productId ?? "")),
    ).toBe(true);
    expect(plan.filter((r) => r.endpoint === "GET /orders/:id").every((r) => Number.isInteger(r.pick))).toBe(true);
  });

  test("interleave keeps exact proportions for any count and refuses an empty mix", () => {
    const seq = interleave({ "POST /orders": 3, "GET /products": 1 }, 8);
    expect(seq.filter((e) => e === "POST /orders")).toHaveLength(6);
    expect(() => interleave({}, 5)).toThrow(/positive weight/);
  });

  test("refuses a rate or duration that is not positive", () => {
    expect(() => planSlice({ rate: 0, durationS: 1, scenario: "orders", seed: 1 })).toThrow();
    expect(() => planSlice({ rate: 10, durationS: 0, scenario: "orders", seed: 1 })).toThrow();
  });

  test("the PRNG is deterministic and uniform enough", () => {
    const a = prng(42);
    const b = prng(42);
    const values = Array.from({ length: 10_000 }, () => a());
    expect(values.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });
});
