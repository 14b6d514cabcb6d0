import { FaultInjector, faultEnvSchema, NO_FAULTS } from "../../apps/lib/faults";

const ROUTES = ["/things", "/things/:id"];

describe("FaultInjector.decide", () => {
  test("no settings, no decision", () => {
    expect(new FaultInjector().decide("/things")).toBeUndefined();
  });

  test("an outage applies to its route only", () => {
    const faults = new FaultInjector({ ...NO_FAULTS, outageRoutes: ["/things/:id"] });
    expect(faults.decide("/things/:id")).toEqual({ delayMs: 0, failWith: { status: 503, kind: "outage" } });
    expect(faults.decide("/things")).toBeUndefined();
  });

  test("the error rate is compared with the random draw, and the chosen status is used", () => {
    const draws = [0.2, 0.9];
    const faults = new FaultInjector({ ...NO_FAULTS, errorRate: 0.5, errorStatus: 418 }, () => draws.shift() ?? 0);
    expect(faults.decide("/things")).toEqual({ delayMs: 0, failWith: { status: 418, kind: "error" } });
    expect(faults.decide("/things")).toBeUndefined();
  });

  test("latency plus jitter scales with the random draw", () => {
    const faults = new FaultInjector({ ...NO_FAULTS, latencyMs: 100, latencyJitterMs: 50 }, () => 0.5);
    expect(faults.decide("/things")).toEqual({ delayMs: 125 });
  });

  test("set() replaces the settings, and setting them off turns injection off", () => {
    const faults = new FaultInjector({ ...NO_FAULTS, errorRate: 1 });
    faults.set(NO_FAULTS);
    expect(faults.decide("/things")).toBeUndefined();
    expect(faults.current).toEqual(NO_FAULTS);
  });
});

describe("faultEnvSchema", () => {
  test("parses every FAULT_* variable", () => {
    const parsed = faultEnvSchema(ROUTES).parse({
      FAULT_ERROR_RATE: "0.25",
      FAULT_ERROR_STATUS: "503",
      FAULT_LATENCY_MS: "100",
      FAULT_LATENCY_JITTER_MS: "20",
      FAULT_OUTAGE_ROUTES: " /things , /things/:id ",
      FAULT_UNREADY: "TRUE",
    });
    expect(parsed).toEqual({
      errorRate: 0.25,
      errorStatus: 503,
      latencyMs: 100,
      latencyJitterMs: 20,
      outageRoutes: ["/things", "/things/:id"],
      unready: true,
    });
  });

  test("unset and empty variables mean off", () => {
    expect(faultEnvSchema(ROUTES).parse({ FAULT_ERROR_RATE: "" })).toEqual(NO_FAULTS);
  });

  test.each([
    ["FAULT_ERROR_RATE", "1.5"],
    ["FAULT_ERROR_RATE", "abc"],
    ["FAULT_ERROR_STATUS", "200"],
    ["FAULT_LATENCY_MS", "-1"],
    ["FAULT_LATENCY_MS", "2.5"],
    ["FAULT_OUTAGE_ROUTES", "/other"],
  ])("%s=%s is refused, naming the variable", (name, value) => {
    const result = faultEnvSchema(ROUTES).safeParse({ [name]: value });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe(name);
  });
});
