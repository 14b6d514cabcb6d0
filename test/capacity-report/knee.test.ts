import { clientP99Seconds, findKnee, serviceKnee, sloLimits, stagePoints } from "../../apps/capacity/knee";
import type { StageResult } from "../../apps/loadtest/result";
import { MIB, stage } from "./builders";

const PROD = { latencyThresholdSeconds: 0.5, errorBudget: 0.001 };

describe("knee detection", () => {
  test("the knee is the last stage within the SLO before the first miss: 100, 200 pass, 300 has p99 0.75 s → 200", () => {
    const stages = [
      stage("s1", { order: { rps: 100, p99Seconds: 0.1 } }),
      stage("s2", { order: { rps: 200, p99Seconds: 0.25 } }),
      stage("s3", { order: { rps: 300, p99Seconds: 0.75 } }),
    ];
    const knee = serviceKnee(stages, "order", PROD);
    expect(knee).toMatchObject({ kind: "found", rps: 200, stage: "s2", perReplicaRps: 200 });
    expect(knee.kind === "found" && knee.firstMiss).toMatchObject({ stage: "s3", misses: ["p99 0.75 s > 0.5 s"] });
  });

  test("a p99 bucket bound equal to the threshold is within the SLO (≤), the next bucket is not", () => {
    const stages = [
      stage("s1", { order: { rps: 100, p99Seconds: 0.5 } }),
      stage("s2", { order: { rps: 200, p99Seconds: 0.75 } }),
    ];
    expect(serviceKnee(stages, "order", PROD)).toMatchObject({ kind: "found", rps: 100 });
  });

  test("5xx: 1 in 1,000 (exactly the 0.1 % budget) passes, 3 in 2,000 (0.15 %) misses", () => {
    const stages = [
      stage("s1", { order: { rps: 100, errors5xx: 1 } }),
      stage("s2", { order: { rps: 200, errors5xx: 3 } }),
    ];
    const knee = serviceKnee(stages, "order", sloLimits({ latencyThresholdSeconds: 0.5, availability: 0.999 }));
    expect(knee).toMatchObject({ kind: "found", rps: 100 });
    expect(knee.kind === "found" && knee.firstMiss.misses).toEqual(["5xx 0.15 % > budget 0.1 %"]);
  });

  test("the same stages judged against a 1 % budget (dev) pass both: the knee depends on the SLO", () => {
    const stages = [
      stage("s1", { order: { rps: 100, errors5xx: 1 } }),
      stage("s2", { order: { rps: 200, errors5xx: 3 } }),
    ];
    expect(serviceKnee(stages, "order", { latencyThresholdSeconds: 0.5, errorBudget: 0.01 })).toMatchObject({
      kind: "not-reached",
      rps: 200,
    });
  });

  test("no stage within the SLO: no knee, and the lowest stage's misses say why", () => {
    const stages = [
      stage("s1", { order: { rps: 50, p99Seconds: 1 } }),
      stage("s2", { order: { rps: 100, p99Seconds: 2.5 } }),
    ];
    const knee = serviceKnee(stages, "order", PROD);
    expect(knee.kind).toBe("none");
    expect(knee.kind === "none" && knee.firstMiss).toMatchObject({ stage: "s1", rps: 50, misses: ["p99 1 s > 0.5 s"] });
  });

  test("every stage within the SLO: not reached, at least the highest tested rate", () => {
    const stages = [stage("s1", { product: { rps: 400 } }), stage("s2", { product: { rps: 1_200 } })];
    expect(serviceKnee(stages, "product", PROD)).toMatchObject({ kind: "not-reached", rps: 1_200, stage: "s2" });
  });

  test("a pass above the first miss is not capacity: 100 pass, 200 miss, 300 pass → knee 100, s3 listed as ignored", () => {
    const stages = [
      stage("s1", { order: { rps: 100 } }),
      stage("s2", { order: { rps: 200, p99Seconds: 1 } }),
      stage("s3", { order: { rps: 300 } }),
    ];
    expect(serviceKnee(stages, "order", PROD)).toMatchObject({ kind: "found", rps: 100, ignoredPasses: ["s3"] });
  });

  test("stages are ordered by the service's own rate, not by file order or the offered rate", () => {
    // product serves two requests per order: its rates are 2× order's; the file lists the stages backwards
    const stages = [
      stage("high", { order: { rps: 300 }, product: { rps: 600, p99Seconds: 1 } }),
      stage("low", { order: { rps: 100 }, product: { rps: 200 } }),
      stage("mid", { order: { rps: 200 }, product: { rps: 400 } }),
    ];
    expect(stagePoints(stages, "product", PROD).map((p) => p.rps)).toEqual([200, 400, 600]);
    expect(serviceKnee(stages, "product", PROD)).toMatchObject({ kind: "found", rps: 400, stage: "mid" });
  });

  test("per replica, CPU and memory at the knee: 400 req/s on 2 processes is 200 each, RSS 200 MiB is 100 MiB each", () => {
    const stages = [
      stage("s1", {
        user: {
          rps: 400,
          processes: 2,
          requests: 4_000,
          cpuSeconds: 8,
          cpuSecondsPerRequest: 0.002,
          rssBytes: 200 * MIB,
        },
      }),
    ];
    expect(serviceKnee(stages, "user", PROD)).toMatchObject({
      kind: "not-reached",
      rps: 400,
      processes: 2,
      perReplicaRps: 200,
      cpuSecondsPerRequest: 0.002,
      rssBytesPerProcess: 100 * MIB,
    });
  });

  test("a service absent from every stage, or with no requests, has no data", () => {
    const stages = [stage("s1", { order: { rps: 100 }, user: { rps: 0, requests: 0, p99Seconds: null } })];
    expect(serviceKnee(stages, "product", PROD)).toEqual({ kind: "no-data" });
    expect(serviceKnee(stages, "user", PROD)).toEqual({ kind: "no-data" });
    expect(findKnee([])).toEqual({ kind: "no-data" });
  });

  test("the error budget is 1 − availability, exactly: at 90 % availability 1 error in 10 is within it", () => {
    expect(sloLimits({ latencyThresholdSeconds: 0.25, availability: 0.995 })).toEqual({
      latencyThresholdSeconds: 0.25,
      errorBudget: 0.005,
    });
    const limits = sloLimits({ latencyThresholdSeconds: 0.5, availability: 0.9 });
    expect(serviceKnee([stage("s1", { order: { rps: 1, errors5xx: 1 } })], "order", limits).kind).toBe("not-reached");
  });
});

