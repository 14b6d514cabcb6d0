import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { CHARTS, type ChartKey } from "./pins";

/** The repository root: the folder holding Pulumi.yaml, from sources or compiled output alike. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, "Pulumi.yaml"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("Pulumi.yaml not found above infra/");
    dir = parent;
  }
  return dir;
}

export type Values = Record<string, unknown>;

/** The static values of a chart, from `charts-values/<chart>.yaml`. */
export function staticValues(key: ChartKey): Values {
  const file = path.join(repoRoot(), "charts-values", `${CHARTS[key].chart}.yaml`);
  return (parse(readFileSync(file, "utf8")) ?? {}) as Values;
}

const isMap = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);

/** Helm's merge: maps merge key by key, everything else (lists included) is replaced. */
export function mergeValues(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    out[key] = isMap(value) && isMap(out[key]) ? mergeValues(out[key] as Values, value) : value;
  }
  return out;
}

/** Dotted paths of every leaf (a scalar, a list, or an empty map) in `values`. */
export function leafPaths(values: Values, prefix = ""): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const p = prefix ? `${prefix}.${key}` : key;
    return isMap(value) && Object.keys(value).length > 0 ? leafPaths(value, p) : [p];
  });
}
