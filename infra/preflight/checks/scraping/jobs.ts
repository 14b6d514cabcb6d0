import { parse } from "yaml";
import type { RenderedObject } from "../../../render/render";
import { describe, namespaceOf, type PodTemplate, podTemplates } from "../objects";
import { loadedBy, prometheusesOf } from "./selection";
import {
  endpointsOf,
  isMonitoring,
  type Json,
  labelsOf,
  type MonitorEndpoint,
  podHasEndpointPort,
  podsOfService,
  podsSelectedBy,
  type Relabeling,
  serviceHasEndpointPort,
  servicesSelectedBy,
  specOf,
} from "./targets";

/** A target Prometheus would discover: one monitor endpoint reaching one Service (or pod template). */
export interface ScrapeTarget {
  monitor: RenderedObject;
  /** Index into `endpoints` / `podMetricsEndpoints`. */
  endpoint: number;
  /** The Service the target is discovered through (ServiceMonitor only). */
  service?: RenderedObject;
  /** Pod templates behind the target; empty for a Service without a selector (endpoints managed elsewhere). */
  pods: PodTemplate[];
  /** The `job` label; undefined when a relabeling computes it from labels this model does not know. */
  job: string | undefined;
}

/** A `job` label value Prometheus would attach, and what produces it. */
export interface ProducedJob {
  /** undefined: set by a relabeling from labels this model does not know. */
  job: string | undefined;
  by: string;
}

/** The `job` a relabeled target ends with: "" when relabeling removed it, undefined when unknown. */
const jobOf = (labels: Labels) => (labels.has("job") ? labels.get("job") : "");

/**
 * A regex anchored as Prometheus anchors label matchers and relabel regexes (`^(?:re)$`). RE2 spellings JS
 * lacks are translated (`(?P<name>`, a leading `(?i)`/`(?s)`); undefined when JS cannot compile it.
 */
export function anchoredRegex(re: string): RegExp | undefined {
  let source = re.replace(/\(\?P</g, "(?<");
  let flags = "";
  const leading = /^\(\?([is]+)\)/.exec(source);
  if (leading?.[1]) {
    flags = [...new Set(leading[1])].join("");
    source = source.slice(leading[0].length);
  }
  try {
    return new RegExp(`^(?:${source})$`, flags);
  } catch {
    return undefined;
  }
}

/** Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; unknown groups expand to "". */
function expand(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(\$|\{(\w+)\}|(\w+))/g, (_all, token: string, braced?: string, bare?: string) => {
    if (token === "$") return "$";
    const name = braced ?? bare ?? "";
    const value = /^\d+$/.test(name) ? match[Number(name)] : match.groups?.[name];
    return value ?? "";
  });
}

/** A target's labels while relabeling: undefined values are labels this model cannot know. */
type Labels = Map<string, string | undefined>;

/**
 * Applies the relabelings that can change `job` or drop the target. Returns the final labels, or null when
 * a keep/drop rule drops the target. Labels absent from `labels` are unknown (discovery metadata this
 * model does not build), so whatever is computed from them is unknown too.
 */
function relabel(labels: Labels, relabelings: Relabeling[]): Labels | null {
  const out = new Map(labels);
  for (const r of relabelings) {
    const action = (r.action ?? "replace").toLowerCase();
    const sources = r.sourceLabels ?? r.source_labels ?? [];
    const values = sources.map((s) => (out.has(s) ? out.get(s) : undefined));
    const known = values.every((v) => v !== undefined);
    const joined = values.join(r.separator ?? ";");
    const regex = anchoredRegex(r.regex ?? "(.*)");
    const target = r.targetLabel ?? r.target_label;
    if (action === "keep" || action === "drop") {
      if (!known || !regex) continue; // cannot tell: assume the target stays
      if (regex.test(joined) !== (action === "keep")) return null;
    } else if (action === "replace" && target) {
      if (!known || !regex) {
        out.set(target, undefined);
        continue;
      }
      const match = regex.exec(joined);
      if (!match) continue;
      const value = expand(r.replacement ?? "$1", match);
      if (value === "") out.delete(target);
      else out.set(target, value);
    } else if ((action === "lowercase" || action === "uppercase") && target) {
      out.set(target, known ? (action === "lowercase" ? joined.toLowerCase() : joined.toUpperCase()) : undefined);
    } else if (action === "labeldrop" || action === "labelkeep") {
      // Only whether `job` itself survives matters here.
      if (regex && regex.test("job") === (action === "labeldrop")) out.delete("job");
    } else if (action === "labelmap" || (action === "hashmod" && target === "job")) {
      out.set("job", undefined); // may write `job` from label names this model does not know
    }
  }
  return out;
}