describe("under a CPU quota the client's latency counts (requests queue while the service is throttled)", () => {
  const slow = (p99Us: number) => ({ count: 100, p50: 2_000, p90: 4_000, p99: p99Us, max: p99Us, errors: 0 });
  // order's own histogram stays at 0.05 s in every stage; the client saw 1.2 s on GET /orders/:id at 300
  const stages = [
    stage("s1", { order: { rps: 100 }, product: { rps: 200 } }),
    stage("s2", { order: { rps: 200 }, product: { rps: 400 } }, { byEndpoint: { "GET /orders/:id": slow(400_000) } }),
    stage(
      "s3",
      { order: { rps: 300 }, product: { rps: 600 } },
      { byEndpoint: { "GET /orders/:id": slow(1_200_000), "GET /products": slow(100_000) } },
    ),
  ];
  const limits = sloLimits({ latencyThresholdSeconds: 0.5, availability: 0.99 });

  test("clientP99Seconds: the slowest p99 among the requests sent to that service directly", () => {
    expect(clientP99Seconds(stages[2] as StageResult, "order")).toEqual({ kind: "GET /orders/:id", seconds: 1.2 });
    expect(clientP99Seconds(stages[2] as StageResult, "product")).toEqual({ kind: "GET /products", seconds: 0.1 });
    expect(clientP99Seconds(stages[2] as StageResult, "user")).toBeUndefined();
  });

  test("with clientSide, order's knee is 200 req/s (1.2 s at 300); without it the knee is not reached", () => {
    const quota = findKnee(stagePoints(stages, "order", limits, true));
    expect(quota).toMatchObject({ kind: "found", rps: 200 });
    if (quota.kind === "found")
      expect(quota.firstMiss.misses).toEqual(["client p99 1.200 s > 0.5 s (GET /orders/:id)"]);
    expect(findKnee(stagePoints(stages, "order", limits))).toMatchObject({ kind: "not-reached", rps: 300 });
    // product's client latency stayed under 0.5 s: its knee is not reached either way
    expect(findKnee(stagePoints(stages, "product", limits, true))).toMatchObject({ kind: "not-reached", rps: 600 });
  });
});
