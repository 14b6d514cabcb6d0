import { parseStackConfig } from "../../infra/config/schema";
import { loadStackConfig, stackConfigFile } from "../../infra/config/stack-file";
import { awsOnWithIrsa } from "../support/aws";

const rawPlatform = (stack: string) =>
  JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string) as Record<string, unknown>;

describe("stack config scale and distributed", () => {
  test("dev and staging run single, prod distributed with its object store and remote write", () => {
    expect(loadStackConfig("dev").scale).toBe("single");
    expect(loadStackConfig("staging").scale).toBe("single");
    const prod = loadStackConfig("prod");
    expect(prod.scale).toBe("distributed");
    expect(prod.distributed.loki.objectStore?.bucket).toBe("obs-prod-loki");
    expect(prod.distributed.prometheus.remoteWrite).toEqual({
      kind: "url",
      url: "https://metrics.internal.example.com/api/v1/push",
      auth: "basic",
    });
  });

  test("the distributed defaults fill every tier when the block is absent", () => {
    const c = loadStackConfig("dev").distributed;
    expect(c.collector).toEqual({
      gateway: { replicas: 2, maxReplicas: 6, cpuTargetPercent: 70 },
      sampler: { replicas: 3 },
    });
    expect(c.loki).toEqual({ read: 3, write: 3, backend: 3, replicationFactor: 3 });
    expect(c.jaeger.opensearch).toEqual({ nodes: 3, storageGi: 100, instanceType: "r6g.large.search" });
    expect(c.prometheus).toEqual({ replicas: 2, keepOnlyUsedMetrics: false });
  });

  test("distributed without AWS needs an object store for Loki, named by its key", () => {
    const p = rawPlatform("prod");
    delete (p.distributed as { loki: Record<string, unknown> }).loki.objectStore;
    expect(() => parseStackConfig(p)).toThrow(/distributed\.loki\.objectStore: is required with scale distributed/);
    // with AWS on, the stack's own bucket serves
    expect(parseStackConfig({ ...p, aws: awsOnWithIrsa() }).scale).toBe("distributed");
  });

  test("bad values are refused naming the key and what is allowed", () => {
    const p = rawPlatform("prod");
    p.scale = "huge";
    (p.distributed as Record<string, Record<string, unknown>>).loki = { write: 2, replicationFactor: 3 };
    (p.distributed as Record<string, Record<string, unknown>>).prometheus = { remoteWrite: { kind: "amp" } };
    const message = (() => {
      try {
        parseStackConfig(p);
        return "";
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(message).toContain("scale: must be one of: single, distributed");
    expect(message).toContain("distributed.loki.write: must be an integer from 3 to 20");
  });

  test("replication above the write replicas, and AMP without AWS, are refused", () => {
    const p = rawPlatform("prod");
    (p.distributed as Record<string, Record<string, unknown>>).loki = {
      write: 3,
      replicationFactor: 4,
      objectStore: { endpoint: "https://s3.example.com", bucket: "b-1" },
    };
    expect(() => parseStackConfig(p)).toThrow(/distributed\.loki\.replicationFactor: must not exceed loki\.write/);
    const q = rawPlatform("prod");
    (q.distributed as Record<string, Record<string, unknown>>).prometheus = { remoteWrite: { kind: "amp" } };
    expect(() => parseStackConfig(q)).toThrow(
      /distributed\.prometheus\.remoteWrite\.kind: is "amp".*needs aws\.enabled/,
    );
  });
});
