import { describeProjection, storageProjections } from "../../infra/capacity/projections";
import { GIB, keptShare } from "../../infra/capacity/sizing";
import { parseStackConfig, type StackConfig } from "../../infra/config/schema";
import { stackConfigFile } from "../../infra/preflight/collect";

const raw = (stack: string) => JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string);
const configOf = (stack: string, edit: (c: Record<string, any>) => void = () => {}): StackConfig => {
  const c = raw(stack);
  edit(c);
  return parseStackConfig(c);
};
const projection = (config: StackConfig, signal: string) => storageProjections(config).find((p) => p.signal === signal);

describe("keptShare", () => {
  test("10 % sampled plus the error (0.1 %) and latency (1 %) budgets kept in full is 11.1 %", () => {
    expect(keptShare(10, { availability: 0.999, latency: 0.99 })).toBeCloseTo(0.111, 12);
  });

  test("never exceeds every request", () => {
    expect(keptShare(100, { availability: 0.99, latency: 0.95 })).toBe(1);
  });
});

describe("storage projections from a stack config", () => {
  test("dev metrics: (50,000 + 300 × 6 max replicas) series every 15 s for 3 days at 2.6 B/sample is 2,327,270,400 B", () => {
    const p = projection(configOf("dev"), "metrics");
    expect(p?.key).toBe("metrics.retentionSizeGi");
    expect(p?.inputs.activeSeries).toBe(51_800);
    expect((p?.neededGi ?? 0) * GIB).toBeCloseTo(2_327_270_400, 0);
    expect([p?.configuredGi, p?.ok]).toEqual([4, true]);
  });

  test("dev logs: 5 req/s × 1,100 B + 1,000 B/s of platform lines, 3 days, snappy 4×, + 20 % is 505,440,000 B", () => {
    const p = projection(configOf("dev"), "logs");
    expect(p?.inputs).toMatchObject({
      averageRps: 5,
      encoding: "snappy",
      compressionRatio: 4,
      "share of lines written": 1,
    });
    expect((p?.neededGi ?? 0) * GIB).toBeCloseTo(505_440_000, 0);
  });

  test("sampled access logs scale the services' lines by the kept share, not the platform's", () => {
    const all = projection(
      configOf("prod", (c) => (c.logs.sampleAccessLogs = false)),
      "logs",
    );
    const sampled = projection(configOf("prod"), "logs");
    const platformGi =
      projection(
        configOf("prod", (c) => (c.capacity.logBytesPerRequest = 0)),
        "logs",
      )?.neededGi ?? 0;
    expect(sampled?.inputs["share of lines written"]).toBe(0.111);
    expect((sampled?.neededGi ?? 0) - platformGi).toBeCloseTo(((all?.neededGi ?? 0) - platformGi) * 0.111, 9);
  });

  test("zstd is projected smaller than snappy for the same lines", () => {
    const zstd = projection(configOf("prod"), "logs")?.neededGi ?? 0;
    const snappy =
      projection(
        configOf("prod", (c) => (c.logs.chunks.encoding = "snappy")),
        "logs",
      )?.neededGi ?? 0;
    expect(snappy / zstd).toBeCloseTo(7 / 4, 9);
  });

  test("prod traces: 100 req/s × 7 spans × 11.1 % kept × 2,400 B × 1.5 for 168 h is 169,174,656,000 B", () => {
    const p = projection(configOf("prod"), "traces");
    expect(p?.key).toBe("traces.storageGi");
    expect((p?.neededGi ?? 0) * GIB).toBeCloseTo(169_174_656_000, -1);
  });

  test("traces are projected only where Jaeger stores them on disk (not dev's in-memory store)", () => {
    expect(storageProjections(configOf("dev")).map((p) => p.signal)).toEqual(["metrics", "logs"]);
    expect(storageProjections(configOf("staging")).map((p) => p.signal)).toEqual(["metrics", "logs", "traces"]);
  });

  test("more HPA headroom means more projected series", () => {
    const before = projection(configOf("prod"), "metrics")?.inputs.activeSeries as number;
    const after = projection(
      configOf("prod", (c) => {
        c.services.order.maxReplicas = 20;
        // the responder's raise cap must stay above every maxReplicas
        c.responder = { ...c.responder, raise: { ...c.responder?.raise, maxReplicasCap: 30 } };
      }),
      "metrics",
    )?.inputs.activeSeries as number;
    expect(after - before).toBe(10 * 300);
  });

  test("the committed stacks fit their projections", () => {
    for (const stack of ["dev", "staging", "prod"]) {
      expect(
        storageProjections(configOf(stack))
          .filter((p) => !p.ok)
          .map(describeProjection),
      ).toEqual([]);
    }
  });

  test("describeProjection names the key, both sizes and the inputs", () => {
    const p = projection(configOf("dev"), "logs");
    expect(describeProjection(p as never)).toBe(
      "logs.storageGi = 5 Gi, projected 0.47 Gi for logs (averageRps=5, logBytesPerRequest=1100, share of lines written=1, platformLogBytesPerSecond=1000, retentionDays=3, encoding=snappy, compressionRatio=4)",
    );
  });
});
