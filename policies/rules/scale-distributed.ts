import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { configSchemaOf, type PolicyConfigOf } from "../config/schema";
import { chartProps, isChart } from "../lib/kubernetes";
import { get, isRecord } from "../lib/values";

/** Loki's chart modes that run read, write and backend (or every microservice) as separate, replicated targets. */
export const SCALABLE_LOKI_MODES = ["SimpleScalable", "Distributed"];
/** Jaeger storage backends bound to one node's disk or memory. */
const SINGLE_NODE_STORES = ["badger", "memory"];

const charts = (resources: PolicyResource[], name: string) =>
  resources.filter((r) => isChart(r.type) && chartProps(r.props).chart === name);

/** Jaeger v2's storage backends in the chart's `userconfig` (extensions.jaeger_storage.backends.<name>.<kind>). */
function jaegerBackendKinds(values: Record<string, unknown>): string[] {
  const backends = get(values, "userconfig.extensions.jaeger_storage.backends");
  return isRecord(backends) ? Object.values(backends).flatMap((b) => (isRecord(b) ? Object.keys(b) : [])) : [];
}

/**
 * The pack sees resources, not the stack config, so `scale: distributed` is read from what the program
 * registers: Loki's chart in a scalable mode, a collector chart running as a StatefulSet (the tail-sampling
 * tier behind the gateway), Jaeger on no single-node store. Each component is checked only when its chart is
 * there, so a stack without one of them is judged on the others.
 */
export const scaleDistributed: StackValidationPolicy = {
  name: "scale-distributed",
  description:
    "Where required (prod): Loki in SimpleScalable or Distributed mode, a collector sampler StatefulSet, Jaeger not on Badger or memory.",
  enforcementLevel: "mandatory",
  configSchema: configSchemaOf("scale-distributed"),
  validateStack: (args, report) => {
    const { environment, requireDistributed } = args.getConfig<PolicyConfigOf<"scale-distributed">>();
    if (!requireDistributed) return args.notApplicable(`scale: single allowed in ${environment}`);
    const fix = `set scale: distributed in Pulumi.${environment}.yaml (docs/scaling.md)`;

    for (const loki of charts(args.resources, "loki")) {
      const mode = chartProps(loki.props).values.deploymentMode;
      if (!SCALABLE_LOKI_MODES.includes(mode)) {
        const allowed = SCALABLE_LOKI_MODES.join(" or ");
        report(`Loki chart deploymentMode is ${mode ?? "unset"}, ${environment} needs ${allowed}: ${fix}`, loki.urn);
      }
    }

    const collectors = charts(args.resources, "opentelemetry-collector");
    if (collectors.length > 0 && !collectors.some((c) => chartProps(c.props).values.mode === "statefulset")) {
      const modes = collectors.map((c) => `${chartProps(c.props).release}: ${chartProps(c.props).values.mode}`);
      report(
        `no collector chart runs mode statefulset (the trace-aware sampling tier), found ${modes.join(", ")}: ${fix}`,
        collectors[0]?.urn,
      );
    }

    for (const jaeger of charts(args.resources, "jaeger")) {
      const single = jaegerBackendKinds(chartProps(jaeger.props).values).filter((k) => SINGLE_NODE_STORES.includes(k));
      if (single.length > 0) report(`Jaeger stores traces on ${single.join(", ")} (one node): ${fix}`, jaeger.urn);
    }
  },
};
