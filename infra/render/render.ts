import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import jsYaml from "js-yaml";
import { stringify } from "yaml";
import { KUBERNETES_VERSION } from "../charts/pins";
import { coalesceValues } from "../charts/values-check";
import type { Values } from "../charts/values-files";
import { repoRoot } from "../charts/values-files";
import { ensureHelm, helmEnv } from "./helm-binary";

const run = promisify(execFile);

/** One chart as the program deploys it (the inputs of a helm.v4.Chart). */
export interface ChartSpec {
  release: string;
  namespace: string;
  chart: string;
  version: string;
  values: Values;
}

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** A rendered object and where it came from, for evidence in check messages. */
export interface RenderedObject {
  object: KubernetesObject;
  /** `<release>` (chart release) or `program` for objects the program creates itself. */
  origin: string;
  /** The chart template path (`kube-prometheus-stack/templates/…`), when rendered. */
  template?: string;
}

export interface RenderedChart {
  spec: ChartSpec;
  objects: RenderedObject[];
  /** The manifests as `helm template` printed them. */
  manifests: string;
  /** Enabled sub-charts whose sources were absent: their objects are missing from `objects`. */
  missingSubcharts: string[];
}

export class RenderError extends Error {}

/** Kinds without a namespace; every other object lands in the release namespace when its template names none. */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "StorageClass",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleBinding",
  "PriorityClass",
  "IngressClass",
  "RuntimeClass",
  "CSIDriver",
  "APIService",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
]);

/** As Helm installs it: namespaced objects without a namespace go to the release namespace. */
export function inReleaseNamespace(object: KubernetesObject, namespace: string): KubernetesObject {
  if (CLUSTER_SCOPED.has(object.kind) || object.metadata.namespace) return object;
  return { ...object, metadata: { ...object.metadata, namespace } };
}

/**
 * Parses `helm template` output strictly: a duplicate key (a lax parser keeps the last value silently) is an
 * error naming the template and the key. js-yaml with the JSON-compatible core schema: the CRDs make the
 * output several MB, and it parses them several times faster than the `yaml` package.
 */
export function parseManifests(text: string, origin: string): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const chunk of text.split(/^---[ \t]*$/m)) {
    const template = /^#\s*Source:\s*(\S+)/m.exec(chunk)?.[1];
    const where = template ?? `document ${out.length + 1}`;
    let object: KubernetesObject | null | undefined;
    try {
      object = jsYaml.load(chunk, { schema: jsYaml.CORE_SCHEMA, filename: where }) as KubernetesObject | null;
    } catch (err) {
      const e = err as jsYaml.YAMLException;
      const line = chunk.split("\n")[e.mark?.line ?? -1]?.trim() ?? "";
      const problem = /duplicated mapping key/.test(e.reason) ? `duplicate key "${line}"` : `${e.reason} at "${line}"`;
      throw new RenderError(`${origin}: ${where}: ${problem}`);
    }
    if (object === null || object === undefined) continue; // empty documents (disabled templates)
    if (typeof object !== "object" || !object.kind || !object.apiVersion || !object.metadata?.name) {
      throw new RenderError(`${origin}: ${where}: not a Kubernetes object (kind, apiVersion, metadata.name)`);
    }
    out.push(template ? { object, origin, template } : { object, origin });
  }
  return out;
}

interface Dependency {
  name: string;
  alias?: string;
  version: string;
  condition?: string;
}

const getPath = (values: unknown, dotted: string): unknown =>
  dotted.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Values)[k] : undefined), values);

/** Helm's rule: the first condition path that resolves to a boolean decides; none → enabled. */
export function dependencyEnabled(condition: string | undefined, values: Values): boolean {
  for (const p of (condition ?? "").split(",").map((s) => s.trim())) {
    const v = p ? getPath(values, p) : undefined;
    if (typeof v === "boolean") return v;
  }
  return true;
}

function hasSources(chartDir: string, dep: Dependency): boolean {
  const charts = path.join(chartDir, "charts");
  if (existsSync(path.join(charts, dep.name, "Chart.yaml"))) return true;
  return existsSync(charts) && readdirSync(charts).some((f) => f === `${dep.name}-${dep.version}.tgz`);
}

const setPath = (values: Values, dotted: string, value: unknown): Values => {
  const [head, ...rest] = dotted.split(".") as [string, ...string[]];
  const child = values[head];
  const inner = child && typeof child === "object" && !Array.isArray(child) ? (child as Values) : {};
  return { ...values, [head]: rest.length === 0 ? value : setPath(inner, rest.join("."), value) };
};

/**
 * The chart folder and values to render. Helm refuses a chart whose declared sub-charts are not vendored,
 * and parent templates read enabled sub-charts' helpers; when sources are absent, a private copy without
 * them is rendered with those sub-charts switched off, and the enabled ones are reported as missing.
 */
