/**
 * Preflight schema check for rendered Kubernetes objects.
 *
 * Built-in kinds: the upstream OpenAPI schemas compiled into `kubernetes-models` catch wrong types
 * (`image: 5`, Service `port: "80"`; IntOrString fields such as `targetPort` accept both), missing required
 * fields (Deployment `spec.selector`, container `name`) and enum values (`imagePullPolicy`). Those schemas
 * leave every object open, so unknown or misspelt fields (`spec.replica: 3`, a container field on the pod)
 * are found by walking the object along the type map of `@kubernetes/client-node`, whose models are generated
 * from the same OpenAPI document of the Kubernetes version the platform targets.
 *
 * Custom resources: validated with ajv against the CustomResourceDefinitions passed in `crds` (the rendered
 * CRDs are the source of truth, as in the cluster): objects that list `properties` are closed, as the API
 * server's pruning closes them; `x-kubernetes-int-or-string`, `-preserve-unknown-fields`, `-embedded-resource`
 * and `nullable` are honoured, nulls pruned as the API server prunes them, patterns matched with RE2 as it
 * does, metadata checked as ObjectMeta. Not checked: CEL rules (`x-kubernetes-validations`), list-type
 * uniqueness, string formats. Without a matching CRD, `monitoring.coreos.com` kinds fall back to the
 * `@kubernetes-models/prometheus-operator` model, which knows no unknown fields (and wrongly requires
 * apiVersion/kind in `storage.volumeClaimTemplate`); the verdict then carries a notice saying so.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { RE2 } from "re2-wasm";

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export type SchemaVerdict = (
  | { status: "valid" }
  | { status: "invalid"; errors: string[] }
  | { status: "no-schema" }
) & {
  /** Something the verdict could not cover, e.g. a custom resource checked without its CRD: worth a warning. */
  notice?: string;
};

export interface ValidationOptions {
  /**
   * The CustomResourceDefinitions of the object set. Custom resources they define are validated against them;
   * when given, a custom resource without its CRD gets a notice. Omitted: custom resources use the npm models.
   */
  crds?: readonly KubernetesObject[];
}

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
const BUILT_IN_PACKAGE = "kubernetes-models";
const CLIENT_PACKAGE = "@kubernetes/client-node";

const VERSION = /^v\d+(?:(?:alpha|beta)\d+)?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

type ModelClass = new (data: unknown) => { validate(): void };
interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  /** Present with ajv's `verbose`: lists the declared properties for an unknown-field hint. */
  parentSchema?: { properties?: Record<string, unknown> };
}

// The packages are ESM-only ("import" condition only), so they need a native import(): tsc (module node16)
// and jest's swc transform (ignoreDynamic) both leave import() as it is.
const nativeImport = (specifier: string): Promise<Record<string, unknown>> => import(specifier);

let specifiers: Map<string, string> | undefined; // "apps/v1/Deployment" -> "kubernetes-models/apps/v1/Deployment"
const models = new Map<string, Promise<ModelClass>>();

export function supportedKinds(): string[] {
  return [...kindSpecifiers().keys()].sort();
}

export async function validateKubernetesObject(
  obj: KubernetesObject,
  options: ValidationOptions = {},
): Promise<SchemaVerdict> {
  if (options.crds) {
    const crd = crdVersionFor(obj, options.crds);
    if (crd) return validateAgainstCrd(obj, crd);
  }
  const key = `${obj.apiVersion}/${obj.kind}`;
  const specifier = KIND.test(obj.kind) ? kindSpecifiers().get(key) : undefined;
  if (!specifier) return { status: "no-schema" };

  const Model = await loadModel(key, specifier, obj.kind);
  const pkg = GROUP_PACKAGES[apiGroup(obj.apiVersion)];
  const builtIn = pkg === BUILT_IN_PACKAGE;
  const unknown = builtIn ? await unknownBuiltInFields(obj) : { errors: await unknownMetadataFields(obj) };
  const errors = [...modelErrors(Model, obj), ...unknown.errors];
  const notice =
    unknown.notice ??
    (!builtIn && options.crds
      ? `not checked against a CRD: no CustomResourceDefinition in the set defines ${obj.apiVersion} ${obj.kind}; ` +
        `checked against the ${pkg} model instead, which knows no unknown fields`
      : undefined);
  return { ...(errors.length > 0 ? { status: "invalid", errors } : { status: "valid" }), ...(notice && { notice }) };
}

