/**
 * A field-by-field check of a load-test JSON file against apps/loadtest/result.ts: every field there,
 * of its type, and nothing else (optional fields may be absent). Returns the problems, one per line.
 */
import { SERVICE_NAMES } from "../../contract";

type Check = (value: unknown, at: string, problems: string[]) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const num: Check = (v, at, p) => {
  if (typeof v !== "number" || !Number.isFinite(v)) p.push(`${at}: expected a finite number, got ${JSON.stringify(v)}`);
};
const nonNegative: Check = (v, at, p) => {
  num(v, at, p);
  if (typeof v === "number" && v < 0) p.push(`${at}: expected ≥ 0, got ${v}`);
};
const str: Check = (v, at, p) => {
  if (typeof v !== "string" || v === "") p.push(`${at}: expected a non-empty string, got ${JSON.stringify(v)}`);
};
const bool: Check = (v, at, p) => {
  if (typeof v !== "boolean") p.push(`${at}: expected a boolean, got ${JSON.stringify(v)}`);
};
const isoDate: Check = (v, at, p) => {
  if (typeof v !== "string" || Number.isNaN(Date.parse(v)) || !v.endsWith("Z")) p.push(`${at}: expected an ISO time`);
};
const nullable =
  (check: Check): Check =>
  (v, at, p) => {
    if (v !== null) check(v, at, p);
  };
const literal =
  (expected: unknown): Check =>
  (v, at, p) => {
    if (v !== expected) p.push(`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(v)}`);
  };
const list =
  (item: Check): Check =>
  (v, at, p) => {
    if (!Array.isArray(v)) p.push(`${at}: expected an array`);
    else for (const [i, x] of v.entries()) item(x, `${at}[${i}]`, p);
  };
const record =
  (keys: readonly string[] | undefined, item: Check): Check =>
  (v, at, p) => {
    if (!isObject(v)) {
      p.push(`${at}: expected an object`);
      return;
    }
    for (const [k, x] of Object.entries(v)) {
      if (keys && !keys.includes(k)) p.push(`${at}.${k}: not a key of the contract (${keys.join(", ")})`);
      item(x, `${at}.${k}`, p);
    }
  };
/** An object with exactly these fields; a key ending in "?" is optional. */
const shape =
  (fields: Record<string, Check>): Check =>
  (v, at, p) => {
    if (!isObject(v)) {
      p.push(`${at}: expected an object, got ${JSON.stringify(v)}`);
      return;
    }
    const names = Object.keys(fields).map((k) => k.replace(/\?$/, ""));
    for (const key of Object.keys(v)) if (!names.includes(key)) p.push(`${at}.${key}: not in the contract`);
    for (const [key, check] of Object.entries(fields)) {
      const name = key.replace(/\?$/, "");
      if (!(name in v)) {
        if (!key.endsWith("?")) p.push(`${at}.${name}: missing`);
        continue;
      }
      check(v[name], `${at}.${name}`, p);
    }
  };

const percentiles = { count: nonNegative, p50: nonNegative, p90: nonNegative, p99: nonNegative, max: nonNegative };
const serviceStage = shape({
  processes: nonNegative,
  requests: nonNegative,
  requestsPerSecond: nonNegative,
  errors5xx: nonNegative,
  p99Seconds: nullable(nonNegative),
  fastShare: nullable(nonNegative),
  cpuSeconds: nonNegative,
  cpuSecondsPerRequest: nullable(nonNegative),
  rssBytes: nonNegative,
  activeSeries: nonNegative,
  logBytesPerRequest: nullable(nonNegative),
});
const stage = shape({
  name: str,
  targetRps: nonNegative,
  durationS: nonNegative,
  sent: nonNegative,
  answered: nonNegative,
  errors: nonNegative,
  expectedClientErrors: nonNegative,
  achievedRps: nonNegative,
  latencyUs: shape(percentiles),
  byEndpoint: record(undefined, shape({ ...percentiles, errors: nonNegative })),
  services: record(SERVICE_NAMES, serviceStage),
  "spans?": shape({ spans: nonNegative, spansPerRequest: nonNegative, otlpBytesPerSpan: nonNegative }),
  passed: bool,
  failures: list(str),
});

export const checkResult = shape({
  schema: literal(1),
  scenario: str,
  target: shape({ order: str, "product?": str, "user?": str }),
  startedAt: isoDate,
  finishedAt: isoDate,
  machine: shape({ cpus: nonNegative, cpuModel: str, memoryGiB: nonNegative, node: str }),
  "cpuLimitCores?": shape(Object.fromEntries(SERVICE_NAMES.map((n) => [n, nonNegative]))),
  "accessLogSamplingPercent?": nonNegative,
  slo: shape({ stack: str, latencyThresholdSeconds: nonNegative, availability: nonNegative, latency: nonNegative }),
  thresholds: shape({ p99Seconds: nonNegative, errorRatio: nonNegative }),
  stages: list(stage),
  memory: list(
    shape({
      atS: nonNegative,
      service: (v, at, p) => {
        if (!(SERVICE_NAMES as readonly unknown[]).includes(v)) p.push(`${at}: not a service name`);
      },
      rssBytes: nonNegative,
      "heapUsedBytes?": nonNegative,
    }),
  ),
  passed: bool,
});

export function resultProblems(value: unknown): string[] {
  const problems: string[] = [];
  checkResult(value, "result", problems);
  return problems;
}
