import {
  type EnvironmentPlan,
  planEnvironment,
  replicaCores,
  type ServicePlan,
  scaleKnee,
} from "../../apps/capacity/plan";
import { fanOut, measuredVolumes } from "../../apps/capacity/volumes";
import type { StageResult } from "../../apps/loadtest/result";
import type { ServiceName } from "../../contract";
import {
  GIB,
  JAEGER_OVERHEAD,
  LOKI_OVERHEAD,
  PROMETHEUS_BYTES_PER_SAMPLE,
  PROMETHEUS_OVERHEAD,
} from "../../infra/capacity/sizing";
import { MIB, stackConfig, stage } from "./builders";

// order's knee is 200 req/s (p99 0.75 s at 300), product passes everything up to 600 (not reached),
// user's 1 % of 5xx at 300 misses prod's 0.1 % budget (knee 200) but not dev's 1 %.
const STAGES: StageResult[] = [
  stage("s1", {
    order: { rps: 100, cpuSecondsPerRequest: 0.002, rssBytes: 80 * MIB },
    product: { rps: 200 },
    user: { rps: 100 },
  }),
  stage("s2", {
    order: { rps: 200, cpuSecondsPerRequest: 0.002, rssBytes: 300 * MIB, p99Seconds: 0.25 },
    product: { rps: 400 },
    user: { rps: 200 },
  }),
  stage("s3", {
    order: { rps: 300, cpuSecondsPerRequest: 0.002, p99Seconds: 0.75 },
    product: { rps: 600 },
    user: { rps: 300, errors5xx: 30 },
  }),
];

function plan(config: ReturnType<typeof stackConfig>, stages = STAGES): EnvironmentPlan {
  return planEnvironment("test", config, stages, fanOut(stages), measuredVolumes(stages));
}
const serviceOf = (p: EnvironmentPlan, s: ServiceName) => p.services.find((x) => x.service === s) as ServicePlan;
const signalOf = (p: EnvironmentPlan, s: string) => p.storage.find((x) => x.signal === s);

describe("replicas at peak", () => {
  const config = stackConfig({
    capacity: { peakRps: 1_000, headroomPercent: 20 },
    services: { product: { replicas: 1, maxReplicas: 3 } },
  });

  test("1,000 order req/s + 20 % over 200 req/s per replica needs 6 > maxReplicas 4: raise maxReplicas to 6", () => {
    const order = serviceOf(plan(config), "order");
    expect(order).toMatchObject({ peakRps: 1_000, perReplicaRps: 200, replicasNeeded: 6, maxReplicas: 4 });
    expect(order.verdicts).toContain("raise maxReplicas to 6");
  });

  test("product's peak follows the fan-out (2 per order: 2,000 req/s); its knee was not reached, so 4 is an upper bound", () => {
    const product = serviceOf(plan(config), "product");
    expect(product).toMatchObject({ peakRps: 2_000, perReplicaRps: 600, replicasNeeded: 4 });
    expect(product.verdicts).toContain("raise maxReplicas to 4 (at most: the knee was not reached)");
  });

  test("enough maxReplicas: no verdict on replicas", () => {
    const roomy = stackConfig({ capacity: { peakRps: 100 }, services: { order: { replicas: 1, maxReplicas: 10 } } });
    const order = serviceOf(plan(roomy), "order");
    expect(order.replicasNeeded).toBe(1);
    expect(order.verdicts.filter((v) => v.includes("maxReplicas"))).toEqual([]);
  });

  test("each stack's SLO sets its knee: user's 1 % of 5xx at 300 req/s is a miss in prod (0.1 %), not in dev (1 %)", () => {
    expect(serviceOf(plan(config), "user").knee).toMatchObject({ kind: "found", rps: 200 });
    const dev = stackConfig({ environment: "dev", storage: { persistent: false }, slo: { availability: 0.99 } });
    expect(serviceOf(plan(dev), "user").knee).toMatchObject({ kind: "not-reached", rps: 300 });
  });

  test("no stage within the SLO: no replica count, and the verdict says so", () => {
    const stages = [stage("s1", { order: { rps: 100, p99Seconds: 1 }, product: { rps: 200 }, user: { rps: 100 } })];
    const order = serviceOf(plan(config, stages), "order");
    expect(order.replicasNeeded).toBeUndefined();
    expect(order.verdicts).toEqual([
      "no knee: misses the SLO already at 100 req/s (stage s1: p99 1 s > 0.5 s); fix that before sizing",
    ]);
  });
});