function modelErrors(Model: ModelClass, obj: KubernetesObject): string[] {
  try {
    new Model(obj).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: unknown } | null)?.errors;
    if (!Array.isArray(errors)) throw err; // not a schema verdict but a bug; don't disguise it as one
    return formatErrors(errors as AjvError[], obj, "");
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

// ---- Unknown fields of built-in kinds, along @kubernetes/client-node's type map ----

/** One declared field of a client-node model: JSON name and type (`V1PodSpec`, `Array<V1Container>`, `string`…). */
interface ModelAttribute {
  baseName: string;
  type: string;
}

const ARRAY_TYPE = /^Array<(.+)>$/;
const MAP_TYPE = /^\{ \[key: string\]: (.+); \}$/;
// Leaf types; `any`, `object` and IntOrString hold free-form values, so nothing below them is checked.
const LEAF_TYPES = new Set(["string", "number", "boolean", "Date", "any", "object", "IntOrString"]);
const MODEL_NAME = /^[A-Z][A-Za-z0-9]*$/;

const modelLoads = new Map<string, Promise<void>>();
const loadedModels = new Map<string, ReadonlyMap<string, string>>(); // model -> field -> type, for the walk

function clientModelsDir(): string {
  const root = packageDir(CLIENT_PACKAGE);
  if (!root) throw new Error(`${CLIENT_PACKAGE} is not installed`);
  return join(root, "dist", "gen", "models");
}

/** The Kubernetes version the client-node models were generated from, e.g. `1.33.0`. */
export function builtInModelsKubernetesVersion(): string {
  const header = readFileSync(join(clientModelsDir(), "V1ObjectMeta.js"), "utf8");
  const version = /OpenAPI spec version: v(\d+\.\d+\.\d+)/.exec(header)?.[1];
  if (!version) throw new Error(`${CLIENT_PACKAGE}: no OpenAPI spec version in the V1ObjectMeta model`);
  return version;
}

/**
 * The client-node model of a built-in resource: `<Version><Kind>` (V1Deployment), or with the group's first
 * word where the generator had to tell two groups apart (CoreV1Event). "" when Kubernetes' API has no such type.
 */
function builtInModelName(obj: KubernetesObject): string {
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["core", obj.apiVersion];
  const pascal = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
  const candidates = [
    `${pascal(version ?? "")}${obj.kind}`,
    `${pascal((group ?? "").split(".")[0] ?? "")}${pascal(version ?? "")}${obj.kind}`,
  ];
  const dir = clientModelsDir();
  return candidates.find((name) => MODEL_NAME.test(name) && existsSync(join(dir, `${name}.js`))) ?? "";
}

function loadClientModel(name: string): Promise<void> {
  let load = modelLoads.get(name);
  if (!load) {
    if (!MODEL_NAME.test(name)) throw new Error(`${CLIENT_PACKAGE}: unexpected type "${name}" in the type map`);
    load = nativeImport(`${CLIENT_PACKAGE}/dist/gen/models/${name}.js`).then((mod) => {
      const map = (mod[name] as { attributeTypeMap?: unknown } | undefined)?.attributeTypeMap;
      if (!Array.isArray(map) || !map.every((a) => typeof a?.baseName === "string" && typeof a?.type === "string")) {
        throw new Error(`${CLIENT_PACKAGE}: model ${name} has no attributeTypeMap of {baseName, type}`);
      }
      loadedModels.set(name, new Map((map as ModelAttribute[]).map((a) => [a.baseName, a.type])));
    });
    load.catch(() => modelLoads.delete(name));
    modelLoads.set(name, load);
  }
  return load;
}

/**
 * Unknown fields of `value`, declared as `type`. Loads only the models the value reaches (a Deployment needs a
 * few dozen of the ~700): walk, load what the walk was missing, walk again until nothing is missing.
 */
