/** Small helpers to read untyped resource inputs and chart values safely. */

// biome-ignore lint/suspicious/noExplicitAny: resource inputs are arbitrary JSON
export type Json = any;

export function isRecord(value: unknown): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `get(values, "prometheus.prometheusSpec.retention")`; undefined when any step is missing. */
export function get(value: unknown, path: string): Json {
  let current: unknown = value;
  for (const key of path.split(".")) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Every object under `value` reached through a key named `key` (depth-first), with its dotted path. */
export function findKeyed(value: unknown, key: string, path = ""): { path: string; value: Json }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => findKeyed(v, key, `${path}[${i}]`));
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const here = path ? `${path}.${k}` : k;
    return [...(k === key ? [{ path: here, value: v }] : []), ...findKeyed(v, key, here)];
  });
}

const HOURS: Record<string, number> = { ms: 1 / 3_600_000, s: 1 / 3600, m: 1 / 60, h: 1, d: 24, w: 168, y: 8760 };

/** A Prometheus/Go/Loki duration ("30d", "744h", "1h30m") in hours; undefined when it does not parse. */
export function durationHours(value: unknown): number | undefined {
  if (typeof value !== "string" || !/^(\d+(\.\d+)?(ms|s|m|h|d|w|y))+$/.test(value)) return undefined;
  let hours = 0;
  for (const [, n, , unit] of value.matchAll(/(\d+(\.\d+)?)(ms|s|m|h|d|w|y)/g)) {
    hours += Number(n) * (HOURS[unit as string] as number);
  }
  return hours;
}

/** A Kubernetes CPU quantity ("250m", "1", "0.5") in cores. */
export function cpuCores(value: unknown): number | undefined {
  const m = /^(\d+(\.\d+)?)(m?)$/.exec(String(value ?? ""));
  if (!m) return undefined;
  return Number(m[1]) / (m[3] ? 1000 : 1);
}

const MEMORY_MI: Record<string, number> = {
  "": 1 / 2 ** 20,
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  Ti: 1024 ** 2,
  K: 1e3 / 2 ** 20,
  M: 1e6 / 2 ** 20,
  G: 1e9 / 2 ** 20,
  T: 1e12 / 2 ** 20,
};

/** A Kubernetes memory quantity ("256Mi", "1Gi", "1G") in MiB. */
export function memoryMi(value: unknown): number | undefined {
  const m = /^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T|)$/.exec(String(value ?? ""));
  if (!m) return undefined;
  return Number(m[1]) * (MEMORY_MI[m[3] as string] as number);
}
