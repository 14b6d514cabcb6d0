/**
 * Preflight schema check for rendered Kubernetes objects, against the upstream OpenAPI schemas compiled
 * into `kubernetes-models` (built-in kinds) and `@kubernetes-models/prometheus-operator` (monitoring.coreos.com).
 *
 * Catches: wrong types (`image: 5`, Service `port: "80"`; IntOrString fields such as `targetPort` accept
 * both), missing required fields (Deployment `spec.selector`, container `name`) and enum values
 * (e.g. `imagePullPolicy`).
 *
 * Does NOT catch unknown or misspelt fields: none of the shipped schemas sets `additionalProperties: false`
 * (upstream Kubernetes OpenAPI leaves objects open), so `spec.replica: 3` passes here. Only the API server's
 * strict field validation (`kubectl apply --dry-run=server`) finds those.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export type SchemaVerdict = { status: "valid" } | { status: "invalid"; errors: string[] } | { status: "no-schema" };

// Only groups we deliberately trust, each mapped to the package that ships its schemas ("" is the core group).
const GROUP_PACKAGES: Readonly<Record<string, string>> = {
  "": "kubernetes-models",
  apps: "kubernetes-models",
  batch: "kubernetes-models",
  "networking.k8s.io": "kubernetes-models",
  policy: "kubernetes-models",
  autoscaling: "kubernetes-models",
  "rbac.authorization.k8s.io": "kubernetes-models",
  "storage.k8s.io": "kubernetes-models",
  "apiextensions.k8s.io": "kubernetes-models",
  "admissionregistration.k8s.io": "kubernetes-models",
  "scheduling.k8s.io": "kubernetes-models",
  "coordination.k8s.io": "kubernetes-models",
  "discovery.k8s.io": "kubernetes-models",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};

const VERSION = /^v\d+(?:(?:alpha|beta)\d+)?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

type ModelClass = new (data: unknown) => { validate(): void };
interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

// The packages are ESM-only ("import" condition only), so they need a native import(): tsc (module node16)
// and jest's swc transform (ignoreDynamic) both leave import() as it is.
const nativeImport = (specifier: string): Promise<Record<string, unknown>> => import(specifier);

let specifiers: Map<string, string> | undefined; // "apps/v1/Deployment" -> "kubernetes-models/apps/v1/Deployment"
const models = new Map<string, Promise<ModelClass>>();

export function supportedKinds(): string[] {
  return [...kindSpecifiers().keys()].sort();
}

export async function validateKubernetesObject(obj: KubernetesObject): Promise<SchemaVerdict> {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const specifier = KIND.test(obj.kind) ? kindSpecifiers().get(key) : undefined;
  if (!specifier) return { status: "no-schema" };

  const Model = await loadModel(key, specifier, obj.kind);
  try {
    new Model(obj).validate();
    return { status: "valid" };
  } catch (err) {
    const errors = (err as { errors?: unknown } | null)?.errors;
    if (!Array.isArray(errors)) throw err; // not a schema verdict but a bug; don't disguise it as one
    return { status: "invalid", errors: formatErrors(errors as AjvError[], obj) };
  }
}

// Listing the packages on disk (rather than try-importing) keeps supportedKinds() synchronous and means a
// failing import() is a real error, not a "no-schema" that would silently skip the check.
function kindSpecifiers(): Map<string, string> {
  if (specifiers) return specifiers;
  specifiers = new Map();
  for (const [group, pkg] of Object.entries(GROUP_PACKAGES)) {
    const root = packageDir(pkg);
    const groupDir = root && join(root, group);
    if (!groupDir || !existsSync(groupDir)) continue;
    for (const version of readdirSync(groupDir).filter((v) => VERSION.test(v))) {
      const apiVersion = group ? `${group}/${version}` : version;
      for (const file of readdirSync(join(groupDir, version))) {
        const kind = file.replace(/\.js$/, "");
        if (kind === file || !KIND.test(kind)) continue;
        // Only resource models declare apiVersion/kind; helper types such as core v1 `Probe` don't.
        const source = readFileSync(join(groupDir, version, file), "utf8");
        if (source.includes(`this.apiVersion="${apiVersion}"`) && source.includes(`this.kind="${kind}"`)) {
          specifiers.set(`${apiVersion}/${kind}`, `${pkg}/${apiVersion}/${kind}`);
        }
      }
    }
  }
  return specifiers;
}

// The packages export only the "import" condition, so require.resolve() can't locate them; search node_modules.
function packageDir(pkg: string): string | undefined {
  return require.resolve
    .paths(pkg)
    ?.map((dir) => join(dir, pkg))
    .find((dir) => existsSync(join(dir, "package.json")));
}

function loadModel(key: string, specifier: string, kind: string): Promise<ModelClass> {
  let model = models.get(key);
  if (!model) {
    model = nativeImport(specifier).then((mod) => mod[kind] as ModelClass);
    model.catch(() => models.delete(key));
    models.set(key, model);
  }
  return model;
}

function formatErrors(errors: AjvError[], obj: unknown): string[] {
  const lines = errors.map((e) => ({ ...describe(e, obj), keyword: e.keyword }));
  // A failed oneOf (IntOrString, Quantity) also reports every failed branch at the same path; fold them into
  // one line so "must be string" next to "must be integer" doesn't read as a contradiction.
  const unions = new Set(lines.filter((l) => l.keyword === "oneOf" || l.keyword === "anyOf").map((l) => l.path));
  const out = new Set<string>(); // ajv repeats identical errors reached through shared sub-schemas
  for (const line of lines) {
    if (!unions.has(line.path)) out.add(`${line.path}: ${line.text}`);
    else if (line.keyword === "oneOf" || line.keyword === "anyOf") {
      const branches = lines.filter((l) => l.path === line.path && l !== line).map((l) => l.text);
      out.add(`${line.path}: ${[...new Set(branches)].join(" or ") || line.text}`);
    }
  }
  return [...out];
}

function describe(e: AjvError, obj: unknown): { path: string; text: string } {
  const segments = e.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (e.keyword === "required")
    return { path: jsonPath([...segments, String(e.params.missingProperty)], obj), text: "is required" };
  const text =
    e.keyword === "enum" ? `must be one of ${JSON.stringify(e.params.allowedValues)}` : (e.message ?? e.keyword);
  return { path: jsonPath(segments, obj), text };
}

// JSON pointer -> `spec.containers[0].image`; walks the object so array indexes and odd keys render correctly.
function jsonPath(segments: string[], root: unknown): string {
  let path = "";
  let node = root;
  for (const seg of segments) {
    if (Array.isArray(node)) path += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) path += path ? `.${seg}` : seg;
    else path += `[${JSON.stringify(seg)}]`;
    node = (node as Record<string, unknown> | null | undefined)?.[seg];
  }
  return path || "(root)";
}
