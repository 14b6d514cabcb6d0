import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../infra/config/schema";
import { stackConfigFile } from "../../infra/preflight/collect";
import { devConfig, problemsOf } from "./config-problems";
import { runStack } from "./support";

describe("stack config validation", () => {
  test("the three stack files are valid", () => {
    for (const stack of ["dev", "staging", "prod"]) {
      expect(() =>
        parseStackConfig(JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string)),
      ).not.toThrow();
    }
  });

  test.each([
    ["an unknown environment", (c: any) => (c.environment = "qa"), "environment: must be one of: dev, staging, prod"],
    ["an unknown key", (c: any) => (c.retention = 3), 'Unrecognized key: "retention"'],
    ["a negative retention", (c: any) => (c.logs.retentionDays = -1), "logs.retentionDays:"],
    [
      "a retention size above the volume",
      (c: any) => (c.metrics.retentionSizeGi = 10),
      "metrics.retentionSizeGi: retentionSizeGi must be below storageGi",
    ],
    [
      "the latest tag",
      (c: any) => (c.images.tag = "latest"),
      'images.tag: must be an immutable tag (a version or commit), not "latest"',
    ],
    ["a bad team label", (c: any) => (c.team = "Platform Team"), "team: must be a Kubernetes label value"],
    ["a sampling percentage over 100", (c: any) => (c.traces.samplingPercentage = 150), "traces.samplingPercentage:"],
    ["maxReplicas below replicas", (c: any) => (c.services.order.maxReplicas = 0), "services.order.maxReplicas:"],
    [
      "a bad memory quantity",
      (c: any) => (c.services.user.resources.memoryLimit = "1GB"),
      "services.user.resources.memoryLimit: must be a memory quantity",
    ],
    [
      "AWS without a region",
      (c: any) => (c.aws = { enabled: true }),
      "aws.region: is required when enabled: the provider and every endpoint are regional",
    ],
    [
      "non-persistent storage in prod",
      (c: any) => {
        c.environment = "prod";
        c.storage.persistent = false;
      },
      "storage.persistent: must be true in prod",
    ],
    [
      "an unknown log level",
      (c: any) => (c.logs.level = "verbose"),
      "logs.level: must be one of: error, warn, info, debug",
    ],
    [
      "sampleAccessLogs that is not a boolean",
      (c: any) => (c.logs.sampleAccessLogs = "yes"),
      "logs.sampleAccessLogs: must be true or false",
    ],
    [
      "an uncompressed chunk encoding",
      (c: any) => (c.logs.chunks.encoding = "none"),
      "logs.chunks.encoding: must be one of: snappy, gzip, lz4-64k, lz4-256k, lz4-1M, zstd, flate",
    ],
    [
      "a chunk target size below 256 KiB",
      (c: any) => (c.logs.chunks.targetSizeBytes = 1024),
      "logs.chunks.targetSizeBytes: must be an integer from 262144 to 16777216",
    ],
    [
      "a max chunk age in days (not a Go duration)",
      (c: any) => (c.logs.chunks.maxChunkAge = "1d"),
      'logs.chunks.maxChunkAge: must be a duration from 30m to 2h such as "1h30m"',
    ],
    [
      "a max chunk age above 2h",
      (c: any) => (c.logs.chunks.maxChunkAge = "6h"),
      "logs.chunks.maxChunkAge: must be a duration from 30m to 2h",
    ],
    [
      "an idle period below 5m",
      (c: any) => (c.logs.chunks.idlePeriod = "30s"),
      "logs.chunks.idlePeriod: must be a duration from 5m to 2h",
    ],
    [
      "an idle period longer than the max chunk age",
      (c: any) => {
        c.logs.chunks.maxChunkAge = "1h";
        c.logs.chunks.idlePeriod = "90m";
      },
      "logs.chunks.idlePeriod: idlePeriod must not exceed maxChunkAge",
    ],
    [
      "an unknown chunk key",
      (c: any) => (c.logs.chunks.compression = "zstd"),
      'logs.chunks: Unrecognized key: "compression"',
    ],
  ])("%s is refused with a message naming the key", (_case, edit, message) => {
    const problems = problemsOf(edit);
    expect(problems.join("\n")).toContain(message);
  });

  test("a bad max chunk age is reported once, not again as an idle period above it", () => {
    expect(problemsOf((c) => (c.logs.chunks.maxChunkAge = "1d"))).toEqual([
      'logs.chunks.maxChunkAge: must be a duration from 30m to 2h such as "1h30m" (units h, m, s)',
    ]);
  });

  test("logs without the new keys: level info, every access line, snappy chunks at Loki's default sizes", () => {
    const config = devConfig();
    config.logs = { retentionDays: 3, storageGi: 5 };
    expect(parseStackConfig(config).logs).toEqual({
      retentionDays: 3,
      storageGi: 5,
      level: "info",
      sampleAccessLogs: false,
      chunks: { encoding: "snappy", targetSizeBytes: 1_572_864, maxChunkAge: "2h", idlePeriod: "30m" },
    });
  });

  test.each([
    ["dev", false, "snappy"],
    ["staging", true, "zstd"],
    ["prod", true, "zstd"],
  ] as const)("%s states its log settings explicitly: sampling %s, %s chunks", (stack, sampling, encoding) => {
    const raw = JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string);
    expect(raw.logs).toMatchObject({
      level: "info",
      sampleAccessLogs: sampling,
      chunks: {
        encoding,
        targetSizeBytes: expect.any(Number),
        maxChunkAge: expect.any(String),
        idlePeriod: expect.any(String),
      },
    });
  });

  test("the program refuses a bad config with Pulumi's RunError (printed without a stack trace)", async () => {
    const error = await runStack("dev", (c) => (c.images = { ...(c.images as object), tag: "latest" })).catch(
      (err: Error) => err,
    );
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("images.tag: must be an immutable tag");
  });
});
