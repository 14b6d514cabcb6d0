import { parse } from "yaml";
import { SERVICE_NAMES } from "../../../apps/lib/contract";
import { type Namespaces, PLATFORM_SERVICES, POD_LABELS, RELEASES } from "../../platform/naming";
import type { RenderedObject } from "../../render/render";
import { serviceSelector } from "../../services/microservice";
import {
  describe,
  type Finding,
  finding,
  type LabelSelector,
  namespaceOf,
  type PodTemplate,
  podTemplates,
  selects,
  selectsMap,
} from "./objects";

/*
 * What Prometheus would scrape, as the Prometheus operator turns ServiceMonitors and PodMonitors into scrape
 * configs (pkg/prometheus/promcfg.go): which Services and pods each monitor reaches, and the `job` label each
 * target gets. Probe objects (`targets.ingress` / `targets.staticConfig`) and ScrapeConfig objects point at
 * addresses, not at objects in this set, so their targets are out of scope here; only their job names count.
 * Not modelled either: whether the Prometheus resource's serviceMonitorSelector/podMonitorSelector picks a
 * monitor up, and `honorLabels` letting an exposed `job` label win.
 */

// biome-ignore lint/suspicious/noExplicitAny: CR specs are arbitrary JSON
type Json = any;

/** One relabeling, as a monitor spells it (camelCase) or as a raw scrape config does (snake_case). */
interface Relabeling {
  action?: string;
  sourceLabels?: string[];
  source_labels?: string[];
  separator?: string;
  regex?: string;
  replacement?: string;
  targetLabel?: string;
  target_label?: string;
}

interface MonitorEndpoint {
  port?: string;
  portNumber?: number;
  targetPort?: string | number;
  relabelings?: Relabeling[];
}

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: string | number;
}

interface ContainerPort {
  name?: string;
  containerPort?: number;
}

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

const isMonitoring = (r: RenderedObject, kind: string) =>
  r.object.kind === kind && r.object.apiVersion.startsWith("monitoring.coreos.com/");

const specOf = (r: RenderedObject): Json => (r.object as Json).spec ?? {};

/** The namespaces a monitor looks in: `any`, `matchNames`, else its own namespace (the operator's default). */
export function monitorNamespaces(monitor: RenderedObject): "any" | string[] {
  const selector = specOf(monitor).namespaceSelector ?? {};
  if (selector.any === true) return "any";
  const names: string[] = selector.matchNames ?? [];
  return names.length > 0 ? names : [namespaceOf(monitor.object)];
}

const inNamespaces = (namespace: string, scope: "any" | string[]) => scope === "any" || scope.includes(namespace);

const describeNamespaces = (scope: "any" | string[]) => (scope === "any" ? "any namespace" : scope.join(", "));

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

const labelsOf = (r: RenderedObject) => r.object.metadata.labels ?? {};

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

const services = (objects: RenderedObject[]) => objects.filter((r) => r.object.kind === "Service");

const servicePorts = (service: RenderedObject): ServicePort[] => specOf(service).ports ?? [];

const serviceSelectorOf = (service: RenderedObject): Record<string, string> | undefined => specOf(service).selector;

/** Pod templates a Service sends traffic to (same namespace, non-empty selector). */
function podsOfService(service: RenderedObject, pods: PodTemplate[]): PodTemplate[] {
  const selector = serviceSelectorOf(service);
  if (!selector || Object.keys(selector).length === 0) return [];
  const ns = namespaceOf(service.object);
  return pods.filter((p) => p.namespace === ns && selectsMap(selector, p.labels));
}

const containerPorts = (pod: PodTemplate): ContainerPort[] =>
  (pod.spec.containers ?? []).flatMap((c: Json) => (c.ports ?? []) as ContainerPort[]);

const samePort = (a: string | number | null | undefined, b: string | number | null | undefined) =>
  a != null && b != null && String(a) === String(b); // charts render unnamed ports as `name: null`

/**
 * Whether a ServiceMonitor endpoint reaches this Service: `port` names a Service port; `targetPort` is a
 * Service port's target (by name or number) or a container port behind it, as the operator filters on the
 * pod's container port; neither: every port is scraped.
 */
