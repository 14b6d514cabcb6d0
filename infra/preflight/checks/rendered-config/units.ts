// Units

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

/**
 * Seconds of a duration such as `72h` or `1d12h`. Go's time.ParseDuration (Jaeger, the collector) has no
 * d/w/y and allows fractions; Prometheus' model.Duration (Prometheus, Loki) has both d/w/y and no fractions.
 */
export function durationSeconds(text: unknown, flavour: "go" | "prometheus"): number | undefined {
  if (typeof text !== "string" || text === "") return undefined;
  const part = flavour === "go" ? /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y : /(\d+)(ms|s|m|h|d|w|y)/y;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    part.lastIndex = pos;
    const m = part.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    pos = part.lastIndex;
  }
  return total;
}

const QUANTITY_UNITS: Record<string, number> = {
  "": 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** Bytes of a Kubernetes quantity (`5Gi`, `5368709120`, `5G`). */
export function quantityBytes(text: unknown): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(String(text ?? ""));
  return m ? Number(m[1]) * (QUANTITY_UNITS[m[2] ?? ""] as number) : undefined;
}

/** Bytes of a Prometheus size (`40GB`): its units are powers of 1024, KB and KiB alike. */
export function prometheusBytes(text: unknown): number | undefined {
  const m = /^(\d+)(B|KB|MB|GB|TB|PB|EB|KiB|MiB|GiB|TiB|PiB|EiB)$/.exec(String(text ?? ""));
  if (!m) return undefined;
  const power = ["B", "K", "M", "G", "T", "P", "E"].indexOf((m[2] as string)[0] as string);
  return Number(m[1]) * 1024 ** power;
}

export const GI = 2 ** 30;
