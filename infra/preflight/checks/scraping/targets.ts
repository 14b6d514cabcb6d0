import type { RenderedObject } from "../../../render/render";
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
} from "../objects";
import { unselectedFindings } from "./selection";

// biome-ignore lint/suspicious/noExplicitAny: CR specs are arbitrary JSON
export type Json = any;

/** One relabeling, as a monitor spells it (camelCase) or as a raw scrape config does (snake_case). */
export interface Relabeling {
  action?: string;
  sourceLabels?: string[];
  source_labels?: string[];
  separator?: string;
  regex?: string;
  replacement?: string;
  targetLabel?: string;
  target_label?: string;
}

export interface MonitorEndpoint {
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

export const isMonitoring = (r: RenderedObject, kind: string) =>
  r.object.kind === kind && r.object.apiVersion.startsWith("monitoring.coreos.com/");

export const specOf = (r: RenderedObject): Json => (r.object as Json).spec ?? {};

/** The namespaces a monitor looks in: `any`, `matchNames`, else its own namespace (the operator's default). */
export function monitorNamespaces(monitor: RenderedObject): "any" | string[] {
  const selector = specOf(monitor).namespaceSelector ?? {};
  if (selector.any === true) return "any";
  const names: string[] = selector.matchNames ?? [];
  return names.length > 0 ? names : [namespaceOf(monitor.object)];
}

const inNamespaces = (namespace: string, scope: "any" | string[]) => scope === "any" || scope.includes(namespace);

const describeNamespaces = (scope: "any" | string[]) => (scope === "any" ? "any namespace" : scope.join(", "));

export const labelsOf = (r: RenderedObject) => r.object.metadata.labels ?? {};

export const services = (objects: RenderedObject[]) => objects.filter((r) => r.object.kind === "Service");

export const servicePorts = (service: RenderedObject): ServicePort[] => specOf(service).ports ?? [];

const serviceSelectorOf = (service: RenderedObject): Record<string, string> | undefined => specOf(service).selector;

/** Pod templates a Service sends traffic to (same namespace, non-empty selector). */
export function podsOfService(service: RenderedObject, pods: PodTemplate[]): PodTemplate[] {
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
export function serviceHasEndpointPort(
  endpoint: MonitorEndpoint,
  service: RenderedObject,
  behind: PodTemplate[],
): boolean {
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
export function podHasEndpointPort(endpoint: MonitorEndpoint, pod: PodTemplate): boolean {
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

export const endpointsOf = (monitor: RenderedObject): MonitorEndpoint[] =>
  isMonitoring(monitor, "PodMonitor") ? (specOf(monitor).podMetricsEndpoints ?? []) : (specOf(monitor).endpoints ?? []);

export const portNames = (ports: { name?: string; port?: number; containerPort?: number }[]) =>
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
 * scrapes nothing, silently. And some Prometheus of the set selects every ServiceMonitor, PodMonitor, Probe
 * and ScrapeConfig (its selectors and namespace selectors, see selection.ts): one that none selects is
 * ignored, silently.
 */
export function monitorsSelectTargets(objects: RenderedObject[]): Finding[] {
  const pods = podTemplates(objects);
  return [
    ...unselectedFindings(objects, ["ServiceMonitor", "PodMonitor", "Probe", "ScrapeConfig"]),
    ...objects
      .filter((r) => isMonitoring(r, "ServiceMonitor"))
      .flatMap((m) => serviceMonitorFindings(m, objects, pods)),
    ...objects.filter((r) => isMonitoring(r, "PodMonitor")).flatMap((m) => podMonitorFindings(m, pods)),
  ];
}
