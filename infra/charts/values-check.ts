import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import Ajv2019 from "ajv/dist/2019";
import Ajv2020 from "ajv/dist/2020";
import { parse } from "yaml";

// Helm silently ignores values keys a chart does not read (e.g. Loki's `compactor:` at the top level
// instead of under `loki:`). These checks hold the values this program sets to the pinned chart's
// published defaults (every key path must exist there) and to its values.schema.json where it ships one.

export interface ChartDefaults {
  values: Record<string, unknown>;
  schema?: object;
}

export interface ValuesProblem {
  path: string;
  message: string;
}

/**
 * Documented free-form maps whose defaults are not `{}` (or are commented out), so the key-path check
 * must not look below them. Empty `{}`/null defaults are free-form already and need no entry here.
 */
export const FREE_FORM: Record<string, string[]> = {
  // Loki's own config blocks, copied verbatim into config.yaml (schema: additionalProperties: true).
  loki: [
    "loki.structuredConfig",
    "loki.server",
    "loki.commonConfig",
    "loki.limits_config",
    "loki.storage_config",
    "loki.ingester",
    "loki.index_gateway",
    "loki.frontend",
    "loki.frontend_worker",
    "loki.pattern_ingester",
    "loki.rulerConfig",
    "loki.tracing",
    "loki.bloom_build",
    "loki.bloom_gateway",
    "loki.extraMemberlistConfig",
    // Needed for object storage but only present as a comment in the defaults.
    "loki.storage.bucketNames",
    // Sub-charts whose defaults are not in the shared folder.
    "minio",
    "rollout_operator",
  ],
  // The chart merges `config` into the collector's configuration; `ports` is keyed by any port name.
  // podDisruptionBudget.maxUnavailable is only a comment in the defaults and service.clusterIP absent from them;
  // both are read by the templates (pdb.yaml, service.yaml).
  "opentelemetry-collector": ["config", "ports", "podDisruptionBudget.maxUnavailable", "service.clusterIP"],
  "kube-prometheus-stack": [
    "alertmanager.config", // Alertmanager's own configuration
    "grafana.grafana.ini", // grafana.ini sections (grafana sub-chart)
    // Kubernetes SecurityContext objects the grafana templates copy verbatim (toYaml).
    "grafana.containerSecurityContext",
    "grafana.sidecar.securityContext",
    // Sub-charts whose defaults are not in the shared folder.
    "kube-state-metrics",
    "prometheus-node-exporter",
    "prometheus-windows-exporter",
  ],
  grafana: ["grafana.ini", "containerSecurityContext", "sidecar.securityContext"],
  // `jaeger.resources` is documented only as a comment in the defaults.
  jaeger: [
    "jaeger.resources",
    // Read by the all-in-one Deployment template (pod labels) but absent from the defaults.
    "jaeger.podLabels",
    // SecurityContext objects the index cleaner template copies verbatim (toYaml).
    "esIndexCleaner.securityContext",
    "esIndexCleaner.podSecurityContext",
  ],
  // SecurityContexts and ResourceRequirements copied with toYaml; storageClass is only a comment in the defaults.
  opensearch: ["securityContext", "podSecurityContext", "resources", "persistence.storageClass"],
  // A Kubernetes ResourceRequirements object copied verbatim; the defaults show only requests.
  alloy: ["configReloader.resources"],
  // The exporter's own module config (written to its ConfigMap as is); fullnameOverride is read by the
  // fullname helper but absent from the defaults; securityContext is a SecurityContext copied with toYaml.
  "prometheus-blackbox-exporter": ["config.modules", "fullnameOverride", "securityContext"],
};

/** CHART_DEFAULTS_DIR if set, else `<repo root>/../shared/charts` if it exists (CI and dev have it there). */
export function chartDefaultsDir(): string | undefined {
  if (process.env.CHART_DEFAULTS_DIR) return process.env.CHART_DEFAULTS_DIR;
  // Walk up to the folder holding Pulumi.yaml so this works from infra/ and from compiled dist/infra/.
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "Pulumi.yaml"))) {
      const shared = path.resolve(dir, "..", "shared", "charts");
      return existsSync(shared) ? shared : undefined;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

export function loadChartDefaults(dir: string, chart: string, version: string): ChartDefaults {
  const folder = path.join(dir, `${chart}-${version}`);
  const valuesFile = path.join(folder, "values.yaml");
  if (!existsSync(valuesFile)) {
    throw new Error(`no published defaults for ${chart} ${version}: ${valuesFile} is missing`);
  }
  const values = (parse(readFileSync(valuesFile, "utf8")) ?? {}) as Record<string, unknown>;
  const schemaFile = path.join(folder, "values.schema.json");
  const schema = existsSync(schemaFile) ? (JSON.parse(readFileSync(schemaFile, "utf8")) as object) : undefined;
  return schema ? { values, schema } : { values };
}

type Kind = "map" | "list" | "null" | "scalar";
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const kindOf = (v: unknown): Kind =>
  v === null || v === undefined ? "null" : Array.isArray(v) ? "list" : isMap(v) ? "map" : "scalar";
const nameOf = (v: unknown) => (kindOf(v) === "scalar" ? typeof v : kindOf(v));

/**
 * Helm's coalescing of user values over chart defaults: maps merge key by key, anything else replaces,
 * and a null deletes the default (pass `keepNulls` to keep it, e.g. when layering defaults over defaults).
 */
export function coalesceValues(base: unknown, over: unknown, keepNulls = false): unknown {
  if (!isMap(base) || !isMap(over)) return over;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null && !keepNulls) delete merged[key];
    else merged[key] = coalesceValues(base[key], value, keepNulls);
  }
  return merged;
}

