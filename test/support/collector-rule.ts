import { TRACE_SAMPLING_HASH_SALT } from "../../contract";

/**
 * The collector's tail-sampling probabilistic policy written straight from its source, on bigints,
 * independently of the services' implementation: keep ⇔ FNV-1a-64(salt ‖ trace-id bytes) ≤
 * uint64(MaxUint64 × float64(percentage / 100)), the product rounded to a 64-bit mantissa.
 */
const MAX = (1n << 64n) - 1n;

export function referenceFnv(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & MAX;
  return h;
}

/** The float64 ratio read exactly from its binary expansion; rounding to 64 bits ties to even, as big.Float. */
export function referenceThreshold(percentage: number): bigint {
  const ratio = percentage / 100;
  const [whole, fraction = ""] = ratio.toString(2).split(".");
  const numerator = BigInt(`0b${whole}${fraction}`);
  const exact = MAX * numerator; // over 2^fraction.length
  const bits = exact.toString(2).length;
  let rounded = exact;
  if (bits > 64) {
    const unit = 1n << BigInt(bits - 64);
    const floor = exact / unit;
    const rest = exact % unit;
    const up = rest * 2n > unit || (rest * 2n === unit && floor % 2n === 1n);
    rounded = (up ? floor + 1n : floor) * unit;
  }
  return rounded / (1n << BigInt(fraction.length));
}

export function referenceHash(traceIdHex: string): bigint {
  return referenceFnv(
    new Uint8Array([...Buffer.from(TRACE_SAMPLING_HASH_SALT, "utf8"), ...Buffer.from(traceIdHex, "hex")]),
  );
}

/** Whether the collector's "N % of the rest" policy keeps this trace. */
export function collectorKeeps(traceIdHex: string, percentage: number): boolean {
  return referenceHash(traceIdHex) <= referenceThreshold(percentage);
}
