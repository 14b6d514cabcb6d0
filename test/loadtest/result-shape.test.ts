import type { LoadTestResult } from "../../apps/loadtest/result";
import { resultProblems } from "./result-shape";

/** A small, valid result, typed against the contract so the check and the type cannot drift apart unnoticed. */
function valid(): LoadTestResult {
  const p = { count: 10, p50: 1_000, p90: 2_000, p99: 3_000, max: 4_000 };
  return {
    schema: 1,
    scenario: "smoke",
    target: { order: "http://127.0.0.1:3000" },
    startedAt: "2025-01-31T12:00:00.000Z",
    finishedAt: "2025-01-31T12:00:10.000Z",
    machine: { cpus: 2, cpuModel: "cpu", memoryGiB: 4, node: "v24.0.0" },
    slo: { stack: "dev", latencyThresholdSeconds: 0.5, availability: 0.99, latency: 0.95 },
    thresholds: { p99Seconds: 0.5, errorRatio: 0.01 },
    stages: [
      {
        name: "smoke",
        targetRps: 2,
        durationS: 5,
        sent: 10,
        answered: 10,
        errors: 0,
        expectedClientErrors: 1,
        achievedRps: 2,
        latencyUs: p,
        byEndpoint: { "POST /orders": { ...p, errors: 0 } },
        services: {
          order: {
            processes: 1,
            requests: 10,
            requestsPerSecond: 2,
            errors5xx: 0,
            p99Seconds: 0.05,
            fastShare: 1,
            cpuSeconds: 0.1,
            cpuSecondsPerRequest: 0.01,
            rssBytes: 1,
            activeSeries: 100,
            logBytesPerRequest: null,
          },
        },
        passed: true,
        failures: [],
      },
    ],
    memory: [{ atS: 0, service: "order", rssBytes: 1 }],
    passed: true,
  };
}

describe("the result-file check used by the live tests", () => {
  test("accepts a valid result (optional fields absent)", () => {
    expect(resultProblems(valid())).toEqual([]);
  });

  test("names a missing field, an extra field, a wrong type, a NaN turned null, and an unknown service", () => {
    const r = valid() as any;
    delete r.stages[0].achievedRps;
    r.stages[0].services.order.extra = 1;
    r.stages[0].passed = "yes";
    r.stages[0].latencyUs.p99 = null;
    r.stages[0].services.billing = r.stages[0].services.order;
    r.memory[0].service = "billing";
    expect(resultProblems(r)).toEqual(
      expect.arrayContaining([
        "result.stages[0].achievedRps: missing",
        "result.stages[0].services.order.extra: not in the contract",
        'result.stages[0].passed: expected a boolean, got "yes"',
        "result.stages[0].latencyUs.p99: expected a finite number, got null",
        "result.stages[0].services.billing: not a key of the contract (order, product, user)",
        "result.memory[0].service: not a service name",
      ]),
    );
  });
});
