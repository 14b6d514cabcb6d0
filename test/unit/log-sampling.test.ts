import {
  AccessLogSampler,
  fnv1a64,
  keepsTraceId,
  samplingThreshold,
  split,
  traceIdHash,
} from "../../apps/lib/log-sampling";
import { TRACE_SAMPLING_HASH_SALT } from "../../contract";
import { referenceFnv, referenceThreshold } from "../support/collector-rule";

const MAX = (1n << 64n) - 1n;
const ascii = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));

/** Deterministic pseudo-random trace ids (xorshift), as hex. */
function traceIds(count: number, seed = 0x9e3779b9): string[] {
  let x = seed >>> 0;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return Array.from({ length: count }, () =>
    Array.from({ length: 4 }, () => next().toString(16).padStart(8, "0")).join(""),
  );
}

describe("FNV-1a 64 (the collector's trace-id hash)", () => {
  test("matches the published FNV-1a 64 test vectors", () => {
    expect(fnv1a64(ascii(""))).toBe(0xcbf29ce484222325n);
    expect(fnv1a64(ascii("a"))).toBe(0xaf63dc4c8601ec8cn);
    expect(fnv1a64(ascii("foobar"))).toBe(0x85944171f73967e8n);
  });

  test("the 32-bit-halves hash equals the bigint definition on 2,000 salted trace ids", () => {
    for (const id of traceIds(2_000)) {
      const salted = new Uint8Array([...ascii(TRACE_SAMPLING_HASH_SALT), ...Buffer.from(id, "hex")]);
      expect(traceIdHash(id)).toBe(referenceFnv(salted));
    }
  });
});

describe("the probabilistic policy's threshold", () => {
  test("100 % keeps every hash, 0 % none, 50 % is MaxUint64/2 truncated", () => {
    expect(samplingThreshold(100)).toBe(MAX);
    expect(samplingThreshold(0)).toBe(0n);
    expect(samplingThreshold(50)).toBe((1n << 63n) - 1n);
  });

  test.each([1, 5, 10, 12.5, 25, 33.3, 99.9])("%s %% equals the reference computation", (percentage) => {
    expect(samplingThreshold(percentage)).toBe(referenceThreshold(percentage));
  });

  test("a percentage outside [0, 100] is refused", () => {
    expect(() => samplingThreshold(101)).toThrow(/101 not in \[0, 100\]/);
    expect(() => samplingThreshold(Number.NaN)).toThrow(RangeError);
  });
});

describe("keepsTraceId", () => {
  test("keeps a trace whose hash equals the threshold and drops it one below (the policy's <=)", () => {
    for (const id of traceIds(50, 7)) {
      const hash = traceIdHash(id);
      expect(keepsTraceId(id, split(hash))).toBe(true);
      if (hash > 0n) expect(keepsTraceId(id, split(hash - 1n))).toBe(false);
    }
  });

  test("agrees with the reference rule (hash <= threshold) on 5,000 ids at 10 %", () => {
    const threshold = referenceThreshold(10);
    for (const id of traceIds(5_000, 42)) {
      expect(keepsTraceId(id, split(samplingThreshold(10)))).toBe(traceIdHash(id) <= threshold);
    }
  });

  test("reads upper-case hex like lower-case and refuses what is not a 32-digit hex id", () => {
    const [id] = traceIds(1, 3) as [string];
    const t = split(samplingThreshold(50));
    expect(keepsTraceId(id.toUpperCase(), t)).toBe(keepsTraceId(id, t));
    expect(keepsTraceId("xyz", t)).toBeUndefined();
    expect(keepsTraceId(`${id.slice(0, 31)}g`, t)).toBeUndefined();
  });
});

describe("AccessLogSampler", () => {
  const sampler = new AccessLogSampler(10, 500);
  const ids = traceIds(20_000, 11);

  test("keeps close to the configured share of successful, fast requests (10 % ± 5 sigma)", () => {
    const kept = ids.filter((id) => sampler.decide(id, 200, 3).write).length;
    const sigma = Math.sqrt(ids.length * 0.1 * 0.9);
    expect(Math.abs(kept - ids.length * 0.1)).toBeLessThan(5 * sigma);
  });

  test("a kept success is marked sampled; a dropped one is not written", () => {
    const kept = ids.find((id) => sampler.decide(id, 200, 3).write) as string;
    const dropped = ids.find((id) => !sampler.decide(id, 200, 3).write) as string;
    expect(sampler.decide(kept, 201, 3)).toEqual({ write: true, sampled: true });
    expect(sampler.decide(dropped, 201, 3)).toEqual({ write: false, sampled: true });
  });

  test("always writes 5xx, 4xx other than validation, slow requests and requests without a trace id", () => {
    const dropped = ids.find((id) => !sampler.decide(id, 200, 3).write) as string;
    for (const status of [500, 502, 503, 401, 403, 404, 409, 413, 415])
      expect(sampler.decide(dropped, status, 3)).toEqual({ write: true, sampled: false });
    expect(sampler.decide(dropped, 200, 500.1)).toEqual({ write: true, sampled: false });
    expect(sampler.decide(undefined, 200, 3)).toEqual({ write: true, sampled: false });
  });

  test("validation failures (400, 422) are sampled like successes", () => {
    const dropped = ids.find((id) => !sampler.decide(id, 200, 3).write) as string;
    expect(sampler.decide(dropped, 400, 3).write).toBe(false);
    expect(sampler.decide(dropped, 422, 3).write).toBe(false);
  });

  test("the slow boundary is the collector's latency policy's: at the threshold is slow, just under is not", () => {
    const dropped = ids.find((id) => !sampler.decide(id, 200, 3).write) as string;
    expect(sampler.decide(dropped, 200, 500)).toEqual({ write: true, sampled: false });
    expect(sampler.decide(dropped, 200, 499.9).write).toBe(false);
  });

  test("at 100 % every line is written and none is marked sampled", () => {
    const all = new AccessLogSampler(100, 500);
    expect(all.active).toBe(false);
    expect(ids.slice(0, 500).every((id) => all.decide(id, 200, 1).write && !all.decide(id, 200, 1).sampled)).toBe(true);
  });
});
