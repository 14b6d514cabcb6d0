/*
 * Which Prometheus resources load which ServiceMonitors, PodMonitors, Probes, ScrapeConfigs and PrometheusRules,
 * as the Prometheus operator decides (Prometheus CRD, operator v0.93): the object's labels against
 * `spec.<kind>Selector` (empty: every object; absent: none) and its namespace's labels against
 * `spec.<kind>NamespaceSelector` (empty: every namespace; absent: the Prometheus' own namespace only).
 *
 * A namespace's labels are those of its Namespace object in the set (the program's, or one the cluster
 * provides) plus `kubernetes.io/metadata.name`, which the API server sets on every namespace. A namespace
 * without a Namespace object in the set has unknown labels: only an empty selector (or, for an absent one,
 * being the Prometheus' own namespace) takes it.
 */

import type { RenderedObject } from "../../../render/render";
import { type Finding, finding, type LabelSelector, namespaceOf, selects } from "../objects";
import { isMonitoring, labelsOf, specOf } from "./targets";

/** The kinds a Prometheus resource selects, each with the two spec fields that decide it. */
export const SELECTED_KINDS = {
  ServiceMonitor: { selector: "serviceMonitorSelector", namespaceSelector: "serviceMonitorNamespaceSelector" },
  PodMonitor: { selector: "podMonitorSelector", namespaceSelector: "podMonitorNamespaceSelector" },
  Probe: { selector: "probeSelector", namespaceSelector: "probeNamespaceSelector" },
  ScrapeConfig: { selector: "scrapeConfigSelector", namespaceSelector: "scrapeConfigNamespaceSelector" },
  PrometheusRule: { selector: "ruleSelector", namespaceSelector: "ruleNamespaceSelector" },
} as const;

export type SelectedKind = keyof typeof SELECTED_KINDS;

/** The label the API server puts on every Namespace: its name. */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

const kindOf = (r: RenderedObject): SelectedKind | undefined =>
  Object.keys(SELECTED_KINDS).find((k) => isMonitoring(r, k)) as SelectedKind | undefined;

export const prometheusesOf = (objects: RenderedObject[]) => objects.filter((r) => isMonitoring(r, "Prometheus"));

/** Each namespace's labels as the cluster would hold them: its Namespace object's labels plus its name label. */
export function namespaceLabels(objects: RenderedObject[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const r of objects.filter((o) => o.object.kind === "Namespace" && o.object.apiVersion === "v1")) {
    const name = r.object.metadata.name;
    out.set(name, { ...labelsOf(r), [NAMESPACE_NAME_LABEL]: name });
  }
  return out;
}

const isEmptySelector = (s: LabelSelector) =>
  Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;

/**
 * Why `prometheus` does not load `r` (a ServiceMonitor, PodMonitor, Probe, ScrapeConfig or PrometheusRule);
 * undefined when it does. `namespaces`: namespaceLabels() of the set.
 */
export function notLoadedBecause(
  prometheus: RenderedObject,
  r: RenderedObject,
  namespaces: Map<string, Record<string, string>>,
): string | undefined {
  const kind = kindOf(r);
  if (!kind) return `${r.object.kind} is not a kind a Prometheus selects`;
  const fields = SELECTED_KINDS[kind];
  const spec = specOf(prometheus);
  const who = `Prometheus ${namespaceOf(prometheus.object)}/${prometheus.object.metadata.name}`;
  const selector: LabelSelector | null | undefined = spec[fields.selector];
  if (selector == null) return `${who}: ${fields.selector} is not set (it selects no ${kind})`;
  if (!selects(selector, labelsOf(r))) {
    return `${who}: ${fields.selector} ${JSON.stringify(selector)} does not match its labels ${JSON.stringify(labelsOf(r))}`;
  }
  const ns = namespaceOf(r.object);
  const nsSelector: LabelSelector | null | undefined = spec[fields.namespaceSelector];
  const own = namespaceOf(prometheus.object);
  if (nsSelector == null) {
    return ns === own
      ? undefined
      : `${who}: ${fields.namespaceSelector} is not set (only its own namespace ${own}), and this is in ${ns}`;
  }
  if (isEmptySelector(nsSelector)) return undefined;
  const labels = namespaces.get(ns);
  if (!labels) {
    return `${who}: ${fields.namespaceSelector} ${JSON.stringify(nsSelector)}, and namespace ${ns} is not in the set (its labels are unknown)`;
  }
  if (!selects(nsSelector, labels)) {
    return `${who}: ${fields.namespaceSelector} ${JSON.stringify(nsSelector)} does not match namespace ${ns} (labels ${JSON.stringify(labels)})`;
  }
  return undefined;
}

/**
 * Which objects count as loaded: those `prometheus` loads when given; else those any Prometheus in the set
 * loads. A set without a Prometheus resource counts every object (checks of a partial set judge the monitors
 * alone; in preflight the kps Prometheus is always in the set, and its absence is a finding of its own).
 */
export function loadedBy(objects: RenderedObject[], prometheus?: RenderedObject): (r: RenderedObject) => boolean {
  const scope = prometheus ? [prometheus] : prometheusesOf(objects);
  if (scope.length === 0) return () => true;
  const namespaces = namespaceLabels(objects);
  return (r) => scope.some((p) => notLoadedBecause(p, r, namespaces) === undefined);
}

/** The objects of these kinds in the set that `prometheus` loads (the namespaces' labels from the same set). */
export function selectedBy(prometheus: RenderedObject, objects: RenderedObject[], kinds: SelectedKind[]) {
  const loaded = loadedBy(objects, prometheus);
  return objects.filter((r) => kinds.some((k) => isMonitoring(r, k)) && loaded(r));
}

/**
 * `prometheus-selects`: every object of these kinds is loaded by some Prometheus in the set. One that none loads
 * is silently ignored by the operator: its targets are never scraped, its rules never evaluated. Nothing is
 * reported when the set holds no Prometheus.
 */
export function unselectedFindings(objects: RenderedObject[], kinds: SelectedKind[]): Finding[] {
  const prometheuses = prometheusesOf(objects);
  if (prometheuses.length === 0) return [];
  const namespaces = namespaceLabels(objects);
  const out: Finding[] = [];
  for (const r of objects.filter((o) => kinds.some((k) => isMonitoring(o, k)))) {
    const reasons = prometheuses.map((p) => notLoadedBecause(p, r, namespaces));
    if (reasons.some((why) => why === undefined)) continue;
    const effect = r.object.kind === "PrometheusRule" ? "its rules are never evaluated" : "it is never scraped";
    out.push(finding("prometheus-selects", r, `no Prometheus selects it, so ${effect}: ${reasons.join("; ")}`));
  }
  return out;
}