describe("HPA, CPU limit and memory at the knee", () => {
  test("200 req/s × 2 ms on a 200m request is 200 % at the knee: a 70 % target scales in time", () => {
    const order = serviceOf(plan(stackConfig()), "order");
    expect(order.utilisationAtKneePercent).toBeCloseTo(200, 9);
    expect(order.verdicts.filter((v) => v.includes("HPA"))).toEqual([]);
  });

  test("200 req/s × 1 ms on a 1-core request is 20 %: lower the target to 19 or less, or the request below 285m", () => {
    const config = stackConfig({ services: { user: { resources: { cpuRequest: "1" } } } });
    const user = serviceOf(plan(config), "user");
    expect(user.utilisationAtKneePercent).toBeCloseTo(20, 9);
    // 0.2 cores at the knee ÷ 0.7 = 285.7m: a request below that puts the knee above the 70 % target
    expect(user.verdicts).toContainEqual(
      expect.stringMatching(/^lower the HPA target: .*lower cpuTargetPercent to 19 or less, or cpuRequest below 285m$/),
    );
  });

  test("a knee not reached with the target above the utilisation tested: inconclusive, not a change to the target", () => {
    // product: 600 req/s × 1 ms = 0.6 cores, 30 % of a 2-core request, below the 70 % target
    const config = stackConfig({ services: { product: { resources: { cpuRequest: "2" } } } });
    const product = serviceOf(plan(config), "product");
    expect(product.utilisationAtKneePercent).toBeCloseTo(30, 9);
    expect(product.verdicts).toEqual([
      "HPA check inconclusive: at the highest rate tested a replica uses 30 % of its CPU request, at or under the 70 % target; stress it up to its knee to decide",
    ]);
  });

  test("a 300m cpuLimit caps order at 150 req/s (0.4 cores at its knee): planned with 150, so 1,000 req/s needs 7", () => {
    const config = stackConfig({
      capacity: { peakRps: 1_000 },
      services: { order: { maxReplicas: 10, resources: { cpuRequest: "200m", cpuLimit: "300m" } } },
    });
    const order = serviceOf(plan(config), "order");
    expect(order).toMatchObject({ perReplicaRps: 150, cpuLimitedRps: 150, replicasNeeded: 7 });
    expect(order.verdicts).toContainEqual(
      expect.stringMatching(/^cpuLimit 300m caps a replica at 150 req\/s.*raise cpuLimit to 400m/),
    );
  });

  test("memory at a replica's share of the peak: 150 req/s is first served in s2 (300 MiB) > 256Mi: raise memoryLimit", () => {
    const order = serviceOf(plan(stackConfig({ capacity: { peakRps: 150 } })), "order");
    expect(order.verdicts).toContain(
      "raise memoryLimit above 300Mi (the RSS of a process serving 200 req/s, in stage s2; a replica's share of the peak is 150)",
    );
  });

  test("memory at a replica's share of the peak: 100 req/s is served in s1 (80 MiB), within 256Mi", () => {
    const order = serviceOf(plan(stackConfig({ capacity: { peakRps: 100 } })), "order");
    expect(order.verdicts.join()).not.toMatch(/memoryLimit/);
  });

  test("the HPA at peak: 150 req/s × 2 ms = 300m at 70 % of 50m needs 9 replicas > maxReplicas 4, whatever the knee", () => {
    const config = stackConfig({
      capacity: { peakRps: 150 },
      services: { order: { resources: { cpuRequest: "50m", memoryRequest: "256Mi", memoryLimit: "512Mi" } } },
    });
    const order = serviceOf(plan(config), "order");
    expect(order).toMatchObject({ replicasNeeded: 1, hpaReplicasAtPeak: 9 });
    // 300m ÷ 70 % ÷ 4 replicas = 107.1m
    expect(order.verdicts).toContain(
      "the HPA asks for 9 replicas at peak (300m of CPU at 70 % of 50m each) and sits at maxReplicas (ServiceAtMaxReplicas): raise maxReplicas to 9, or cpuRequest to 108m",
    );
  });

  test("the HPA at peak within maxReplicas: 150 req/s × 2 ms at 70 % of 200m asks for 3 of 4, no verdict", () => {
    const order = serviceOf(plan(stackConfig({ capacity: { peakRps: 150 } })), "order");
    expect(order.hpaReplicasAtPeak).toBe(3);
    expect(order.verdicts.join()).not.toMatch(/HPA asks/);
  });

  test("a configured capacity above the measured knee is flagged; one below it, or above an unreached knee, is not", () => {
    const config = stackConfig({
      capacity: {
        services: {
          order: { capacityPerReplicaRps: 400 },
          product: { capacityPerReplicaRps: 5_000 },
          user: { capacityPerReplicaRps: 100 },
        },
      },
    });
    const p = plan(config);
    expect(serviceOf(p, "order").verdicts).toContain(
      "lower capacity.services.order.capacityPerReplicaRps to 200 (it assumes 400 req/s per replica; measured 200)",
    );
    expect(serviceOf(p, "product").verdicts.join()).not.toMatch(/capacityPerReplicaRps/);
    expect(serviceOf(p, "user").verdicts.join()).not.toMatch(/capacityPerReplicaRps/);
  });
});

