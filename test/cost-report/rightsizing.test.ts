import {
  cpuText,
  memoryText,
  rightSizingSection,
  sizings,
  suggestCpu,
  suggestMemory,
} from "../../apps/cost/rightsizing";
import { dev, queriesOf, results, s } from "./builders";

const MIB = 2 ** 20;
const APPS = "obs-dev-apps";
const at = (workload: string) => ({ namespace: APPS, workload, container: workload });

// order: 3 pods, 500m → recommended 123.4m, 512Mi → recommended 200.5 MiB (4.05× and 2.55×: over-provisioned)
// product: 2 pods, 150m → 100m (1.5×: a saving, below the alert's 2×); user: no pod count, 100m → 200m (under)
const input = results({
  cpuRequest: [s(at("order"), 0.5), s(at("product"), 0.15), s(at("user"), 0.1)],
  cpuRecommended: [s(at("order"), 0.1234), s(at("product"), 0.1), s(at("user"), 0.2)],
  memoryRequest: [s(at("order"), 512 * MIB)],
  memoryRecommended: [s(at("order"), 200.5 * MIB)],
  runningPods: [s({ namespace: APPS, workload: "order" }, 3), s({ namespace: APPS, workload: "product" }, 2)],
});

test("a suggestion is the recommendation rounded up to a whole millicore / MiB, float dust not rounded up", () => {
  expect(suggestCpu(0.1234)).toBe(0.124);
  expect(suggestCpu(0.12)).toBe(0.12); // 0.12 × 1000 = 119.99999999999999 in floats
  expect(suggestMemory(200.5 * MIB)).toBe(201 * MIB);
  expect([cpuText(0.124), memoryText(201 * MIB), memoryText(2 * 2 ** 30)]).toEqual(["124m", "201Mi", "2Gi"]);
});

test("saving = (request − suggestion) × price × 730 h × running pods, CPU and memory summed (dev prices)", () => {
  const [order, product, user] = sizings(input, dev.cost);
  // order: (0.5 − 0.124) cores × 0.04048 + (512 − 201) MiB ÷ 1024 × 0.004445, × 730 h × 3 pods
  expect(order?.saving).toBeCloseTo((0.376 * 0.04048 + (311 / 1024) * 0.004445) * 730 * 3, 10);
  expect(order?.saving).toBeCloseTo(36.2893, 4);
  // product: (0.15 − 0.1) × 0.04048 × 730 × 2 = 2.95504
  expect(product?.saving).toBeCloseTo(2.95504, 10);
  // user: no pod count → one pod; (0.1 − 0.2) × 0.04048 × 730 = −2.95504
  expect(user?.pods).toBeUndefined();
  expect(user?.saving).toBeCloseTo(-2.95504, 10);
});

describe("right-sizing section (b)", () => {
  const q = queriesOf(dev);
  const section = rightSizingSection(input, q, dev, 10);

  test("the table lists workloads with a saving, largest first, with pods, request → suggestion and ratio", () => {
    expect(section.tables[0]?.rows).toEqual([
      [`${APPS}/order`, "order", "3", "500m → 124m", "4.05×", "512Mi → 201Mi", "2.55×", "36.29 USD"],
      [`${APPS}/product`, "product", "2", "150m → 100m", "1.50×", "—", "—", "2.96 USD"],
    ]);
  });

  test("a hint for order (over 2×) with its four records and pod count as evidence; none for product (1.5×)", () => {
    const over = section.hints.filter((h) => h.advice.includes("more than 2×"));
    expect(over).toHaveLength(1);
    expect(over[0]?.advice).toBe(
      `${APPS}/order (order) requests more than 2× its recommendation: set requests to cpu: 124m, memory: 201Mi.`,
    );
    expect(over[0]?.saving).toBe("36.29 USD a month");
    expect(over[0]?.evidence).toEqual([
      `\`workload_container:cpu_request_cores:max{namespace="${APPS}",workload="order",container="order"}\` = 0.500 cores`,
      `\`workload_container:cpu_request_recommended_cores:quantile{namespace="${APPS}",workload="order",container="order"}\` = 0.123 cores`,
      `\`workload_container:memory_request_bytes:max{namespace="${APPS}",workload="order",container="order"}\` = 512.0 MiB`,
      `\`workload_container:memory_request_recommended_bytes:max{namespace="${APPS}",workload="order",container="order"}\` = 200.5 MiB`,
      `\`${q.runningPods}\` = 3 pods`,
    ]);
  });

  test("user requests half its recommendation: a hint to raise it that says it costs 2.96 a month more", () => {
    const under = section.hints.filter((h) => h.advice.includes("requests less than it uses"));
    expect(under.map((h) => [h.advice, h.saving])).toEqual([
      [
        `${APPS}/user (user) requests less than it uses: raise requests to cpu: 200m (CPU throttling, eviction under memory pressure).`,
        "none: costs 2.96 USD a month more",
      ],
    ]);
    expect(section.notes.join(" ")).toContain("their saving is for one pod");
  });

  test("no right-sizing series: a note saying which records are missing and why, no table", () => {
    const empty = rightSizingSection(results(), q, dev, 10);
    expect(empty.tables).toEqual([]);
    expect(empty.notes[0]).toContain("workload_container:cpu_request_recommended_cores:quantile");
  });
});
