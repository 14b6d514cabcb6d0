import { parse } from "yaml";
import type { RenderedObject } from "../../../render/render";
import { GI, quantityBytes } from "./units";

export const CHECK = "rendered-config";

export type Json = Record<string, unknown>;

export const isRecord = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
export const at = (v: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((x, k) => (isRecord(x) ? x[k] : undefined), v);
export const records = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isRecord) : []);
export const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
export const keysOf = (v: unknown): string[] => (isRecord(v) ? Object.keys(v) : []);
export const show = (v: unknown): string => (v === undefined ? "absent" : JSON.stringify(v));

// Workloads, mounts and the files they read

export interface Running {
  r: RenderedObject;
  namespace: string;
  /** The workload's spec (volumeClaimTemplates live here). */
  spec: Json;
  pod: Json;
  container: Json;
}

/** Chart templates may omit metadata.namespace (the Jaeger chart does): the release's namespace applies. */
export function namespaceResolver(objects: RenderedObject[]): (r: RenderedObject) => string {
  const counts = new Map<string, Map<string, number>>();
  for (const r of objects) {
    const ns = r.object.metadata.namespace;
    if (!ns) continue;
    const byNs = counts.get(r.origin) ?? new Map<string, number>();
    byNs.set(ns, (byNs.get(ns) ?? 0) + 1);
    counts.set(r.origin, byNs);
  }
  const release = new Map(
    [...counts].map(([origin, byNs]) => [origin, [...byNs].sort((a, b) => b[1] - a[1])[0]?.[0] ?? ""]),
  );
  return (r) => r.object.metadata.namespace ?? release.get(r.origin) ?? "";
}

/** `docker.io/grafana/loki:3.7.6@sha256:…` → `loki`. */
export function imageName(image: unknown): string {
  const ref = String(image ?? "").split("@")[0] ?? "";
  return ref.slice(ref.lastIndexOf("/") + 1).split(":")[0] ?? "";
}

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

export function containersRunning(
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
  image: (name: string) => boolean,
): Running[] {
  const out: Running[] = [];
  for (const r of objects) {
    if (!WORKLOADS.has(r.object.kind)) continue;
    const spec = at(r.object, "spec");
    const pod = at(spec, "template", "spec");
    if (!isRecord(spec) || !isRecord(pod)) continue;
    for (const container of records(pod.containers)) {
      if (image(imageName(container.image))) out.push({ r, namespace: nsOf(r), spec, pod, container });
    }
  }
  return out;
}

const argv = (c: Json): string[] => [...strings(c.command), ...strings(c.args)];

/** Every value of a flag in any spelling: `-f=v`, `--f=v`, `-f v`, `--f v`. */
export function flagValues(args: string[], flag: string): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(a);
    if (m?.[1] !== flag) return;
    const value = m[2] ?? args[i + 1];
    if (value !== undefined) out.push(value);
  });
  return out;
}

interface Mount {
  volume: string;
  mountPath: string;
  /** The path inside the volume the file or directory is at ("" for the volume's root). */
  inner: string;
}

/** The mount a container sees `path` through: the longest mount path that covers it. */
export function mountAt(container: Json, path: string): Mount | undefined {
  let best: Mount | undefined;
  for (const m of records(container.volumeMounts)) {
    const mountPath = String(m.mountPath ?? "").replace(/\/+$/, "");
    const rest =
      path === mountPath ? "" : path.startsWith(`${mountPath}/`) ? path.slice(mountPath.length + 1) : undefined;
    if (rest === undefined || (best && best.mountPath.length >= mountPath.length)) continue;
    const sub = typeof m.subPath === "string" ? m.subPath : "";
    best = { volume: String(m.name), mountPath, inner: [sub, rest].filter(Boolean).join("/") };
  }
  return best;
}

type VolumeSource =
  | { kind: "claimTemplate"; claim: Json }
  | { kind: "persistentVolumeClaim"; claimName: string }
  | { kind: "configMap" | "secret"; name: string; items: Json[] }
  | { kind: "missing" }
  /** Any other volume type (emptyDir, hostPath, …), named in `type`. */
  | { kind: "other"; type: string };

export const sourceName = (src: VolumeSource): string => (src.kind === "other" ? src.type : src.kind);

/** What backs a pod volume; a StatefulSet's claim template wins over a pod volume of the same name. */
export function volumeSource(w: Pick<Running, "spec" | "pod">, name: string): VolumeSource {
  const claim = records(w.spec.volumeClaimTemplates).find((c) => at(c, "metadata", "name") === name);
  if (claim) return { kind: "claimTemplate", claim };
  const v = records(w.pod.volumes).find((x) => x.name === name);
  if (!v) return { kind: "missing" };
  if (isRecord(v.persistentVolumeClaim))
    return { kind: "persistentVolumeClaim", claimName: String(v.persistentVolumeClaim.claimName) };
  if (isRecord(v.configMap))
    return { kind: "configMap", name: String(v.configMap.name), items: records(v.configMap.items) };
  if (isRecord(v.secret)) return { kind: "secret", name: String(v.secret.secretName), items: records(v.secret.items) };
  return { kind: "other", type: Object.keys(v).find((k) => k !== "name") ?? "unknown" };
}