describe("storage", () => {
  // Volumes: series per process order 200, product 100, user 100; log bytes per order request
  // 500 + 2 × 200 + 100 = 1,000; 7 spans of 400 B per order request.
  const volumeStages = STAGES.slice(0, 2).map((s) => ({
    ...s,
    services: {
      order: { ...s.services.order, activeSeries: 200, logBytesPerRequest: 500 },
      product: { ...s.services.product, activeSeries: 100, logBytesPerRequest: 200 },
      user: { ...s.services.user, activeSeries: 100, logBytesPerRequest: 100 },
    } as StageResult["services"],
    spans: { spans: 7 * (s.services.order?.requests ?? 0), spansPerRequest: 7, otlpBytesPerSpan: 400 },
  }));
  // peak 20 order req/s, average 10; SLO 99.9 % / 99 %: sampling at 10 % keeps 10 + 0.1 + 1 = 11.1 %
  const base = { capacity: { peakRps: 20, averageToPeakRatio: 0.5, platformActiveSeries: 8_400 } };

  test("metrics: (200 + 100 + 100) × 4 maxReplicas + 8,400 platform = 10,000 series, 15 s, 30 d > 1 Gi: raise retentionSizeGi and storageGi", () => {
    const config = stackConfig({
      ...base,
      metrics: { retentionDays: 30, retentionSizeGi: 1, storageGi: 5, scrapeInterval: "15s" },
    });
    const metrics = signalOf(plan(config, volumeStages), "metrics");
    expect(metrics?.inputs.activeSeries).toBeCloseTo(10_000, 9);
    // 10,000 series × 5,760 samples/day × 30 d × bytes per sample × (1 + WAL and compaction)
    const gi = (10_000 * 5_760 * 30 * PROMETHEUS_BYTES_PER_SAMPLE * (1 + PROMETHEUS_OVERHEAD)) / GIB;
    expect(metrics?.neededGi).toBeCloseTo(gi, 9);
    const need = Math.ceil(gi);
    expect(metrics?.verdicts).toEqual([
      `raise metrics.retentionSizeGi to ${need} and metrics.storageGi to ${Math.ceil(need / 0.8)} (until then size-based retention keeps ≈ ${((30 * 1) / gi).toFixed(1)} of 30 days)`,
    ]);
  });

  test("logs: 1,000 B × 10 req/s × 14 d ÷ 7 (zstd) with every line written > 1 Gi: raise logs.storageGi", () => {
    const config = stackConfig({ ...base, logs: { retentionDays: 14, storageGi: 1, sampleAccessLogs: false } });
    const logs = signalOf(plan(config, volumeStages), "logs");
    expect(logs?.inputs).toMatchObject({ logBytesPerRequest: 1_000, averageRps: 10, compressionRatio: 7 });
    const gi = (((1_000 * 10 * 86_400 * 14) / 7) * (1 + LOKI_OVERHEAD)) / GIB;
    expect(logs?.neededGi).toBeCloseTo(gi, 9);
    expect(logs?.verdicts).toEqual([`raise logs.storageGi to ${Math.ceil(gi)}, or lower the retentionDays`]);
  });

  test("logs: with access-log sampling at 10 % only the kept share (11.1 %) of the bytes is written", () => {
    const config = stackConfig({
      ...base,
      logs: { retentionDays: 14, sampleAccessLogs: true },
      traces: { samplingPercentage: 10 },
    });
    const logs = signalOf(plan(config, volumeStages), "logs");
    expect(logs?.neededGi).toBeCloseTo((((1_000 * 0.111 * 10 * 86_400 * 14) / 7) * (1 + LOKI_OVERHEAD)) / GIB, 9);
    expect(logs?.notes.join()).toMatch(/sampled access lines/);
  });

  test("traces: 7 spans × 11.1 % kept × 2,400 B stored × 10 req/s × 168 h > 1 Gi: raise traces.storageGi", () => {
    const config = stackConfig({ ...base, traces: { retentionHours: 168, storageGi: 1, samplingPercentage: 10 } });
    const traces = signalOf(plan(config, volumeStages), "traces");
    const gi = (7 * 0.111 * 2_400 * 10 * 3_600 * 168 * (1 + JAEGER_OVERHEAD)) / GIB;
    expect(traces?.neededGi).toBeCloseTo(gi, 9);
    expect(traces?.verdicts).toEqual([
      `raise traces.storageGi to ${Math.ceil(gi)}, or lower the retentionHours or samplingPercentage`,
    ]);
  });

  test("traces in memory (dev): no verdict on storageGi; the note says how long 20,000 traces last (2,000 s ≈ 33 min)", () => {
    const config = stackConfig({
      ...base,
      environment: "dev",
      storage: { persistent: false },
      traces: { samplingPercentage: 100, maxTracesInMemory: 20_000, storageGi: 1 },
    });
    const traces = signalOf(plan(config, volumeStages), "traces");
    expect(traces).toMatchObject({ applies: false, ok: true, verdicts: [] });
    expect(traces?.notes[0]).toMatch(/the newest 20,000 traces, ≈ 33 min of sampled traces at the average rate/);
  });

  test("a volume the run did not measure comes from the stack config, and says so", () => {
    const config = stackConfig(base);
    const measured = plan(config, volumeStages).volumes;
    expect(measured.spansPerOrderRequest).toEqual({ value: 7, source: "measured" });
    // 400 B of OTLP per span is below the configured stored size (index keys included): the stored size wins
    expect(measured.bytesPerSpan).toEqual({ value: 2_400, source: "config" });
    const bigSpans = stackConfig({ ...base, capacity: { ...base.capacity, bytesPerSpan: 300 } });
    expect(plan(bigSpans, volumeStages).volumes.bytesPerSpan).toEqual({ value: 400, source: "measured" });
    const unmeasured = plan(config, STAGES).volumes; // no span sink in these stages
    expect(unmeasured.spansPerOrderRequest).toEqual({ value: 7, source: "config" });
    expect(unmeasured.bytesPerSpan).toEqual({ value: 2_400, source: "config" });
    expect(unmeasured.platformActiveSeries).toEqual({ value: 8_400, source: "config" });
  });

  test("log bytes of a run whose services wrote 10 % of access lines are scaled back to every line (×10)", () => {
    expect(measuredVolumes(volumeStages).logBytesPerOrderRequest).toBeCloseTo(1_000, 9);
    expect(measuredVolumes(volumeStages, 0.1).logBytesPerOrderRequest).toBeCloseTo(10_000, 9);
  });

  test("the services' measured series enter the projection weighted by their maxReplicas", () => {
    // order 200 × 10 + product 100 × 2 + user 100 × 4 = 2,600 series
    const config = stackConfig({
      ...base,
      services: { order: { maxReplicas: 10 }, product: { maxReplicas: 2 }, user: { maxReplicas: 4 } },
    });
    expect(signalOf(plan(config, volumeStages), "metrics")?.inputs.activeSeries).toBeCloseTo(2_600 + 8_400, 9);
  });
});

