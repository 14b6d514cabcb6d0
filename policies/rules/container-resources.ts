import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configSchemaOf, type PolicyConfigOf } from "../config/schema";
import { containersOf, kindOf, podSpecOf } from "../lib/kubernetes";

/** Requests let the scheduler place pods, a memory limit contains leaks, probes let Kubernetes heal. */
export const containerResources: ResourceValidationPolicy = {
  name: "container-resources-and-probes",
  description:
    "Containers set resource requests and a memory limit; long-running containers that serve a port have liveness and readiness probes (listed exemptions aside).",
  enforcementLevel: "mandatory",
  configSchema: configSchemaOf("container-resources-and-probes"),
  validateResource: (args, report) => {
    const pod = podSpecOf(args.type, args.props);
    if (!pod) return args.notApplicable("not a workload");
    const { probesExempt } = args.getConfig<PolicyConfigOf<"container-resources-and-probes">>();
    // Jobs run to completion: probes do not apply to them; nor to workloads whose chart cannot give them any.
    const longRunning =
      !["Job", "CronJob"].includes(kindOf(args.type)) && !probesExempt.includes(args.props.metadata?.name);
    for (const { name, init, spec } of containersOf(pod)) {
      const { requests, limits } = spec.resources ?? {};
      if (!requests?.cpu && !requests?.memory) report(`container ${name}: no resource requests`);
      if (!limits?.memory) report(`container ${name}: no memory limit`);
      // Probes gate traffic and restart hung servers: they apply to containers that serve on a port, not to
      // helpers such as config reloaders that only watch files.
      const serves = Array.isArray(spec.ports) && spec.ports.length > 0;
      if (longRunning && !init && serves && !spec.livenessProbe) report(`container ${name}: no livenessProbe`);
      if (longRunning && !init && serves && !spec.readinessProbe) report(`container ${name}: no readinessProbe`);
    }
  },
};