/** Prometheus label names allow only [a-zA-Z0-9_]: the operator sanitizes Kubernetes label keys so. */
const sanitize = (key: string) => key.replace(/[^a-zA-Z0-9_]/g, "_");

/** `__meta_kubernetes_<role>_label_*` and `labelpresent_*` for an object's labels. */
function metaLabels(role: "service" | "pod", labels: Record<string, string>): [string, string][] {
  return Object.entries(labels).flatMap(([k, v]): [string, string][] => [
    [`__meta_kubernetes_${role}_label_${sanitize(k)}`, v],
    [`__meta_kubernetes_${role}_labelpresent_${sanitize(k)}`, "true"],
  ]);
}

/** The job a ServiceMonitor target gets: Service name, else the Service label named by jobLabel, then relabelings. */
function serviceMonitorJob(monitor: RenderedObject, endpoint: MonitorEndpoint, service: RenderedObject) {
  const serviceLabels = labelsOf(service);
  const jobLabel: string | undefined = specOf(monitor).jobLabel;
  const fromLabel = jobLabel ? serviceLabels[jobLabel] : undefined;
  const job = fromLabel ? fromLabel : service.object.metadata.name; // an empty label value keeps the name
  const labels: Labels = new Map([
    ["job", job],
    ["namespace", namespaceOf(service.object)],
    ["service", service.object.metadata.name],
    ["__meta_kubernetes_namespace", namespaceOf(service.object)],
    ["__meta_kubernetes_service_name", service.object.metadata.name],
    ...metaLabels("service", serviceLabels),
    ...(endpoint.port
      ? ([
          ["endpoint", endpoint.port],
          ["__meta_kubernetes_endpoint_port_name", endpoint.port],
        ] as [string, string][])
      : []),
  ]);
  return relabel(labels, endpoint.relabelings ?? []);
}

/** The job a PodMonitor target gets: `<namespace>/<name>`, else the pod label named by jobLabel, then relabelings. */
function podMonitorJob(monitor: RenderedObject, endpoint: MonitorEndpoint, pod: PodTemplate) {
  const jobLabel: string | undefined = specOf(monitor).jobLabel;
  const fromLabel = jobLabel ? pod.labels[jobLabel] : undefined;
  const job = fromLabel ? fromLabel : `${namespaceOf(monitor.object)}/${monitor.object.metadata.name}`;
  const labels: Labels = new Map([
    ["job", job],
    ["namespace", pod.namespace],
    ["__meta_kubernetes_namespace", pod.namespace],
    ...metaLabels("pod", pod.labels),
    ...(endpoint.port ? ([["endpoint", endpoint.port]] as [string, string][]) : []),
  ]);
  return relabel(labels, endpoint.relabelings ?? []);
}

/**
 * Every target the ServiceMonitors and PodMonitors in the set would produce: those `loaded` says a Prometheus
 * loads (default: some Prometheus of the set, see loadedBy; `() => true` for every monitor).
 */
