import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configSchemaOf, type PolicyConfigOf } from "../config/schema";
import { chartProps, isChart, kindOf } from "../lib/kubernetes";

/** Chaos experiments and what they are made of (Chaos Mesh, LitmusChaos). */
const CHAOS_GROUPS = ["chaos-mesh.org", "litmuschaos.io"];
const CHAOS_TYPE = /^kubernetes:(chaos-mesh\.org|litmuschaos\.io)\//;
const CHAOS_CHARTS = new Set(["chaos-mesh", "litmus", "litmus-core"]);
/** Chaos Mesh's namespace filter injects into namespaces with this annotation set to `enabled`. */
export const CHAOS_MESH_INJECT_ANNOTATION = "chaos-mesh.org/inject";

/**
 * Chaos belongs in dev and staging game days, never in the production stack: no experiment or Schedule, no
 * chaos chart (under mocks the chart is one resource; in a real preview its CRDs show it too), and no namespace
 * opened to Chaos Mesh's injection.
 */
export const noChaosInProd: ResourceValidationPolicy = {
  name: "no-chaos-in-prod",
  description: "No Chaos Mesh or LitmusChaos objects, charts, CRDs or injection-enabled namespaces in prod.",
  enforcementLevel: "mandatory",
  configSchema: configSchemaOf("no-chaos-in-prod"),
  validateResource: (args, report) => {
    const { environment } = args.getConfig<PolicyConfigOf<"no-chaos-in-prod">>();
    if (environment !== "prod") return args.notApplicable(`chaos allowed in ${environment}`);
    if (CHAOS_TYPE.test(args.type)) return report(`chaos experiment ${kindOf(args.type)} in prod`);
    if (isChart(args.type)) {
      const { chart, release } = chartProps(args.props);
      if (CHAOS_CHARTS.has(chart)) report(`chart ${chart} (release ${release}) installs chaos tooling in prod`);
      return;
    }
    const kind = kindOf(args.type);
    if (kind === "CustomResourceDefinition" && CHAOS_GROUPS.includes(args.props.spec?.group)) {
      return report(`CustomResourceDefinition ${args.props.metadata?.name} installs chaos tooling in prod`);
    }
    if (kind === "Namespace" && args.props.metadata?.annotations?.[CHAOS_MESH_INJECT_ANNOTATION] === "enabled") {
      return report(
        `namespace ${args.props.metadata?.name} is open to Chaos Mesh (${CHAOS_MESH_INJECT_ANNOTATION}: enabled)`,
      );
    }
    args.notApplicable("not a chaos object, chart, CRD or namespace");
  },
};
