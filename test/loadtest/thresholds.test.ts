import type { ServiceStage } from "../../apps/loadtest/result";
import { evaluateStage, runPassed, type StageMeasurements, thresholdsFor } from "../../apps/loadtest/thresholds";
import { loadStackConfig } from "../../infra/config/stack-file";

const T = { p99Seconds: 0.5, errorRatio: 0.01 };

function service(overrides: Partial<ServiceStage> = {}): ServiceStage {
  return {
    processes: 1,
    requests: 1_000,
    requestsPerSecond: 100,
    errors5xx: 0,
    p99Seconds: 0.1,
    fastShare: 1,
    cpuSeconds: 1,
    cpuSecondsPerRequest: 0.001,
    rssBytes: 1,
    activeSeries: 1,
    logBytesPerRequest: 1,
    ...overrides,
  };
}

function stage(overrides: Partial<StageMeasurements> = {}): StageMeasurements {
  return {
    sent: 100,
    errors: 0,
    latencyUs: { count: 100, p50: 1_000, p90: 2_000, p99: 3_000, max: 4_000 },
    services: { order: service() },
    ...overrides,
  };
}
const p99 = (us: number) => ({ count: 100, p50: 1, p90: 1, p99: us, max: us });

describe("thresholds from a stack's SLO", () => {
  test("p99 limit is the latency threshold; the error ratio is 1 − availability, without float noise", () => {
    expect(thresholdsFor(loadStackConfig("dev").slo)).toEqual({ p99Seconds: 0.5, errorRatio: 0.01 });
    expect(thresholdsFor(loadStackConfig("staging").slo)).toEqual({ p99Seconds: 0.5, errorRatio: 0.005 });
    expect(thresholdsFor(loadStackConfig("prod").slo)).toEqual({ p99Seconds: 0.5, errorRatio: 0.001 });
  });
});

describe("a stage against the thresholds", () => {
  test("a healthy stage passes", () => {
    expect(evaluateStage(stage(), T)).toEqual([]);
  });

  test("client p99 exactly at the threshold passes; a microsecond over fails, said to be the client's", () => {
    expect(evaluateStage(stage({ latencyUs: p99(500_000) }), T)).toEqual([]);
    expect(evaluateStage(stage({ latencyUs: p99(500_001) }), T)).toEqual(["client: p99 500 ms > 500 ms"]);
    expect(evaluateStage(stage({ latencyUs: p99(612_340) }), T)).toEqual(["client: p99 612.3 ms > 500 ms"]);
  });

  test("client error ratio exactly at the budget passes; one error more fails", () => {
    expect(evaluateStage(stage({ sent: 200, errors: 2 }), T)).toEqual([]);
    expect(evaluateStage(stage({ sent: 200, errors: 3 }), T)).toEqual([
      "client: error ratio 1.50 % > 1.00 % (3 of 200 requests)",
    ]);
  });

  test("a service's p99 bucket bound equal to the threshold passes; the next bucket fails, naming the service", () => {
    expect(evaluateStage(stage({ services: { product: service({ p99Seconds: 0.5 }) } }), T)).toEqual([]);
    expect(evaluateStage(stage({ services: { product: service({ p99Seconds: 0.75 }) } }), T)).toEqual([
      "product (its /metrics): p99 in the bucket up to 750 ms, > 500 ms",
    ]);
  });

  test("a service's 5xx ratio at the budget passes, above it fails", () => {
    expect(evaluateStage(stage({ services: { user: service({ requests: 1_000, errors5xx: 10 }) } }), T)).toEqual([]);
    expect(evaluateStage(stage({ services: { user: service({ requests: 1_000, errors5xx: 11 }) } }), T)).toEqual([
      "user (its /metrics): 5xx ratio 1.10 % > 1.00 % (11 of 1000)",
    ]);
  });

  test("a p99 beyond the largest bucket fails; a service without requests (null p99) does not", () => {
    const services = { order: service({ p99Seconds: null }), user: service({ requests: 0, p99Seconds: null }) };
    expect(evaluateStage(stage({ services, p99AboveBuckets: ["order"] }), T)).toEqual([
      "order (its /metrics): p99 beyond the largest finite bucket, > 500 ms",
    ]);
    expect(evaluateStage(stage({ services }), T)).toEqual([]);
  });

  test("nothing answered fails; every broken threshold is listed", () => {
    const failures = evaluateStage(
      stage({
        sent: 10,
        errors: 10,
        latencyUs: { count: 0, p50: 0, p90: 0, p99: 0, max: 0 },
        services: { order: service({ p99Seconds: 1, errors5xx: 500 }) },
      }),
      T,
    );
    expect(failures).toEqual([
      "client: no request was answered",
      "client: error ratio 100.00 % > 1.00 % (10 of 10 requests)",
      "order (its /metrics): p99 in the bucket up to 1000 ms, > 500 ms",
      "order (its /metrics): 5xx ratio 50.00 % > 1.00 % (500 of 1000)",
    ]);
  });
});

describe("the run's verdict", () => {
  const pass = { passed: true };
  const fail = { passed: false };

  test("stress passes when its first stage held (the breaking stage that ends it is expected)", () => {
    expect(runPassed([pass, pass, fail], true)).toBe(true);
    expect(runPassed([pass, pass, pass], true)).toBe(true);
    expect(runPassed([fail], true)).toBe(false);
  });

  test("every other scenario needs every stage to pass", () => {
    expect(runPassed([pass, pass], false)).toBe(true);
    expect(runPassed([pass, fail, pass], false)).toBe(false);
    expect(runPassed([], false)).toBe(false);
  });
});
