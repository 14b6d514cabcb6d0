import { TRACE_SAMPLING_HASH_SALT } from "../../contract";

/**
 * The collector's tail-sampling `probabilistic` policy, reproduced so the services keep the access
 * logs of exactly the traces it keeps (opentelemetry-collector-contrib,
 * processor/tailsamplingprocessor/internal/sampling/probabilistic.go):
 *
 *   keep ⇔ FNV-1a-64(salt bytes ‖ the 16 trace-id bytes) ≤ threshold
 *   threshold = uint64(big.Float(MaxUint64, 64-bit mantissa) × float64(percentage / 100))
 *
 * The product is rounded to a 64-bit mantissa (nearest, ties to even) and then truncated, as Go's
 * big.Float Mul and Uint64 do. The hash runs on two 32-bit halves so a request costs no BigInt work.
 */

const MAX_UINT64 = (1n << 64n) - 1n;
const TWO_32 = 0x1_0000_0000;
/** FNV-1a 64 offset basis and prime (2^40 + 0x1b3). */
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME_LOW = 0x1b3;

/** A 64-bit value as two unsigned 32-bit halves. */
export interface U64 {
  hi: number;
  lo: number;
}

export const split = (value: bigint): U64 => ({ hi: Number(value >> 32n), lo: Number(value & 0xffffffffn) });

/** One FNV-1a step: xor the byte into the low half, multiply by 2^40 + 0x1b3 modulo 2^64. */
function fnvStep(h: U64, byte: number): void {
  const lo = (h.lo ^ byte) >>> 0;
  const low = lo * FNV_PRIME_LOW; // < 2^41: exact in a double
  const carry = Math.floor(low / TWO_32);
  // lo × 2^40 moves lo × 2^8 into the high half; all terms stay below 2^53.
  h.hi = (h.hi * FNV_PRIME_LOW + carry + (lo & 0xffffff) * 256) % TWO_32;
  h.lo = low % TWO_32;
}

/** FNV-1a 64 of bytes, as a bigint (tests and reference). */
export function fnv1a64(bytes: Uint8Array, seed: bigint = FNV_OFFSET): bigint {
  const h = split(seed);
  for (const byte of bytes) fnvStep(h, byte);
  return (BigInt(h.hi) << 32n) | BigInt(h.lo);
}

/** The policy's threshold for a sampling percentage in [0, 100], computed as the collector computes it. */
export function samplingThreshold(percentage: number): bigint {
  if (!(percentage >= 0 && percentage <= 100))
    throw new RangeError(`sampling percentage ${percentage} not in [0, 100]`);
  const ratio = percentage / 100;
  if (ratio === 0) return 0n;
  // The float64 ratio exactly: mantissa × 2^exponent.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, ratio);
  const bits = view.getBigUint64(0);
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biasedExponent === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biasedExponent === 0 ? 1 : biasedExponent) - 1075;
  // MaxUint64 × mantissa, rounded to 64 significant bits, ties to even.
  let product = MAX_UINT64 * mantissa;
  const excess = product.toString(2).length - 64;
  if (excess > 0) {
    const shift = BigInt(excess);
    let kept = product >> shift;
    const rest = product & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    if (rest > half || (rest === half && (kept & 1n) === 1n)) kept += 1n;
    product = kept << shift;
  }
  // × 2^exponent, truncated towards zero (ratio ≤ 1, so the exponent is negative).
  const value = exponent >= 0 ? product << BigInt(exponent) : product >> BigInt(-exponent);
  return value > MAX_UINT64 ? MAX_UINT64 : value;
}

const SALT_STATE = (() => {
  const h = split(FNV_OFFSET);
  for (const byte of Buffer.from(TRACE_SAMPLING_HASH_SALT, "utf8")) fnvStep(h, byte);
  return h;
})();

const hexValue = (code: number): number => {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
};

/**
 * Whether the collector's probabilistic policy keeps the trace: true when the id's hash is at or
 * below the threshold. Undefined for anything that is not a 32-digit hex trace id.
 */
export function keepsTraceId(traceId: string, threshold: U64): boolean | undefined {
  if (traceId.length !== 32) return undefined;
  const h = { hi: SALT_STATE.hi, lo: SALT_STATE.lo };
  for (let i = 0; i < 32; i += 2) {
    const high = hexValue(traceId.charCodeAt(i));
    const low = hexValue(traceId.charCodeAt(i + 1));
    if (high < 0 || low < 0) return undefined;
    fnvStep(h, high * 16 + low);
  }
  return h.hi < threshold.hi || (h.hi === threshold.hi && h.lo <= threshold.lo);
}

/** FNV-1a 64 of the salted trace id (tests compare it with a reference implementation). */
export function traceIdHash(traceId: string): bigint {
  return fnv1a64(Buffer.from(traceId, "hex"), fnv1a64(Buffer.from(TRACE_SAMPLING_HASH_SALT, "utf8")));
}

/** The share of traces the collector's probabilistic policy keeps, as a predicate on trace ids. */
export class KeptShare {
  private readonly threshold: U64;

  constructor(readonly percentage: number) {
    this.threshold = split(samplingThreshold(percentage));
  }

  /** True for every trace at 100 %; otherwise the collector's rule (malformed ids: false). */
  keeps(traceId: string): boolean {
    return this.percentage >= 100 || keepsTraceId(traceId, this.threshold) === true;
  }
}

/** Client errors that mean "the request was invalid": sampled like successes. */
const VALIDATION_STATUSES = new Set([400, 422]);

export interface AccessLogDecision {
  write: boolean;
  /** The line was kept by the sampling rule (not because it failed or was slow): it stands for 1/rate requests. */
  sampled: boolean;
}

const ALWAYS: AccessLogDecision = { write: true, sampled: false };
const KEPT: AccessLogDecision = { write: true, sampled: true };
const DROPPED: AccessLogDecision = { write: false, sampled: true };

/**
 * Which access lines are written: every failed (5xx, 4xx other than validation) or slow request's;
 * of the rest, those whose trace the collector keeps. Without a trace id (tracing off) nothing can be
 * matched with a trace, so the line is written.
 */
export class AccessLogSampler {
  /** Share of sampled lines written, (0, 1]; 1 means sampling is off. */
  readonly rate: number;
  private readonly threshold: U64;

  constructor(
    readonly percentage: number,
    readonly slowMs: number,
  ) {
    this.rate = percentage / 100;
    this.threshold = split(samplingThreshold(percentage));
  }

  get active(): boolean {
    return this.percentage < 100;
  }

  decide(traceId: string | undefined, status: number, durationMs: number): AccessLogDecision {
    if (!this.active) return ALWAYS;
    if (status >= 500 || (status >= 400 && !VALIDATION_STATUSES.has(status)) || durationMs >= this.slowMs)
      return ALWAYS;
    if (traceId === undefined) return ALWAYS;
    const keep = keepsTraceId(traceId, this.threshold);
    if (keep === undefined) return ALWAYS;
    return keep ? KEPT : DROPPED;
  }
}