function serviceHasEndpointPort(endpoint: MonitorEndpoint, service: RenderedObject, behind: PodTemplate[]): boolean {
  const ports = servicePorts(service);
  if (endpoint.port) return ports.some((p) => p.name === endpoint.port);
  if (endpoint.targetPort !== undefined) {
    return (
      ports.some((p) => samePort(p.targetPort ?? p.port, endpoint.targetPort)) ||
      behind.some((pod) =>
        containerPorts(pod).some(
          (c) => samePort(c.name, endpoint.targetPort) || samePort(c.containerPort, endpoint.targetPort),
        ),
      )
    );
  }
  return ports.length > 0;
}

/** Whether a PodMonitor endpoint reaches a pod: `port` (name), `portNumber` or `targetPort` is a container port. */
function podHasEndpointPort(endpoint: MonitorEndpoint, pod: PodTemplate): boolean {
  const ports = containerPorts(pod);
  if (endpoint.port) return ports.some((c) => c.name === endpoint.port);
  if (endpoint.portNumber !== undefined) return ports.some((c) => samePort(c.containerPort, endpoint.portNumber));
  if (endpoint.targetPort !== undefined) {
    return ports.some((c) => samePort(c.name, endpoint.targetPort) || samePort(c.containerPort, endpoint.targetPort));
  }
  return true; // no port: every container port (or the bare pod) is a target
}

/** Services a ServiceMonitor selects. */
export function servicesSelectedBy(monitor: RenderedObject, objects: RenderedObject[]): RenderedObject[] {
  const selector: LabelSelector | undefined = specOf(monitor).selector;
  const scope = monitorNamespaces(monitor);
  return services(objects).filter(
    (s) => inNamespaces(namespaceOf(s.object), scope) && selects(selector ?? {}, labelsOf(s)),
  );
}

/** Pod templates a PodMonitor selects. */
export function podsSelectedBy(monitor: RenderedObject, pods: PodTemplate[]): PodTemplate[] {
  const selector: LabelSelector | undefined = specOf(monitor).selector;
  const scope = monitorNamespaces(monitor);
  return pods.filter((p) => inNamespaces(p.namespace, scope) && selects(selector ?? {}, p.labels));
}

const endpointsOf = (monitor: RenderedObject): MonitorEndpoint[] =>
  isMonitoring(monitor, "PodMonitor") ? (specOf(monitor).podMetricsEndpoints ?? []) : (specOf(monitor).endpoints ?? []);