interface MountedFile {
  source: RenderedObject;
  key: string;
  text: string;
}

/** The text a container reads at `file`, from the ConfigMap or Secret mounted there; else why not. */
export function mountedFile(
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
  w: Running,
  file: string,
): MountedFile | string {
  const mount = mountAt(w.container, file);
  if (!mount) return `no volume is mounted at ${file}: the container would read its image's file, if any`;
  const src = volumeSource(w, mount.volume);
  if (src.kind !== "configMap" && src.kind !== "secret")
    return `${file} is on volume "${mount.volume}" (${sourceName(src)}), not a ConfigMap or Secret`;
  const { name, items } = src;
  const key = items.length > 0 ? items.find((i) => i.path === mount.inner)?.key : mount.inner;
  if (typeof key !== "string" || key === "" || key.includes("/"))
    return `${file}: the ${src.kind} volume "${mount.volume}" (${name}) has no file "${mount.inner}"`;
  const kind = src.kind === "configMap" ? "ConfigMap" : "Secret";
  const source = objects.find(
    (r) => r.object.kind === kind && r.object.metadata.name === name && nsOf(r) === w.namespace,
  );
  if (!source) return `${file} comes from ${kind} ${w.namespace}/${name}, which is not in the set`;
  const o = source.object;
  const text =
    kind === "ConfigMap"
      ? (at(o, "data", key) ?? decode(at(o, "binaryData", key)))
      : (at(o, "stringData", key) ?? decode(at(o, "data", key)));
  if (typeof text !== "string") return `${file}: ${kind} ${w.namespace}/${name} has no key "${key}"`;
  return { source, key, text };
}

const decode = (b64: unknown) => (typeof b64 === "string" ? Buffer.from(b64, "base64").toString("utf8") : undefined);

export function parseConfig(text: string): Json | string {
  try {
    const doc: unknown = parse(text);
    return isRecord(doc) ? doc : "is not a YAML map";
  } catch (err) {
    return `does not parse: ${(err as Error).message.split("\n")[0]}`;
  }
}

/** The collector (and Jaeger v2) merge several --config files: maps deeply, everything else replaced. */
const merge = (a: Json, b: Json): Json =>
  Object.fromEntries(
    [...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => {
      const [x, y] = [a[k], b[k]];
      return [k, isRecord(x) && isRecord(y) ? merge(x, y) : k in b ? y : x];
    }),
  );

interface LoadedConfig {
  config: Json;
  /** Where findings about the file's content point: the ConfigMap or Secret. */
  source: RenderedObject;
  /** `key relay of ConfigMap …, read at /conf/relay.yaml`: evidence for messages. */
  where: string;
}

/** Reads and merges the config files a workload's `flag` names, or says why it cannot. */
export function loadConfig(
  objects: RenderedObject[],
  nsOf: (r: RenderedObject) => string,
  w: Running,
  flag: string,
): LoadedConfig | string {
  const files = flagValues(argv(w.container), flag).map((f) => f.replace(/^file:/, ""));
  if (files.length === 0) return `container ${w.container.name} has no --${flag}: it would run its built-in defaults`;
  const loaded: LoadedConfig[] = [];
  for (const file of files) {
    if (!file.startsWith("/")) return `--${flag}=${file} is not a file this check can read`;
    const mounted = mountedFile(objects, nsOf, w, file);
    if (typeof mounted === "string") return mounted;
    const config = parseConfig(mounted.text);
    if (typeof config === "string") return `${file} (key ${mounted.key}) ${config}`;
    const where = `key ${mounted.key} of ${mounted.source.object.kind} ${mounted.source.object.metadata.name}, read at ${file}`;
    loaded.push({ config, source: mounted.source, where });
  }
  const [first] = loaded as [LoadedConfig, ...LoadedConfig[]];
  return { ...first, config: loaded.map((l) => l.config).reduce(merge) };
}

/** Size and class of a claim against the stack config. */
export function claimProblems(claimSpec: unknown, expectedGi: number, what: string, storageClass?: string): string[] {
  const out: string[] = [];
  const size = at(claimSpec, "resources", "requests", "storage");
  if (quantityBytes(size) !== expectedGi * GI)
    out.push(`requests storage ${show(size)}, expected "${expectedGi}Gi" (${what})`);
  const cls = at(claimSpec, "storageClassName");
  if (storageClass && cls !== storageClass)
    out.push(`storageClassName is ${show(cls)}, expected "${storageClass}" (storage.storageClass)`);
  return out;
}

/** Claims a workload holds although the stack is not persistent: they pin volumes dev does not want. */
export function claimsWhenEphemeral(w: Running): string[] {
  const templates = records(w.spec.volumeClaimTemplates).map(
    (c) =>
      `volumeClaimTemplate "${at(c, "metadata", "name")}" (${show(at(c, "spec", "resources", "requests", "storage"))})`,
  );
  const volumes = records(w.pod.volumes)
    .filter((v) => isRecord(v.persistentVolumeClaim))
    .map((v) => `volume "${v.name}" from PersistentVolumeClaim ${show(at(v, "persistentVolumeClaim", "claimName"))}`);
  return [...templates, ...volumes].map((c) => `${c}, expected none: storage.persistent is false`);
}
