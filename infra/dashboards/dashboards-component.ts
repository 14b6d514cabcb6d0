import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { buildCapacityDashboard, type CapacityDashboardOptions } from "./capacity";
import { buildCostDashboard, type CostDashboardOptions } from "./cost";
import { buildDashboards } from "./dashboards";
import { DASHBOARD_SIDECAR_LABEL } from "./model";
import { buildMultiEnvironmentDashboard, type MultiEnvironmentDashboardOptions } from "./multi-environment";
import type { DashboardSettings } from "./settings";

export interface DashboardsArgs {
  /** What the dashboards take from the stack config (dashboardSettings): environment, namespaces, SLOs. */
  settings: DashboardSettings;
  /** The platform namespace (where Grafana runs; its sidecar watches every namespace). */
  namespace: string;
  labels: Record<string, string>;
  /** The stack's capacity settings; without them the capacity dashboard is not created. */
  capacity?: CapacityDashboardOptions;
  /** This environment and its peers side by side; without it the multi-environment dashboard is not created. */
  multiEnvironment?: MultiEnvironmentDashboardOptions;
  /** The stack's cost settings (currency, budget); without them the cost dashboard is not created. */
  cost?: CostDashboardOptions;
}

export { DASHBOARD_SIDECAR_LABEL };
/** Annotation naming the Grafana folder (sidecar `folderAnnotation`, with `foldersFromFilesStructure`). */
export const DASHBOARD_FOLDER_ANNOTATION = "grafana_folder";

/** The Grafana folder of an environment's dashboards: the environment name, capitalised (`Prod`). */
export function dashboardFolder(environment: string): string {
  return environment.charAt(0).toUpperCase() + environment.slice(1);
}

/** The generated dashboards as ConfigMaps the Grafana sidecar loads, one per dashboard. */
export class Dashboards extends pulumi.ComponentResource {
  readonly configMaps: k8s.core.v1.ConfigMap[];
  readonly uids: string[];

  constructor(name: string, args: DashboardsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:dashboards:Dashboards", name, {}, opts);
    const { environment } = args.settings;
    const dashboards = buildDashboards(args.settings);
    if (args.capacity) dashboards.push(buildCapacityDashboard(environment, args.capacity));
    if (args.multiEnvironment) dashboards.push(buildMultiEnvironmentDashboard(args.multiEnvironment));
    if (args.cost) dashboards.push(buildCostDashboard(environment, args.cost));
    this.uids = dashboards.map((d) => d.uid);
    this.configMaps = dashboards.map(
      (d) =>
        new k8s.core.v1.ConfigMap(
          `${name}-${d.uid}`,
          {
            metadata: {
              name: `dashboard-${d.uid}`,
              namespace: args.namespace,
              labels: { ...args.labels, ...DASHBOARD_SIDECAR_LABEL },
              annotations: { [DASHBOARD_FOLDER_ANNOTATION]: dashboardFolder(environment) },
            },
            data: { [`${d.uid}.json`]: JSON.stringify(d.json) },
          },
          { parent: this },
        ),
    );
    this.registerOutputs({ uids: this.uids });
  }
}
