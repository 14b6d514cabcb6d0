/**
 * Reads a load-test result (apps/loadtest/result.ts) and validates it against the contract: a missing
 * file, bad JSON or a field of the wrong shape is one clear error naming the file and the field.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { describeIssues, dottedPath, SERVICE_NAMES, type ServiceName } from "../../contract";
import { LOADTEST_RESULT_SCHEMA, type LoadTestResult } from "../loadtest/result";

/** Bad input for the report (file, flag, config): the message says what and where, no stack trace needed. */
export class CapacityInputError extends Error {
  override name = "CapacityInputError";
  /** A bad flag: the usage follows the message. */
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message);
  }
}

const count = z.number().int().min(0);
const nonNegative = z.number().min(0);
/** JSON has no NaN: the load test's empty percentiles (NaN) arrive as null and become NaN again. */
const maybeNaN = z.preprocess((v) => (v === null ? Number.NaN : v), z.union([z.number(), z.nan()]));
const percentiles = z.object({ count, p50: maybeNaN, p90: maybeNaN, p99: maybeNaN, max: maybeNaN });

const serviceStage = z.object({
  processes: z.number().int().min(1),
  requests: count,
  requestsPerSecond: nonNegative,
  errors5xx: count,
  p99Seconds: nonNegative.nullable(),
  fastShare: z.number().min(0).max(1).nullable(),
  cpuSeconds: nonNegative,
  cpuSecondsPerRequest: nonNegative.nullable(),
  rssBytes: nonNegative,
  activeSeries: count,
  logBytesPerRequest: nonNegative.nullable(),
});

const stage = z.object({
  name: z.string(),
  targetRps: nonNegative,
  durationS: nonNegative,
  sent: count,
  answered: count,
  errors: count,
  expectedClientErrors: count,
  achievedRps: nonNegative,
  latencyUs: percentiles,
  byEndpoint: z.record(z.string(), percentiles.extend({ errors: count })),
  services: z.partialRecord(z.enum(SERVICE_NAMES), serviceStage),
  spans: z.object({ spans: count, spansPerRequest: nonNegative, otlpBytesPerSpan: nonNegative }).optional(),
  passed: z.boolean(),
  failures: z.array(z.string()),
});

export const loadTestResultSchema = z.object({
  schema: z.literal(LOADTEST_RESULT_SCHEMA, { error: `must be ${LOADTEST_RESULT_SCHEMA} (this report's format)` }),
  scenario: z.string(),
  target: z.object({ order: z.string(), product: z.string().optional(), user: z.string().optional() }),
  startedAt: z.string(),
  finishedAt: z.string(),
  machine: z.object({ cpus: z.number().int().min(1), cpuModel: z.string(), memoryGiB: nonNegative, node: z.string() }),
  cpuLimitCores: z
    .object(
      Object.fromEntries(SERVICE_NAMES.map((n) => [n, z.number().positive()])) as Record<ServiceName, z.ZodNumber>,
    )
    .optional(),
  accessLogSamplingPercent: z.number().min(0).max(100).optional(),
  slo: z.object({
    stack: z.string(),
    latencyThresholdSeconds: z.number().positive(),
    availability: z.number().gt(0).max(1),
    latency: z.number().gt(0).max(1),
  }),
  thresholds: z.object({ p99Seconds: z.number().positive(), errorRatio: z.number().min(0).max(1) }),
  stages: z.array(stage).min(1, { error: "must hold at least one stage" }),
  memory: z.array(
    z.object({
      atS: nonNegative,
      service: z.enum(SERVICE_NAMES),
      rssBytes: nonNegative,
      heapUsedBytes: nonNegative.optional(),
    }),
  ),
  passed: z.boolean(),
});

// The schema and the contract must not drift apart: this line stops compiling when either type has a
// field the other lacks or types differently (mutual assignability; zod spells `A & B` as one object).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesContract: Same<z.infer<typeof loadTestResultSchema>, LoadTestResult> = true;
void schemaMatchesContract;

/** Validates parsed JSON; throws CapacityInputError with one line per bad field. */
export function parseLoadTestResult(raw: unknown, source: string): LoadTestResult {
  const parsed = loadTestResultSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error, dottedPath).map((p) => `  - ${p}`);
    throw new CapacityInputError(`${source} is not a load-test result:\n${problems.join("\n")}`);
  }
  const result = parsed.data;
  if (!result.stages.some((s) => (s.services.order?.requests ?? 0) > 0)) {
    throw new CapacityInputError(`${source}: no stage has requests served by order (stages.*.services.order)`);
  }
  return result;
}

/** Reads and validates a result file. */
export function readLoadTestResult(file: string): LoadTestResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === "ENOENT" ? " (run `npm run loadtest -- stress` first, or pass --from <file>)" : "";
    throw new CapacityInputError(`cannot read the load-test result ${file}: ${code ?? (err as Error).message}${hint}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CapacityInputError(`${file} is not JSON: ${(err as Error).message}`);
  }
  return parseLoadTestResult(raw, file);
}