/** Every key path in `values` the chart's defaults do not have, plus map/scalar/list mismatches. */
export function unknownValuePaths(
  values: unknown,
  defaults: unknown,
  options: { freeForm?: string[]; subcharts?: Record<string, unknown> } = {},
): ValuesProblem[] {
  const freeForm = options.freeForm ?? [];
  const isFreeForm = (p: string) => freeForm.some((f) => p === f || p.startsWith(`${f}.`));
  // A sub-chart's values sit under its key; the parent's block there overrides the sub-chart's own defaults.
  let effective = defaults;
  for (const [key, sub] of Object.entries(options.subcharts ?? {})) {
    const parent = isMap(effective) ? effective[key] : undefined;
    effective = { ...(isMap(effective) ? effective : {}), [key]: coalesceValues(sub, parent ?? {}, true) };
  }

  const problems: ValuesProblem[] = [];
  const walk = (value: unknown, known: unknown, at: string) => {
    if (!isMap(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const p = at ? `${at}.${key}` : key;
      if (!at && key === "global") continue; // Helm's global values are shared with every sub-chart
      const has = isMap(known) && Object.hasOwn(known, key);
      if (!has && !isFreeForm(p)) {
        problems.push({ path: p, message: "not in the chart's default values; Helm would ignore it" });
        continue;
      }
      const def = has ? (known as Record<string, unknown>)[key] : undefined;
      const [want, got] = [kindOf(def), kindOf(child)];
      if (want !== "null" && got !== "null" && want !== got) {
        problems.push({ path: p, message: `the chart's default is a ${nameOf(def)}, the value is a ${nameOf(child)}` });
        continue;
      }
      // Below here anything goes: free-form maps, `{}`/null placeholders; lists are replaced whole.
      if (isFreeForm(p) || want !== "map" || Object.keys(def as object).length === 0) continue;
      walk(child, def, p);
    }
  };
  walk(values, effective, "");
  return problems;
}

// Compiling Loki's ~0.5 MB schema takes a moment; compile each schema object once.
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: object): ValidateFunction {
  const cached = compiled.get(schema);
  if (cached) return cached;
  const declared = String((schema as { $schema?: unknown }).$schema ?? "");
  // strict off: chart schemas carry non-standard keywords; no chart uses `format`, so formats are ignored.
  const options = { strict: false, allErrors: true, validateFormats: false };
  let validate: ValidateFunction;
  if (declared.includes("2020-12")) validate = new Ajv2020(options).compile(schema);
  else if (declared.includes("2019-09")) validate = new Ajv2019(options).compile(schema);
  else {
    // Draft-07, Ajv's default; it also maps the unversioned "http://json-schema.org/schema#" (the collector's)
    // to it. Any other id (draft-04/06) names a meta-schema Ajv lacks: drop it rather than fail the lookup.
    const knownMeta = !declared || /draft-07|json-schema\.org\/schema#?$/.test(declared);
    const { $schema, ...rest } = schema as { $schema?: unknown };
    validate = new Ajv(options).compile(knownMeta ? schema : rest);
  }
  compiled.set(schema, validate);
  return validate;
}

const pointerToPath = (pointer: string) =>
  pointer
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .join(".");

function toProblem(error: ErrorObject): ValuesProblem {
  const at = pointerToPath(error.instancePath);
  const join = (key: string) => (at ? `${at}.${key}` : key);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "required") return { path: join(String(params.missingProperty)), message: "is required" };
  if (error.keyword === "additionalProperties") {
    return { path: join(String(params.additionalProperty)), message: "is not allowed by the chart's schema" };
  }
  const allowed = error.keyword === "enum" ? `: ${JSON.stringify(params.allowedValues)}` : "";
  return { path: at || "(root)", message: `${error.message ?? error.keyword}${allowed}` };
}

/**
 * Problems with `values` against the chart's values.schema.json. Helm validates the coalesced values,
 * so pass `coalesceValues(defaults, values)` when the schema has `required` keys the defaults supply.
 */
export function schemaProblems(values: unknown, schema: object | undefined): ValuesProblem[] {
  if (!schema) return [];
  const validate = validatorFor(schema);
  return validate(values) ? [] : (validate.errors ?? []).map(toProblem);
}