async function unknownFields(value: unknown, type: string, at: string[]): Promise<UnknownField[]> {
  for (;;) {
    const missing = new Set<string>();
    const found = [...unknownFieldsIn(value, type, at, missing)];
    if (missing.size === 0) return found;
    await Promise.all([...missing].map(loadClientModel));
  }
}

interface UnknownField {
  at: string[];
  owner: string;
  declared: string[];
}

/**
 * Every key of `value` that its declared type (or a type nested in it) does not declare. `missing` collects
 * the models not loaded yet; the parts of the value they describe are skipped on this walk.
 */
function* unknownFieldsIn(value: unknown, type: string, at: string[], missing: Set<string>): Generator<UnknownField> {
  const element = ARRAY_TYPE.exec(type)?.[1];
  if (element !== undefined) {
    if (Array.isArray(value))
      for (const [i, item] of value.entries()) yield* unknownFieldsIn(item, element, [...at, String(i)], missing);
    return;
  }
  const mapValue = MAP_TYPE.exec(type)?.[1];
  if (mapValue !== undefined) {
    if (isPlainObject(value))
      for (const [k, v] of Object.entries(value)) yield* unknownFieldsIn(v, mapValue, [...at, k], missing);
    return;
  }
  if (LEAF_TYPES.has(type) || !isPlainObject(value)) return; // wrong types: the schema check reports them
  const declared = loadedModels.get(type);
  if (!declared) {
    missing.add(type);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const fieldType = declared.get(key);
    if (fieldType === undefined) yield { at: [...at, key], owner: type, declared: [...declared.keys()] };
    else yield* unknownFieldsIn(v, fieldType, [...at, key], missing);
  }
}

/** Unknown fields of a built-in object; a notice when the targeted Kubernetes API has no such type. */
async function unknownBuiltInFields(obj: KubernetesObject): Promise<{ errors: string[]; notice?: string }> {
  const model = builtInModelName(obj);
  if (!model) {
    const api = `Kubernetes ${builtInModelsKubernetesVersion()} API`;
    return {
      errors: await unknownMetadataFields(obj),
      notice: `unknown fields not checked: the ${api} (${CLIENT_PACKAGE}) has no ${obj.apiVersion} ${obj.kind}`,
    };
  }
  return { errors: (await unknownFields(obj, model, [])).map((f) => unknownFieldError(f, obj)) };
}

/** Custom resources' metadata is ObjectMeta too; the CRD schema does not describe it. */
async function unknownMetadataFields(obj: KubernetesObject): Promise<string[]> {
  return (await unknownFields(obj.metadata, "V1ObjectMeta", ["metadata"])).map((f) => unknownFieldError(f, obj));
}

function unknownFieldError(f: UnknownField, obj: KubernetesObject): string {
  // V1DeploymentSpec -> DeploymentSpec, CoreV1EndpointPort -> EndpointPort: the names of the API reference.
  const owner = f.owner.replace(/^(?:[A-Z][a-z]+)?V\d+(?:(?:alpha|beta)\d+)?(?=[A-Z])/, "");
  const field = f.at[f.at.length - 1] ?? "";
  return `${jsonPath(f.at, obj)}: unknown field (${owner} has no field "${field}"${didYouMean(field, f.declared)})`;
}

// ---- Custom resources, against the CRDs of the object set ----

/** The parts of an apiextensions.k8s.io/v1 JSONSchemaProps this check reads. */
interface CrdSchema {
  type?: string;
  properties?: Record<string, CrdSchema>;
  additionalProperties?: boolean | CrdSchema;
  items?: CrdSchema;
  allOf?: CrdSchema[];
  anyOf?: CrdSchema[];
  oneOf?: CrdSchema[];
  not?: CrdSchema;
  required?: string[];
  enum?: unknown[];
  nullable?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  [keyword: string]: unknown;
}
type JsonSchema = Record<string, unknown>;

interface CrdVersion {
  /** `servicemonitors.monitoring.coreos.com/v1`, for messages. */
  name: string;
  schema?: CrdSchema;
  /** Set when the CRD defines the kind but does not serve the object's version. */
  problem?: string;
}

interface CrdSpec {
  group?: string;
  names?: { kind?: string };
  versions?: { name?: string; served?: boolean; schema?: { openAPIV3Schema?: CrdSchema } }[];
}