export function scrapeTargets(
  objects: RenderedObject[],
  loaded: (monitor: RenderedObject) => boolean = loadedBy(objects),
): ScrapeTarget[] {
  const pods = podTemplates(objects);
  const out: ScrapeTarget[] = [];
  for (const monitor of objects.filter((r) => isMonitoring(r, "ServiceMonitor") && loaded(r))) {
    const selected = servicesSelectedBy(monitor, objects);
    endpointsOf(monitor).forEach((endpoint, index) => {
      for (const service of selected) {
        const behind = podsOfService(service, pods);
        if (!serviceHasEndpointPort(endpoint, service, behind)) continue;
        const labels = serviceMonitorJob(monitor, endpoint, service);
        if (labels) out.push({ monitor, endpoint: index, service, pods: behind, job: jobOf(labels) });
      }
    });
  }
  for (const monitor of objects.filter((r) => isMonitoring(r, "PodMonitor") && loaded(r))) {
    const selected = podsSelectedBy(monitor, pods);
    endpointsOf(monitor).forEach((endpoint, index) => {
      for (const pod of selected.filter((p) => podHasEndpointPort(endpoint, p))) {
        const labels = podMonitorJob(monitor, endpoint, pod);
        if (labels) out.push({ monitor, endpoint: index, pods: [pod], job: jobOf(labels) });
      }
    });
  }
  return out;
}

/** Static jobs of the Prometheus resources' additionalScrapeConfigs Secret (the kps chart's extra jobs). */
function additionalScrapeJobs(objects: RenderedObject[], prometheuses: RenderedObject[]): ProducedJob[] {
  const out: ProducedJob[] = [];
  for (const prometheus of prometheuses) {
    const ref = specOf(prometheus).additionalScrapeConfigs;
    if (!ref?.name || !ref.key) continue;
    const secret = objects.find(
      (r) =>
        r.object.kind === "Secret" &&
        r.object.metadata.name === ref.name &&
        namespaceOf(r.object) === namespaceOf(prometheus.object),
    );
    const data = secret?.object as Json;
    const text: string | undefined =
      data?.stringData?.[ref.key] ??
      (data?.data?.[ref.key] ? Buffer.from(data.data[ref.key], "base64").toString("utf8") : undefined);
    if (!text || !secret) continue;
    const configs: Json[] = parse(text) ?? [];
    for (const config of Array.isArray(configs) ? configs : []) {
      const by = `${describe(secret)} job_name ${config.job_name}`;
      const statics: Json[] = config.static_configs?.length ? config.static_configs : [{}];
      for (const s of statics) {
        // A `job` target label in static_configs overrides job_name, as in Prometheus.
        const labels: Labels = new Map([["job", s.labels?.job ?? config.job_name]]);
        const final = relabel(labels, config.relabel_configs ?? []);
        if (final) out.push({ job: jobOf(final), by });
      }
    }
  }
  return out;
}

/** Jobs of Probe and ScrapeConfig objects: `spec.jobName`, else the operator's `probe/…`/`scrapeConfig/…` name. */
function namedJobs(objects: RenderedObject[], loaded: (r: RenderedObject) => boolean): ProducedJob[] {
  const out: ProducedJob[] = [];
  for (const [kind, prefix] of [
    ["Probe", "probe"],
    ["ScrapeConfig", "scrapeConfig"],
  ] as const) {
    for (const r of objects.filter((o) => isMonitoring(o, kind) && loaded(o))) {
      const job = specOf(r).jobName || `${prefix}/${namespaceOf(r.object)}/${r.object.metadata.name}`;
      out.push({ job, by: describe(r) });
    }
  }
  return out;
}

/**
 * The `job` label values Prometheus would attach: ServiceMonitor → the Service name, or the value of the
 * Service label named by `spec.jobLabel`; PodMonitor → `<namespace>/<name>`, or the pod label named by
 * `jobLabel`; then each endpoint's relabelings; plus Probe/ScrapeConfig job names and the static jobs of
 * additionalScrapeConfigs. Only what `prometheus` loads when given, else what any Prometheus of the set loads
 * (every monitor when the set has none).
 */
export function jobsProduced(objects: RenderedObject[], prometheus?: RenderedObject): ProducedJob[] {
  const loaded = loadedBy(objects, prometheus);
  const fromMonitors = scrapeTargets(objects, loaded).map((t) => ({
    job: t.job,
    by: `${describe(t.monitor)}${t.service ? ` via Service ${t.service.object.metadata.name}` : ""}`,
  }));
  const prometheuses = prometheus ? [prometheus] : prometheusesOf(objects);
  const all = [...fromMonitors, ...namedJobs(objects, loaded), ...additionalScrapeJobs(objects, prometheuses)];
  return [...new Map(all.map((j) => [`${j.job}\u0000${j.by}`, j])).values()];
}