describe("a knee measured under a CPU quota (loadtest --cpu)", () => {
  const planUnder = (config: ReturnType<typeof stackConfig>, cores: number) =>
    planEnvironment("test", config, STAGES, fanOut(STAGES), measuredVolumes(STAGES), {
      order: cores,
      product: cores,
      user: cores,
    });

  test("order's 200 req/s knee at 0.25 cores is 800 req/s per replica with cpuLimit 1 (×4), stated in the plan", () => {
    const config = stackConfig({
      capacity: { peakRps: 1_000, headroomPercent: 20 },
      services: { order: { resources: { cpuLimit: "1" } } },
    });
    const order = serviceOf(planUnder(config, 0.25), "order");
    expect(order.scaled).toEqual({ measuredCores: 0.25, replicaCores: 1, kneeRps: 200 });
    // 1,000 × 1.2 ÷ 800 = 1.5 → 2 replicas
    expect(order).toMatchObject({ perReplicaRps: 800, replicasNeeded: 2 });
    expect(order.cpuLimitedRps).toBeUndefined();
  });

  test("cpuLimit 500m scales to half a core (400 req/s); no cpuLimit counts as one core, not more", () => {
    const half = stackConfig({ services: { order: { resources: { cpuLimit: "500m" } } } });
    expect(serviceOf(planUnder(half, 0.25), "order").perReplicaRps).toBe(400);
    const unlimited = stackConfig({ services: { order: { resources: { cpuLimit: undefined } } } });
    expect(serviceOf(planUnder(unlimited, 0.25), "order")).toMatchObject({
      perReplicaRps: 800,
      scaled: { replicaCores: 1 },
    });
    const big = stackConfig({ services: { order: { resources: { cpuLimit: "4" } } } });
    expect(serviceOf(planUnder(big, 0.25), "order").perReplicaRps).toBe(800);
  });

  test("a knee not reached under the quota is not scaled: it stays a lower bound of the quota's capacity", () => {
    const product = serviceOf(planUnder(stackConfig(), 0.25), "product");
    expect(product.scaled).toBeUndefined();
    expect(product.perReplicaRps).toBe(600);
  });

  test("replicaCores and scaleKnee: min(cpuLimit, 1) and linear in the cores", () => {
    expect([replicaCores(undefined), replicaCores(0.3), replicaCores(2)]).toEqual([1, 0.3, 1]);
    expect(scaleKnee(90, 0.3, 1)).toBeCloseTo(300, 9);
    expect(scaleKnee(90, 0.3, 0.15)).toBeCloseTo(45, 9);
  });
});