const apiGroup = (apiVersion: string) => (apiVersion.includes("/") ? (apiVersion.split("/")[0] ?? "") : "");

function crdVersionFor(obj: KubernetesObject, crds: readonly KubernetesObject[]): CrdVersion | undefined {
  const group = apiGroup(obj.apiVersion);
  const version = obj.apiVersion.slice(group ? group.length + 1 : 0);
  const crd = crds.find((c) => {
    const spec = c.spec as CrdSpec | undefined;
    return c.apiVersion === "apiextensions.k8s.io/v1" && spec?.group === group && spec.names?.kind === obj.kind;
  });
  if (!crd) return undefined;
  const crdName = crd.metadata?.name ?? `${obj.kind} CRD`;
  const served = ((crd.spec as CrdSpec).versions ?? []).filter((v) => v.served !== false);
  const match = served.find((v) => v.name === version);
  if (!match) {
    const names = served.map((v) => v.name).join(", ") || "none";
    return { name: crdName, problem: `apiVersion: CRD ${crdName} serves no version ${version} (served: ${names})` };
  }
  return { name: `${crdName}/${version}`, schema: match.schema?.openAPIV3Schema };
}

async function validateAgainstCrd(obj: KubernetesObject, crd: CrdVersion): Promise<SchemaVerdict> {
  if (crd.problem) return { status: "invalid", errors: [crd.problem] };
  if (!crd.schema) return { status: "no-schema" };
  const schemaErrors = crdSchemaErrors(withoutPrunedNulls(obj, crd.schema), convertedCrdSchema(crd.schema), "");
  const errors = [...formatErrors(schemaErrors, obj, `CRD ${crd.name}`), ...(await unknownMetadataFields(obj))];
  return errors.length > 0 ? { status: "invalid", errors } : { status: "valid" };
}

// Kubernetes matches CRD patterns with Go's RE2 (`(?i)`…), which JavaScript's RegExp does not accept. One RE2
// per pattern: the operator CRDs repeat the same few patterns in every node that ajv compiles.
const re2s = new Map<string, RE2>();
const re2Engine = Object.assign(
  (pattern: string, flags: string) => {
    let re2 = re2s.get(`${flags}/${pattern}`);
    if (!re2) {
      re2 = new RE2(pattern, flags);
      re2s.set(`${flags}/${pattern}`, re2);
    }
    return re2;
  },
  { code: 'new (require("re2-wasm").RE2)' },
);
const crdAjv = new Ajv({
  allErrors: true,
  verbose: true,
  strict: false,
  allowUnionTypes: true,
  validateFormats: false,
  code: { regExp: re2Engine },
});
const convertedCrdSchemas = new WeakMap<CrdSchema, JsonSchema>();
const nodeValidators = new WeakMap<JsonSchema, ValidateFunction>();

/** Converted once per CRD version. */
function convertedCrdSchema(schema: CrdSchema): JsonSchema {
  let converted = convertedCrdSchemas.get(schema);
  if (!converted) {
    converted = crdRootSchema(schema);
    convertedCrdSchemas.set(schema, converted);
  }
  return converted;
}

/**
 * Errors of `value` (at JSON pointer `pointer`) against a converted CRD schema. Each object or array node of
 * the schema is compiled on its own, once, when an object first reaches it: compiling a whole operator CRD
 * (Prometheus: 100 KB of schema, 2 MB of generated code) takes seconds, the parts objects use milliseconds.
 */
function crdSchemaErrors(value: unknown, schema: JsonSchema, pointer: string): AjvError[] {
  const validate = nodeValidator(schema);
  const own = validate(value) ? [] : ((validate.errors ?? []) as AjvError[]);
  const errors = own.map((e) => ({ ...e, instancePath: pointer + e.instancePath }));
  for (const [key, child, childSchema] of compositeChildren(value, schema)) {
    errors.push(...crdSchemaErrors(child, childSchema, `${pointer}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`));
  }
  return errors;
}

function nodeValidator(schema: JsonSchema): ValidateFunction {
  let validate = nodeValidators.get(schema);
  if (!validate) {
    validate = crdAjv.compile(shallow(schema));
    nodeValidators.set(schema, validate);
  }
  return validate;
}

