import {
  GIB,
  hpaTargetBelowKnee,
  jaegerDiskGi,
  LOKI_COMPRESSION_RATIO,
  lokiDiskGi,
  prometheusDiskGi,
  replicasNeeded,
} from "../../infra/capacity/sizing";

describe("replicasNeeded", () => {
  test("rounds a fractional need up: 100 rps + 20 % over 50 rps/replica is 2.4 → 3", () => {
    expect(replicasNeeded(100, 20, 50)).toBe(3);
  });

  test("an exact multiple does not gain a replica from float error: 100 rps + 20 % over 40 rps/replica is 3", () => {
    expect(replicasNeeded(100, 20, 40)).toBe(3);
    expect(replicasNeeded(99.9, 0, 33.3)).toBe(3);
  });

  test("just above a multiple needs one more: 1000 rps over 333 rps/replica is 3.003 → 4", () => {
    expect(replicasNeeded(1000, 0, 333)).toBe(4);
  });

  test("no traffic still needs one replica", () => {
    expect(replicasNeeded(0, 50, 100)).toBe(1);
  });

  test("a zero capacity is rejected naming the argument", () => {
    expect(() => replicasNeeded(10, 0, 0)).toThrow(/capacityPerReplicaRps must be a finite number > 0/);
    expect(() => replicasNeeded(-1, 0, 10)).toThrow(/peakRps/);
  });
});

describe("hpaTargetBelowKnee", () => {
  test("200 rps × 2 ms CPU on a 0.5-core request is 80 % at the knee: a 70 % target is below it", () => {
    const r = hpaTargetBelowKnee({
      cpuTargetPercent: 70,
      cpuSecondsPerRequest: 0.002,
      kneeRps: 200,
      cpuRequestCores: 0.5,
    });
    expect(r.utilisationAtKneePercent).toBeCloseTo(80, 9);
    expect(r.ok).toBe(true);
  });

  test("the same knee on a 1-core request is 40 %: a 70 % target would scale too late", () => {
    const r = hpaTargetBelowKnee({
      cpuTargetPercent: 70,
      cpuSecondsPerRequest: 0.002,
      kneeRps: 200,
      cpuRequestCores: 1,
    });
    expect(r.utilisationAtKneePercent).toBeCloseTo(40, 9);
    expect(r.ok).toBe(false);
  });

  test("a target equal to the knee utilisation is not below it", () => {
    expect(
      hpaTargetBelowKnee({ cpuTargetPercent: 50, cpuSecondsPerRequest: 0.01, kneeRps: 5, cpuRequestCores: 0.1 }).ok,
    ).toBe(false);
  });
});

describe("prometheusDiskGi", () => {
  test("10,000 series every 15 s for 3 days at 2 B/sample + 30 % is 449.28 MB", () => {
    // 10,000 × 5,760 samples/day × 3 days × 2 B × 1.3 = 449,280,000 B
    expect(prometheusDiskGi({ activeSeries: 10_000, scrapeIntervalS: 15, retentionDays: 3 }) * GIB).toBeCloseTo(
      449_280_000,
      0,
    );
  });

  test("explicit bytes per sample and overhead replace the defaults: 2^30 samples of 1 B is exactly 1 GiB", () => {
    // 2^30 / 86,400 series scraped once a second for one day
    expect(
      prometheusDiskGi({
        activeSeries: GIB / 86_400,
        scrapeIntervalS: 1,
        retentionDays: 1,
        bytesPerSample: 1,
        overhead: 0,
      }),
    ).toBeCloseTo(1, 12);
  });

  test("a zero scrape interval is rejected", () => {
    expect(() => prometheusDiskGi({ activeSeries: 1, scrapeIntervalS: 0, retentionDays: 1 })).toThrow(
      /scrapeIntervalS/,
    );
  });
});

describe("lokiDiskGi", () => {
  test("500 B/request at 10 rps for 3 days, 4× compression, + 20 % is 388.8 MB", () => {
    // 500 × 10 × 86,400 × 3 = 1,296,000,000 raw; ÷ 4 = 324,000,000; × 1.2 = 388,800,000
    expect(
      lokiDiskGi({ logBytesPerRequest: 500, averageRps: 10, retentionDays: 3, compressionRatio: 4 }) * GIB,
    ).toBeCloseTo(388_800_000, 0);
  });

  test("the slow codecs are assumed to compress better than the fast ones", () => {
    expect(LOKI_COMPRESSION_RATIO.zstd).toBeGreaterThan(LOKI_COMPRESSION_RATIO.snappy);
    expect(LOKI_COMPRESSION_RATIO.gzip).toBeGreaterThan(LOKI_COMPRESSION_RATIO["lz4-1M"]);
  });

  test("a zero compression ratio is rejected", () => {
    expect(() => lokiDiskGi({ logBytesPerRequest: 1, averageRps: 1, retentionDays: 1, compressionRatio: 0 })).toThrow(
      /compressionRatio/,
    );
  });
});

describe("jaegerDiskGi", () => {
  test("5 spans/request sampled at 10 %, 1,000 B each, 10 rps for 72 h, × 1.5 is 1.944 GB", () => {
    // 5 × 0.1 × 10 = 5 spans/s; × 3,600 × 72 = 1,296,000 spans; × 1,000 B × 1.5 = 1,944,000,000 B
    expect(
      jaegerDiskGi({
        spansPerRequest: 5,
        samplingPercentage: 10,
        bytesPerSpan: 1000,
        averageRps: 10,
        retentionHours: 72,
      }) * GIB,
    ).toBeCloseTo(1_944_000_000, 0);
  });

  test("0 % sampling stores nothing", () => {
    expect(
      jaegerDiskGi({
        spansPerRequest: 5,
        samplingPercentage: 0,
        bytesPerSpan: 1000,
        averageRps: 10,
        retentionHours: 72,
      }),
    ).toBe(0);
  });

  test("a sampling percentage above 100 is rejected", () => {
    expect(() =>
      jaegerDiskGi({ spansPerRequest: 5, samplingPercentage: 150, bytesPerSpan: 1, averageRps: 1, retentionHours: 1 }),
    ).toThrow(/samplingPercentage must be ≤ 100/);
  });
});
