import { buildReport } from "../../apps/capacity/report";
import { kneeTable } from "../../apps/capacity/tables";
import type { StageResult } from "../../apps/loadtest/result";
import { result, stackConfig, stage } from "./builders";

// Run A: every service at 0.25 cores; order misses at 400 (p99 0.75 s), so its knee is 300; product and user
// never miss (not reached at 800 and 200).
const RUN_A: StageResult[] = [
  stage("a1", { order: { rps: 200 }, product: { rps: 400 }, user: { rps: 100 } }),
  stage("a2", { order: { rps: 300 }, product: { rps: 600 }, user: { rps: 150 } }),
  stage("a3", { order: { rps: 400, p99Seconds: 0.75 }, product: { rps: 800 }, user: { rps: 200 } }),
];
// Run B: product starved at 0.05 cores misses at 150 (knee 100); order, waiting on it, misses there too
// (knee 50 at 0.5 cores: 100 per core, below run A's 1,200); user still not reached (at most 75).
const RUN_B: StageResult[] = [
  stage("b1", { order: { rps: 50 }, product: { rps: 100 }, user: { rps: 25 } }),
  stage("b2", { order: { rps: 75, p99Seconds: 1 }, product: { rps: 150, p99Seconds: 1 }, user: { rps: 75 } }),
];
const QUOTA_A = { order: 0.25, product: 0.25, user: 0.25 };
const QUOTA_B = { order: 0.5, product: 0.05, user: 0.2 };
const GENERATED = {
  at: "2025-06-01T11:00:00Z",
  machine: { cpus: 2, cpuModel: "x", memoryGiB: 4, node: "v24", platform: "linux x64" },
};

function report() {
  const config = stackConfig({ services: { product: { resources: { cpuLimit: "1" } } } });
  return buildReport(
    result(RUN_A, { cpuLimitCores: QUOTA_A }),
    "a.json",
    [{ stack: "prod", config }],
    GENERATED as never,
    [{ result: result(RUN_B, { cpuLimitCores: QUOTA_B }), source: "b.json" }],
  );
}
const serviceRun = (name: string) => report().services.find((s) => s.service === name);

describe("knees from several runs, each service's from the run where it is its own", () => {
  test("order: run A's knee (300 at 0.25 = 1,200 per core) beats run B's (50 at 0.5 = 100 per core, held back by product)", () => {
    expect(serviceRun("order")).toMatchObject({ source: "a.json", cores: 0.25, knee: { kind: "found", rps: 300 } });
  });

  test("product: run B found its knee (100 at 0.05); a found knee beats run A's not-reached 800", () => {
    expect(serviceRun("product")).toMatchObject({ source: "b.json", cores: 0.05, knee: { kind: "found", rps: 100 } });
  });

  test("user: never reached; the higher lower bound (run A's 200, not scaled) is kept", () => {
    expect(serviceRun("user")).toMatchObject({ source: "a.json", knee: { kind: "not-reached", rps: 200 } });
  });

  test("each stack's plan scales a service's knee by the quota of its own run: product 100 ÷ 0.05 × 1 core = 2,000", () => {
    const [prod] = report().environments;
    const product = prod?.services.find((s) => s.service === "product");
    expect(product?.scaled).toEqual({ measuredCores: 0.05, replicaCores: 1, kneeRps: 100 });
    expect(product?.perReplicaRps).toBeCloseTo(2_000, 9);
    const order = prod?.services.find((s) => s.service === "order");
    expect(order?.perReplicaRps).toBeCloseTo(1_200, 9);
  });

  test("the knee table names the run and quota of each knee when they differ", () => {
    const rows = kneeTable(report()).rows.map((r) => r[0]);
    expect(rows).toEqual(["order (a.json, 0.25 cores)", "product (b.json, 0.05 cores)", "user (a.json, 0.25 cores)"]);
  });
});