const isSchemaObject = (s: unknown): s is JsonSchema => isPlainObject(s);
const isComposite = (s: unknown): s is JsonSchema =>
  isSchemaObject(s) && (s.properties !== undefined || s.items !== undefined || isSchemaObject(s.additionalProperties));

/** The node's own keywords; object and array children become `true`, checked by their own validators. */
function shallow(schema: JsonSchema): JsonSchema {
  const out = { ...schema };
  if (isSchemaObject(schema.properties)) {
    out.properties = mapValues(schema.properties, (p) => (isComposite(p) ? true : p));
  }
  if (isComposite(schema.items)) out.items = true;
  if (isComposite(schema.additionalProperties)) out.additionalProperties = true;
  return out;
}

/** The children of `value` whose schema is an object or array node: `[key, child, child schema]`. */
function compositeChildren(value: unknown, schema: JsonSchema): [string, unknown, JsonSchema][] {
  if (Array.isArray(value)) {
    const items = schema.items;
    return isComposite(items) ? value.map((item, i) => [String(i), item, items]) : [];
  }
  if (!isPlainObject(value)) return [];
  const properties = isSchemaObject(schema.properties) ? schema.properties : {};
  return Object.entries(value).flatMap(([key, child]) => {
    const childSchema = Object.hasOwn(properties, key) ? properties[key] : schema.additionalProperties;
    return isComposite(childSchema) ? [[key, child, childSchema] as [string, unknown, JsonSchema]] : [];
  });
}

const STRING_SCHEMA: CrdSchema = { type: "string" };

/**
 * apiVersion, kind and metadata are always allowed on a resource. Metadata stays open: it is ObjectMeta,
 * checked apart; a CRD may only constrain its name.
 */
function resourceFields(properties: Record<string, CrdSchema> | undefined): Record<string, CrdSchema> {
  const metadata = { ...properties?.metadata, type: "object", "x-kubernetes-preserve-unknown-fields": true };
  return { apiVersion: STRING_SCHEMA, kind: STRING_SCHEMA, ...properties, metadata };
}

function crdRootSchema(schema: CrdSchema): JsonSchema {
  return toJsonSchema({ ...schema, properties: resourceFields(schema.properties) }, true);
}

// Kubernetes extensions are translated here; descriptions and examples only slow compiling down.
const IGNORED_KEYWORD = /^(?:x-kubernetes-.*|description|example)$/;

/**
 * A CRD's structural schema as JSON schema for ajv. Objects with `properties` are closed unless they declare
 * `additionalProperties` or preserve unknown fields: the API server prunes (and strict field validation
 * rejects) anything else. Inside allOf/anyOf/oneOf/not nothing is closed: structural schemas only repeat
 * properties of the enclosing schema there.
 */
function toJsonSchema(schema: CrdSchema, closeObjects: boolean): JsonSchema {
  const { properties, additionalProperties, items, allOf, anyOf, oneOf, not, nullable, ...rest } = schema;
  const out: JsonSchema = Object.fromEntries(Object.entries(rest).filter(([k]) => !IGNORED_KEYWORD.test(k)));
  const embedded = schema["x-kubernetes-embedded-resource"] === true;
  const fields = embedded ? resourceFields(properties) : properties;
  const intOrString = schema["x-kubernetes-int-or-string"] === true;
  if (intOrString) out.type = ["integer", "string"];
  if (nullable === true) allowNull(out);
  if (fields) out.properties = mapValues(fields, (p) => toJsonSchema(p, closeObjects));
  if (embedded) out.required = [...new Set([...(schema.required ?? []), "apiVersion", "kind"])];
  if (items) out.items = toJsonSchema(items, closeObjects);
  if (typeof additionalProperties === "object")
    out.additionalProperties = toJsonSchema(additionalProperties, closeObjects);
  else if (additionalProperties !== undefined) out.additionalProperties = additionalProperties;
  else if (closeObjects && fields && schema["x-kubernetes-preserve-unknown-fields"] !== true) {
    out.additionalProperties = false;
  }
  for (const [keyword, branches] of Object.entries({ allOf, anyOf, oneOf })) {
    // `anyOf: [{type: integer}, {type: string}]` only restates int-or-string: one error is enough.
    if (branches && !(intOrString && branches.every(isIntOrStringBranch))) {
      out[keyword] = branches.map((b) => toJsonSchema(b, false));
    }
  }
  if (not) out.not = toJsonSchema(not, false);
  exclusiveBoundsAsNumbers(out);
  return out;
}

