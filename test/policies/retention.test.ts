import { loadPolicyConfig } from "../../policies/harness";
import { chart, evaluate, of } from "./support";

const prod = loadPolicyConfig("prod");
const dev = loadPolicyConfig("dev");
const inDays = (d: number) => `${d}d`;

const kps = (spec: Record<string, unknown>) =>
  chart("kube-prometheus-stack", { prometheus: { prometheusSpec: spec } }, "kps");
const goodSpec = {
  retention: inDays(prod["prometheus-retention"].minDays),
  retentionSize: "10GB",
  storageSpec: { volumeClaimTemplate: { spec: {} } },
};

describe("prometheus-retention", () => {
  test("passes the chart values and a rendered Prometheus within bounds", async () => {
    const rendered = {
      type: "kubernetes:monitoring.coreos.com/v1:Prometheus",
      name: "kps-prometheus",
      inputs: { spec: { retention: "30d", retentionSize: "10GB", storage: { volumeClaimTemplate: {} } } },
    };
    expect(of(await evaluate([kps(goodSpec), rendered]), "prometheus-retention")).toEqual([]);
  });

  test("fails retention outside bounds, missing retentionSize and storage in prod", async () => {
    const max = prod["prometheus-retention"].maxDays;
    const v = await evaluate([kps({ retention: inDays(max + 1) }), kps({ retention: undefined })]);
    expect(of(v, "prometheus-retention")).toEqual([
      expect.stringContaining(`is outside ${prod["prometheus-retention"].minDays}-${max} days`),
      expect.stringContaining("retentionSize is not set"),
      expect.stringContaining("no persistent storage"),
      expect.stringContaining("retention is not set"),
      expect.stringContaining("retentionSize is not set"),
      expect.stringContaining("no persistent storage"),
    ]);
  });

  test("dev does not require persistent storage", async () => {
    const v = await evaluate([kps({ retention: "3d", retentionSize: "4GB" })], "dev");
    expect(of(v, "prometheus-retention")).toEqual([]);
  });
});

const loki = (compactor: unknown, period: unknown) =>
  chart("loki", { loki: { compactor, limits_config: { retention_period: period } } });

describe("loki-retention", () => {
  const { minDays, maxDays } = prod["loki-retention"];
  test("passes retention enabled within bounds (hours or days)", async () => {
    const v = await evaluate([
      loki({ retention_enabled: true }, `${minDays * 24}h`),
      loki({ retention_enabled: true }, `${maxDays}d`),
    ]);
    expect(of(v, "loki-retention")).toEqual([]);
  });

  test("fails retention disabled, 0s (forever) and out of bounds", async () => {
    const v = await evaluate([loki({}, "0s"), loki({ retention_enabled: true }, `${maxDays + 1}d`)]);
    expect(of(v, "loki-retention")).toEqual([
      expect.stringContaining("retention_enabled is not true"),
      expect.stringContaining("retention_period 0s is outside"),
      expect.stringContaining(`retention_period ${maxDays + 1}d is outside`),
    ]);
  });
});

const jaeger = (backend: unknown) =>
  chart("jaeger", { userconfig: { extensions: { jaeger_storage: { backends: { primary_store: backend } } } } });

describe("jaeger-retention", () => {
  const { maxHours, maxTracesInMemory } = prod["jaeger-retention"];
  test("passes persistent badger within bounds in prod and bounded memory in dev", async () => {
    expect(
      of(
        await evaluate([jaeger({ badger: { ephemeral: false, ttl: { spans: `${maxHours}h` } } })]),
        "jaeger-retention",
      ),
    ).toEqual([]);
    const memory = jaeger({ memory: { max_traces: dev["jaeger-retention"].maxTracesInMemory } });
    expect(of(await evaluate([memory], "dev"), "jaeger-retention")).toEqual([]);
  });

  test("fails ephemeral badger, a long TTL, memory in prod and unbounded memory", async () => {
    const v = await evaluate([
      jaeger({ badger: { ephemeral: true, ttl: { spans: `${maxHours + 1}h` } } }),
      jaeger({ memory: { max_traces: maxTracesInMemory + 1 } }),
      chart("jaeger", {}),
    ]);
    expect(of(v, "jaeger-retention")).toEqual([
      expect.stringContaining("badger.ephemeral is not false"),
      expect.stringContaining(`ttl.spans ${maxHours + 1}h is outside`),
      expect.stringContaining("in-memory storage where persistence is required"),
      expect.stringContaining(`max_traces ${maxTracesInMemory + 1} must be`),
      expect.stringContaining("no storage backend"),
    ]);
  });
});

describe("cloudwatch-log-retention", () => {
  const group = (retentionInDays?: number) => ({
    type: "aws:cloudwatch/logGroup:LogGroup",
    name: `g${retentionInDays}`,
    inputs: { retentionInDays },
  });
  test("passes within bounds, fails absent, 0 (forever) and above max", async () => {
    const { minDays, maxDays } = prod["cloudwatch-log-retention"];
    const v = await evaluate([group(minDays), group(undefined), group(0), group(maxDays + 1)]);
    expect(of(v, "cloudwatch-log-retention")).toEqual([
      "aws:cloudwatch/logGroup:LogGroup::gundefined: retentionInDays is not set: logs are kept forever",
      "aws:cloudwatch/logGroup:LogGroup::g0: retentionInDays is not set: logs are kept forever",
      expect.stringContaining(`retentionInDays ${maxDays + 1} is outside`),
    ]);
  });
});

describe("s3-telemetry-expiration", () => {
  const bucket = { type: "aws:s3/bucket:Bucket", name: "logs", inputs: {} };
  const lifecycle = (name: string, inputs: Record<string, unknown>) => ({
    type: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    name,
    inputs,
  });
  const rules = [{ id: "x", status: "Enabled", expiration: { days: 31 } }];

  test("links the lifecycle by mocked id or by name prefix", async () => {
    expect(
      of(await evaluate([bucket, lifecycle("other", { bucket: "logs-id", rules })]), "s3-telemetry-expiration"),
    ).toEqual([]);
    expect(
      of(await evaluate([bucket, lifecycle("logs-expiry", { bucket: "?", rules })]), "s3-telemetry-expiration"),
    ).toEqual([]);
  });

  test("fails a bucket without lifecycle or with a disabled rule", async () => {
    const disabled = [{ ...rules[0], status: "Disabled" }];
    expect(of(await evaluate([bucket]), "s3-telemetry-expiration")).toEqual([
      "aws:s3/bucket:Bucket::logs: bucket logs has no enabled lifecycle rule with expiration",
    ]);
    expect(
      of(await evaluate([bucket, lifecycle("logs-expiry", { rules: disabled })]), "s3-telemetry-expiration"),
    ).toHaveLength(1);
  });
});
