import { GIB } from "../../infra/capacity/sizing";
import {
  cpuCores,
  describeTier,
  LOKI_BYTES_PER_WRITE_REPLICA,
  type Tier,
  tierCapacity,
  tierFindings,
} from "../../infra/capacity/tiers";
import { parseStackConfig, type StackConfig } from "../../infra/config/schema";
import { stackConfigFile } from "../../infra/preflight/collect";

const raw = (stack: string) => JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string);
/** prod's stack config with its collector and OpenSearch sizes pinned here, so the hand-computed numbers do not follow the stack file. */
const prodWith = (edit: (c: Record<string, any>) => void = () => {}): StackConfig => {
  const c = raw("prod");
  c.distributed.collector = { gateway: { replicas: 2, maxReplicas: 6 }, sampler: { replicas: 3 } };
  c.distributed.jaeger = { opensearch: { nodes: 3, storageGi: 100 } };
  edit(c);
  return parseStackConfig(c);
};
const tierOf = (config: StackConfig, tier: Tier) => {
  const t = tierCapacity(config).find((x) => x.tier === tier);
  if (!t) throw new Error(`no tier ${tier}`);
  return t;
};

describe("collector tiers: spans/s per core from Splunk's collector sizing", () => {
  test("gateway: 6 max replicas × 15,000 spans/s = 90,000 against 200 req/s × 7 spans = 1,400 (1,820 with 30 % headroom)", () => {
    const t = tierOf(prodWith(), "collector gateway");
    expect([t.replicas, t.perReplica, t.capacity, t.load, t.loadWithHeadroom, t.verdict]).toEqual([
      6,
      15_000,
      90_000,
      1_400,
      1_820,
      "ok",
    ]);
  });

  test("a 2-core gateway limit doubles the per-replica figure; a sampler with only a 500m request gets half of 7,500", () => {
    const config = prodWith((c) => {
      c.distributed.collector.gateway.resources = {
        cpuRequest: "1",
        cpuLimit: "2",
        memoryRequest: "512Mi",
        memoryLimit: "1Gi",
      };
      c.distributed.collector.sampler.resources = { cpuRequest: "500m", memoryRequest: "1Gi", memoryLimit: "2Gi" };
    });
    expect(tierOf(config, "collector gateway").perReplica).toBe(30_000);
    expect(tierOf(config, "collector sampler").perReplica).toBe(3_750);
  });

  test("samplers covering the peak but not its headroom say no-headroom; below the peak, undersized", () => {
    const tight = prodWith((c) => {
      c.distributed.collector.sampler = {
        replicas: 2,
        resources: { cpuRequest: "100m", memoryRequest: "1Gi", memoryLimit: "2Gi" },
      };
    });
    // 2 × 750 = 1,500 spans/s: ≥ 1,400, < 1,820
    expect([tierOf(tight, "collector sampler").capacity, tierOf(tight, "collector sampler").verdict]).toEqual([
      1_500,
      "no-headroom",
    ]);
    const short = prodWith((c) => {
      c.capacity.peakRps = 1_200; // 8,400 spans/s against 3 × 7,500 = 22,500 is fine; 2 × 750 is not
      c.distributed.collector.sampler = {
        replicas: 2,
        resources: { cpuRequest: "100m", memoryRequest: "1Gi", memoryLimit: "2Gi" },
      };
    });
    expect(tierOf(short, "collector sampler").verdict).toBe("undersized");
  });
});

describe("loki write, OpenSearch and remote write", () => {
  test("loki write: 3 TB/day over 6 ingesters is 5,787,037 B/s per replica at replication factor 3, three times that at 1", () => {
    expect(LOKI_BYTES_PER_WRITE_REPLICA).toBeCloseTo(5_787_037.04, 1);
    const rf3 = tierOf(prodWith(), "loki write");
    // 200 req/s × 1,100 B × 11.1 % of access lines kept + 5,000 B/s of the platform's own lines
    expect(rf3.load).toBeCloseTo(29_420, 6);
    expect(rf3.capacity).toBeCloseTo(17_361_111.1, 0);
    const rf1 = tierOf(
      prodWith((c) => (c.distributed.loki = { ...c.distributed.loki, replicationFactor: 1 })),
      "loki write",
    );
    expect(rf1.perReplica).toBeCloseTo(17_361_111.1, 0);
  });

  test("opensearch: 3 × 100 Gi hold 76.5 spans/s for 168 h at 2,400 B × 2 copies × 1.45, below prod's 77.7 kept spans/s", () => {
    const t = tierOf(prodWith(), "jaeger opensearch");
    const perNode = (100 * GIB) / (2_400 * 2 * 1.45) / (168 * 3_600);
    expect(t.perReplica).toBeCloseTo(perNode, 9);
    expect(t.perReplica).toBeCloseTo(25.508, 3);
    // 200 req/s × 0.5 average × 7 spans × 11.1 % kept
    expect(t.load).toBeCloseTo(77.7, 9);
    expect(t.verdict).toBe("undersized");
    const bigger = prodWith((c) => (c.distributed.jaeger = { opensearch: { nodes: 3, storageGi: 150 } }));
    expect(tierOf(bigger, "jaeger opensearch").verdict).toBe("ok");
  });

  test("remote write: the configured max shards × 2,000 samples per 0.5 s send against (200,000 + 300 × 30) series every 30 s", () => {
    const t = tierOf(prodWith(), "prometheus remote write");
    // 6,967 samples/s × 10 (catch-up) / 4,000 per shard → 18 shards
    expect([t.replicas, t.perReplica, t.capacity]).toEqual([18, 4_000, 72_000]);
    expect(t.load).toBeCloseTo(209_000 / 30, 9);
  });
});

describe("findings and text", () => {
  test("an undersized tier in a distributed stack is a finding naming the key to raise; a single stack gets none", () => {
    const prod = prodWith();
    expect(tierFindings(prod)).toEqual([
      `tier-capacity: jaeger opensearch is below its load: ${describeTier(tierOf(prod, "jaeger opensearch"))}; raise distributed.jaeger.opensearch.storageGi`,
    ]);
    const single = prodWith((c) => (c.scale = "single"));
    expect(tierCapacity(single).some((t) => t.verdict === "undersized")).toBe(true);
    expect(tierFindings(single)).toEqual([]);
  });

  test("describeTier shows replicas × per-replica = capacity, the load with and without headroom, and the verdict", () => {
    expect(describeTier(tierOf(prodWith(), "collector gateway"))).toBe(
      "collector gateway: 6 × 15,000 = 90,000 spans/s for a peak of 1,400 (1,820 with headroom): ok",
    );
  });

  test("cpuCores reads millicores and decimal cores, and names the field of a bad quantity", () => {
    expect([cpuCores("250m", "f"), cpuCores("1.5", "f"), cpuCores("2", "f")]).toEqual([0.25, 1.5, 2]);
    expect(() => cpuCores("two", "distributed.collector.gateway.resources.cpuLimit")).toThrow(
      'distributed.collector.gateway.resources.cpuLimit must be a CPU quantity such as "500m" or "1", got two',
    );
  });
});