/**
 * OpenAPI v3.0 (what CRDs use) writes `exclusiveMinimum: true` beside `minimum`; JSON schema draft 7 (ajv)
 * wants the bound itself (Chaos Mesh's Schedule `startingDeadlineSeconds`).
 */
function exclusiveBoundsAsNumbers(schema: JsonSchema): void {
  for (const [exclusive, bound] of [
    ["exclusiveMinimum", "minimum"],
    ["exclusiveMaximum", "maximum"],
  ] as const) {
    if (typeof schema[exclusive] !== "boolean") continue;
    if (schema[exclusive] === true && typeof schema[bound] === "number") {
      schema[exclusive] = schema[bound];
      delete schema[bound];
    } else delete schema[exclusive];
  }
}

const isIntOrStringBranch = (b: CrdSchema) =>
  Object.keys(b).length === 1 && (b.type === "integer" || b.type === "string");

function allowNull(schema: JsonSchema): void {
  if (schema.type !== undefined) schema.type = [...[schema.type].flat(), "null"];
  if (Array.isArray(schema.enum)) schema.enum = [...schema.enum, null];
}

/**
 * The object as the API server validates it: a null field is dropped (pruned) unless the schema says it is
 * nullable, so `foo: null` is valid for any declared field. Unknown fields keep their nulls, to be reported.
 */
function withoutPrunedNulls(value: unknown, schema: CrdSchema | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => withoutPrunedNulls(item, schema?.items));
  if (!isPlainObject(value)) return value;
  const entries = Object.entries(value).flatMap(([key, v]) => {
    const additional = schema?.additionalProperties;
    const declared = schema?.properties && Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
    const field = declared ?? (typeof additional === "object" ? additional : undefined);
    if (v === null && field && field.nullable !== true) return [];
    return [[key, withoutPrunedNulls(v, field)] as const];
  });
  return Object.fromEntries(entries);
}

// ---- Shared helpers ----

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mapValues<T, U>(record: Record<string, T>, fn: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));
}

/** `; did you mean "replicas"?` for a near miss (case, or at most two edits), else "". */
function didYouMean(field: string, declared: readonly string[]): string {
  const distance = (known: string) =>
    known.toLowerCase() === field.toLowerCase() ? 0 : editDistance(field.toLowerCase(), known.toLowerCase());
  const limit = Math.min(2, Math.floor(field.length / 3));
  const best = declared
    .map((known) => ({ known, d: distance(known) }))
    .filter((c) => c.d <= limit)
    .sort((a, b) => a.d - b.d)[0];
  return best ? `; did you mean "${best.known}"?` : "";
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** `owner` names the schema in unknown-field messages, e.g. `CRD servicemonitors.monitoring.coreos.com/v1`. */
function formatErrors(errors: AjvError[], obj: unknown, owner: string): string[] {
  const lines = errors.map((e) => ({ ...describe(e, obj, owner), keyword: e.keyword }));
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

function describe(e: AjvError, obj: unknown, owner: string): { path: string; text: string } {
  const segments = e.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (e.keyword === "required")
    return { path: jsonPath([...segments, String(e.params.missingProperty)], obj), text: "is required" };
  if (e.keyword === "additionalProperties") {
    const field = String(e.params.additionalProperty);
    const hint = didYouMean(field, Object.keys(e.parentSchema?.properties ?? {}));
    return {
      path: jsonPath([...segments, field], obj),
      text: `unknown field (${owner} has no field "${field}" here${hint})`,
    };
  }
  const text =
    e.keyword === "enum"
      ? `must be one of ${JSON.stringify(e.params.allowedValues)}`
      : e.keyword === "type" && String(e.params.type).includes(",")
        ? `must be ${String(e.params.type).split(",").join(" or ")}` // ajv says "must be integer,string"
        : (e.message ?? e.keyword);
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
