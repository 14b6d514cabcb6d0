import { isRecord, type Json } from "./values";

/** Helm charts are one resource whose inputs hold the values (v4 Chart under mocks and in previews, v3 Release). */
export function isChart(type: string): boolean {
  return /^kubernetes:helm\.sh\/v\d:(Chart|Release)$/.test(type);
}

/**
 * A resource a chart rendered (in a preview, a child of the chart): its URN's type chain,
 * `urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>`, has a chart right before its own type.
 */
export function isChartChild(urn: string): boolean {
  const chain = urn.split("::")[2]?.split("$") ?? [];
  const parent = chain[chain.length - 2];
  return parent !== undefined && isChart(parent);
}

/** A Kubernetes object the cluster receives (not a chart/yaml/kustomize component, not a provider). */
export function isKubernetesObject(type: string): boolean {
  return type.startsWith("kubernetes:") && !/^kubernetes:(helm\.sh|yaml|kustomize)\//.test(type);
}

export function kindOf(type: string): string {
  return type.split(":")[2] ?? "";
}

export interface ChartProps {
  release: string;
  chart: string;
  values: Record<string, Json>;
}

export function chartProps(props: Record<string, Json>): ChartProps {
  return {
    release: String(props.name ?? ""),
    chart: String(props.chart ?? "").replace(/^.*\//, ""),
    values: isRecord(props.values) ? props.values : {},
  };
}

/** Where each workload kind keeps its pod spec. */
export function podSpecOf(type: string, props: Record<string, Json>): Record<string, Json> | undefined {
  if (!type.startsWith("kubernetes:")) return undefined;
  switch (kindOf(type)) {
    case "Pod":
      return props.spec;
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Job":
      return props.spec?.template?.spec;
    case "CronJob":
      return props.spec?.jobTemplate?.spec?.template?.spec;
    default:
      return undefined;
  }
}

/** Pod template labels of a workload (what the pods themselves carry). */
export function podLabelsOf(type: string, props: Record<string, Json>): Record<string, string> | undefined {
  const kind = kindOf(type);
  if (kind === "CronJob") return props.spec?.jobTemplate?.spec?.template?.metadata?.labels;
  if (kind === "Pod") return undefined;
  return podSpecOf(type, props) ? props.spec?.template?.metadata?.labels : undefined;
}

export interface Container {
  name: string;
  init: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: container specs are arbitrary JSON
  spec: Record<string, any>;
}

export function containersOf(podSpec: Record<string, Json>): Container[] {
  const list = (key: string, init: boolean) =>
    (Array.isArray(podSpec[key]) ? podSpec[key] : []).map((spec: Json) => ({ name: String(spec?.name), init, spec }));
  return [...list("initContainers", true), ...list("containers", false)];
}
