import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { CHARTS, type ChartKey } from "./pins";
import type { Values } from "./values-files";

/**
 * A pinned chart as a helm.v4.Chart (previews and policies see every rendered object) with a fixed
 * release name, so Service names and labels are the same on every deploy.
 */
export function pinnedChart(
  name: string,
  key: ChartKey,
  release: { name: string; namespace: string; values: Values },
  parent: pulumi.Resource,
  /** Applied by the engine to every object the chart renders (e.g. ignoreChanges on what Helm regenerates). */
  transforms?: pulumi.ResourceTransform[],
  /** What must exist before the chart's pods start (e.g. the IAM role its ServiceAccount names). */
  dependsOn?: pulumi.Resource[],
): k8s.helm.v4.Chart {
  const pin = CHARTS[key];
  return new k8s.helm.v4.Chart(
    name,
    {
      name: release.name,
      namespace: release.namespace,
      chart: pin.chart,
      version: pin.version,
      repositoryOpts: { repo: pin.repo },
      values: release.values,
    },
    { parent, ...(transforms ? { transforms } : {}), ...(dependsOn?.length ? { dependsOn } : {}) },
  );
}