/** Every target the ServiceMonitors and PodMonitors in the set would produce. */
export function scrapeTargets(objects: RenderedObject[]): ScrapeTarget[] {
  const pods = podTemplates(objects);
  const out: ScrapeTarget[] = [];
  for (const monitor of objects.filter((r) => isMonitoring(r, "ServiceMonitor"))) {
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
  for (const monitor of objects.filter((r) => isMonitoring(r, "PodMonitor"))) {
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

const portNames = (ports: { name?: string; port?: number; containerPort?: number }[]) =>
  ports.map((p) => p.name ?? String(p.port ?? p.containerPort)).join(", ") || "none";

const endpointPort = (e: MonitorEndpoint) =>
  e.port !== undefined
    ? `port "${e.port}"`
    : e.portNumber !== undefined
      ? `portNumber ${e.portNumber}`
      : `targetPort ${JSON.stringify(e.targetPort)}`;

const hasPortSpec = (e: MonitorEndpoint) =>
  e.port !== undefined || e.portNumber !== undefined || e.targetPort !== undefined;

function serviceMonitorFindings(monitor: RenderedObject, objects: RenderedObject[], pods: PodTemplate[]): Finding[] {
  const check = "monitor-selects-targets";
  const selector = JSON.stringify(specOf(monitor).selector ?? null);
  const scope = monitorNamespaces(monitor);
  const selected = servicesSelectedBy(monitor, objects);
  if (selected.length === 0) {
    const there = services(objects)
      .filter((s) => inNamespaces(namespaceOf(s.object), scope))
      .map((s) => s.object.metadata.name);
    return [
      finding(
        check,
        monitor,
        `selector ${selector} in ${describeNamespaces(scope)} selects no Service (Services there: ${there.join(", ") || "none"})`,
      ),
    ];
  }
  const out: Finding[] = [];
  endpointsOf(monitor).forEach((endpoint, index) => {
    const reached = selected.filter((s) => serviceHasEndpointPort(endpoint, s, podsOfService(s, pods)));
    if (reached.length === 0) {
      const available = selected.map((s) => `${s.object.metadata.name} (ports: ${portNames(servicePorts(s))})`);
      out.push(
        finding(
          check,
          monitor,
          `endpoints[${index}] ${hasPortSpec(endpoint) ? endpointPort(endpoint) : "(no port)"} is not a port of any selected Service: ${available.join("; ")}`,
        ),
      );
    }
    for (const service of reached) {
      const selectorOfService = serviceSelectorOf(service);
      if (!selectorOfService || Object.keys(selectorOfService).length === 0) continue; // endpoints managed elsewhere
      if (podsOfService(service, pods).length === 0) {
        out.push(
          finding(
            check,
            monitor,
            `endpoints[${index}] reaches Service ${service.object.metadata.name}, whose selector ${JSON.stringify(selectorOfService)} selects no pod template in ${namespaceOf(service.object)}`,
          ),
        );
      }
    }
  });
  return dedupe(out);
}

function podMonitorFindings(monitor: RenderedObject, pods: PodTemplate[]): Finding[] {
  const check = "monitor-selects-targets";
  const scope = monitorNamespaces(monitor);
  const selected = podsSelectedBy(monitor, pods);
  if (selected.length === 0) {
    return [
      finding(
        check,
        monitor,
        `selector ${JSON.stringify(specOf(monitor).selector ?? null)} in ${describeNamespaces(scope)} selects no pod template`,
      ),
    ];
  }
  const out: Finding[] = [];
  endpointsOf(monitor).forEach((endpoint, index) => {
    if (selected.some((p) => podHasEndpointPort(endpoint, p))) return;
    const available = selected.map((p) => `${describe(p.owner)} (container ports: ${portNames(containerPorts(p))})`);
    out.push(
      finding(
        check,
        monitor,
        `podMetricsEndpoints[${index}] ${endpointPort(endpoint)} is not a container port of any selected pod: ${available.join("; ")}`,
      ),
    );
  });
  return out;
}

const dedupe = (findings: Finding[]) => [...new Map(findings.map((f) => [JSON.stringify(f), f])).values()];

/**
 * Every ServiceMonitor selects a Service whose port its endpoints name and which selects some pod; every
 * PodMonitor selects pods with the container ports its endpoints name. A monitor that reaches nothing
 * scrapes nothing, silently.
 */
export function monitorsSelectTargets(objects: RenderedObject[]): Finding[] {
  const pods = podTemplates(objects);
  return [
    ...objects
      .filter((r) => isMonitoring(r, "ServiceMonitor"))
      .flatMap((m) => serviceMonitorFindings(m, objects, pods)),
    ...objects.filter((r) => isMonitoring(r, "PodMonitor")).flatMap((m) => podMonitorFindings(m, pods)),
  ];
}

/** A component of the platform, by the labels its pods carry. */
export interface PlatformComponent {
  name: string;
  namespace: string;
  pods: Record<string, string>;
  /** The Helm release that renders it; undefined for objects the program creates itself. */
  release?: string;
  /** The sub-chart of `release` that renders it, when not the release's own chart. */
  subchart?: string;
}

/**
 * The components whose metrics must reach Prometheus. Chart pods are identified by the labels the charts
 * really render (`app.kubernetes.io/name` + `app.kubernetes.io/instance`); the operator names the instance of
 * Prometheus and Alertmanager pods after their resource.
 */
export function PLATFORM_COMPONENTS(ns: Namespaces): PlatformComponent[] {
  const chart = (name: string, instance: string, release: string, subchart?: string): PlatformComponent => ({
    name,
    namespace: ns.platform,
    pods: { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance },
    release,
    ...(subchart ? { subchart } : {}),
  });
  return [
    {
      ...chart("prometheus", PLATFORM_SERVICES.prometheus.name, RELEASES.monitoring),
      pods: { ...POD_LABELS.prometheus, "app.kubernetes.io/instance": PLATFORM_SERVICES.prometheus.name },
    },
    chart("alertmanager", PLATFORM_SERVICES.alertmanager.name, RELEASES.monitoring),
    chart("grafana", RELEASES.monitoring, RELEASES.monitoring, "grafana"),
    chart("loki", RELEASES.loki, RELEASES.loki),
    chart("alloy", RELEASES.alloy, RELEASES.alloy),
    { name: "otel-collector", namespace: ns.platform, pods: { ...POD_LABELS.collector }, release: RELEASES.collector },
    { name: "jaeger", namespace: ns.platform, pods: { ...POD_LABELS.jaeger }, release: RELEASES.jaeger },
    ...SERVICE_NAMES.map((service) => ({ name: service, namespace: ns.apps, pods: serviceSelector(service) })),
  ];
}

/**
 * Components a partial render may lack: those in a sub-chart, and those of a release that rendered nothing
 * (chart sources absent). The registry passes these as `allowMissing` when `CheckContext.partial` is set.
 */
export function componentsMaybeUnrendered(objects: RenderedObject[], components: PlatformComponent[]): string[] {
  const rendered = new Set(objects.map((r) => r.origin));
  return components
    .filter((c) => c.subchart !== undefined || (c.release !== undefined && !rendered.has(c.release)))
    .map((c) => c.name);
}

const podsOfComponent = (c: PlatformComponent, pods: PodTemplate[]) =>
  pods.filter((p) => p.namespace === c.namespace && selectsMap(c.pods, p.labels));

/** Where pods with a component's labels are, when not in its namespace: a wrong or missing namespace. */
function elsewhere(c: PlatformComponent, pods: PodTemplate[]): string {
  const found = pods.filter((p) => p.namespace !== c.namespace && selectsMap(c.pods, p.labels));
  if (found.length === 0) return "";
  const where = found.map((p) => `${describe(p.owner)} in namespace "${p.namespace}"`);
  return `; pods with these labels exist elsewhere: ${where.join(", ")}`;
}

/**
 * Every platform component is scraped: some ServiceMonitor reaches a Service (on an existing port) that
 * selects its pods, or some PodMonitor selects them. `allowMissing` names components whose pods may be
 * absent from the set (not rendered); they are skipped when absent, still checked when present.
 */
export function platformComponentsScraped(
  objects: RenderedObject[],
  components: PlatformComponent[],
  allowMissing: string[] = [],
): Finding[] {
  const check = "component-scraped";
  const pods = podTemplates(objects);
  const targets = scrapeTargets(objects);
  const out: Finding[] = [];
  for (const c of components) {
    const own = podsOfComponent(c, pods);
    if (own.length === 0) {
      if (allowMissing.includes(c.name)) continue;
      out.push({
        check,
        object: `component ${c.name}`,
        message: `no pods of ${c.name} in the rendered set (labels ${JSON.stringify(c.pods)} in ${c.namespace})${elsewhere(c, pods)}`,
      });
      continue;
    }
    // Pod templates are rebuilt per call: the same pod is the one with the same owner.
    const owners = new Set(own.map((p) => p.owner));
    if (targets.some((t) => t.pods.some((p) => owners.has(p.owner)))) continue;
    const fronting = services(objects).filter((s) => podsOfService(s, pods).some((p) => owners.has(p.owner)));
    const hint =
      fronting.length > 0
        ? `Services selecting them: ${fronting.map((s) => `${s.object.metadata.name} (ports: ${portNames(servicePorts(s))})`).join("; ")}`
        : "no Service selects them";
    const first = own[0] as PodTemplate;
    out.push(
      finding(
        check,
        first.owner,
        `${c.name} is not scraped: no ServiceMonitor reaches a Service selecting its pods ${JSON.stringify(c.pods)} and no PodMonitor selects them; ${hint}`,
      ),
    );
  }
  return out;
}

/** Static jobs of the Prometheus resources' additionalScrapeConfigs Secret (the kps chart's extra jobs). */
function additionalScrapeJobs(objects: RenderedObject[]): ProducedJob[] {
  const out: ProducedJob[] = [];
  for (const prometheus of objects.filter((r) => isMonitoring(r, "Prometheus"))) {
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
function namedJobs(objects: RenderedObject[]): ProducedJob[] {
  const out: ProducedJob[] = [];
  for (const [kind, prefix] of [
    ["Probe", "probe"],
    ["ScrapeConfig", "scrapeConfig"],
  ] as const) {
    for (const r of objects.filter((o) => isMonitoring(o, kind))) {
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
 * additionalScrapeConfigs.
 */
export function jobsProduced(objects: RenderedObject[]): ProducedJob[] {
  const fromMonitors = scrapeTargets(objects).map((t) => ({
    job: t.job,
    by: `${describe(t.monitor)}${t.service ? ` via Service ${t.service.object.metadata.name}` : ""}`,
  }));
  const all = [...fromMonitors, ...namedJobs(objects), ...additionalScrapeJobs(objects)];
  return [...new Map(all.map((j) => [`${j.job}\u0000${j.by}`, j])).values()];
}