function renderableChart(chartDir: string, values: Values): { dir: string; values: Values; missing: string[] } {
  const manifest = jsYaml.load(readFileSync(path.join(chartDir, "Chart.yaml"), "utf8"), {
    schema: jsYaml.CORE_SCHEMA,
  }) as {
    dependencies?: Dependency[];
  };
  const deps = manifest.dependencies ?? [];
  const absent = deps.filter((d) => !hasSources(chartDir, d));
  if (absent.length === 0) return { dir: chartDir, values, missing: [] };
  const defaults = (jsYaml.load(readFileSync(path.join(chartDir, "values.yaml"), "utf8"), {
    schema: jsYaml.CORE_SCHEMA,
  }) ?? {}) as Values;
  const effective = coalesceValues(defaults, values) as Values;
  const enabled = absent.filter((d) => dependencyEnabled(d.condition, effective));
  let renderValues = values;
  for (const d of enabled) {
    const condition = d.condition?.split(",")[0]?.trim();
    if (!condition)
      throw new RenderError(`${manifest}: sub-chart ${d.name} has no sources and no condition to disable it`);
    renderValues = setPath(renderValues, condition, false);
  }
  const key = createHash("sha256")
    .update(chartDir)
    .update(absent.map((d) => d.name).join(","))
    .digest("hex");
  const dir = path.join(os.tmpdir(), `observability-render-${path.basename(chartDir)}-${key.slice(0, 12)}`);
  if (!existsSync(path.join(dir, "Chart.yaml"))) {
    const staging = `${dir}.partial-${process.pid}`;
    cpSync(chartDir, staging, { recursive: true });
    const kept = deps.filter((d) => !absent.includes(d));
    writeFileSync(path.join(staging, "Chart.yaml"), stringify({ ...manifest, dependencies: kept }));
    try {
      renameSync(staging, dir);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process made it first
    }
  }
  return { dir, values: renderValues, missing: enabled.map((d) => d.alias ?? d.name) };
}

/** `CHART_SOURCES_DIR`, else `../shared/charts` beside the repository when it exists. */
export function chartSourcesDir(root: string): string | undefined {
  if (process.env.CHART_SOURCES_DIR) return process.env.CHART_SOURCES_DIR;
  const shared = path.resolve(root, "..", "shared", "charts");
  return existsSync(shared) ? shared : undefined;
}

/** Where rendered manifests are kept, keyed by everything that decides them; `RENDER_CACHE=off` disables it. */
export function renderCacheDir(): string | undefined {
  if (process.env.RENDER_CACHE === "off") return undefined;
  return path.join(repoRoot(), ".tools", "render-cache");
}

/**
 * `helm template` output for a chart folder and values. The same chart version, values and Kubernetes
 * version always render the same manifests, so a repeated preflight reuses them (kps alone takes ~2 s).
 */
async function cachedRender(
  spec: ChartSpec,
  dir: string,
  values: Values,
): Promise<{ text: string; objects: RenderedObject[] }> {
  const cacheDir = renderCacheDir();
  const key = createHash("sha256")
    .update(JSON.stringify([RENDERER_VERSION, KUBERNETES_VERSION, spec.release, spec.namespace, dir, values]))
    .digest("hex");
  // The manifests as Helm printed them, and the objects already parsed strictly (YAML parsing of the CRDs
  // is the slow part); the JSON is written only after a successful parse.
  const cached = cacheDir && path.join(cacheDir, `${spec.release}-${key.slice(0, 24)}`);
  if (cached && existsSync(`${cached}.json`)) {
    return {
      text: readFileSync(`${cached}.yaml`, "utf8"),
      objects: JSON.parse(readFileSync(`${cached}.json`, "utf8")) as RenderedObject[],
    };
  }
  const helm = await ensureHelm();
  const valuesDir = path.join(os.tmpdir(), "observability-render-values");
  mkdirSync(valuesDir, { recursive: true });
  const valuesFile = path.join(valuesDir, `${spec.release}-${process.pid}-${Date.now()}.json`);
  writeFileSync(valuesFile, JSON.stringify(values)); // JSON is YAML: no re-quoting surprises
  try {
    const { stdout } = await run(
      helm,
      [
        "template",
        spec.release,
        dir,
        "--namespace",
        spec.namespace,
        "--values",
        valuesFile,
        "--include-crds",
        "--no-hooks",
        "--kube-version",
        KUBERNETES_VERSION,
      ],
      { env: helmEnv(), maxBuffer: 256 * 1024 * 1024 },
    );
    const objects = parseManifests(stdout, spec.release).map((r) => ({
      ...r,
      object: inReleaseNamespace(r.object, spec.namespace),
    }));
    if (cached && cacheDir) {
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(`${cached}.yaml`, stdout);
      writeFileSync(`${cached}.json.${process.pid}`, JSON.stringify(objects));
      renameSync(`${cached}.json.${process.pid}`, `${cached}.json`);
    }
    return { text: stdout, objects };
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? err).trim();
    throw new RenderError(`${spec.release}: helm template ${spec.chart} ${spec.version} failed: ${stderr}`);
  } finally {
    rmSync(valuesFile, { force: true });
  }
}

/** Bump when the way charts are rendered changes, so cached manifests are not reused. */
const RENDERER_VERSION = 3;

/**
 * Renders one chart as helm.v4.Chart deploys it: same release name, namespace and values, CRDs
 * included, hooks not run, for the supported Kubernetes version.
 */
export async function renderChart(spec: ChartSpec, sourcesDir: string): Promise<RenderedChart> {
  const chartDir = path.join(sourcesDir, `${spec.chart}-${spec.version}`);
  if (!existsSync(path.join(chartDir, "Chart.yaml"))) {
    throw new RenderError(`${spec.release}: no sources for chart ${spec.chart} ${spec.version} in ${sourcesDir}`);
  }
  const { dir, values, missing } = renderableChart(chartDir, spec.values);
  const { text, objects } = await cachedRender(spec, dir, values);
  return { spec, objects, manifests: text, missingSubcharts: missing };
}
