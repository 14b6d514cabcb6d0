import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configSchemaOf, type PolicyConfigOf } from "../config/schema";
import { containersOf, podSpecOf } from "../lib/kubernetes";
import { cpuCores, memoryMi } from "../lib/values";

/** Catches a typo such as 100 replicas or 64Gi before it reaches the bill; advisory because load can justify it. */
export const resourceCaps: ResourceValidationPolicy = {
  name: "resource-caps",
  description: "Replicas, HPA maxReplicas and container CPU/memory limits stay within the environment's caps.",
  enforcementLevel: "advisory",
  configSchema: configSchemaOf("resource-caps"),
  validateResource: (args, report) => {
    const caps = args.getConfig<PolicyConfigOf<"resource-caps">>();
    if (args.type === "kubernetes:autoscaling/v2:HorizontalPodAutoscaler") {
      const max = args.props.spec?.maxReplicas;
      if (max > caps.maxReplicas) report(`maxReplicas ${max} exceeds ${caps.maxReplicas}`);
      return;
    }
    const pod = podSpecOf(args.type, args.props);
    if (!pod) return args.notApplicable("not a workload or autoscaler");
    const replicas = args.props.spec?.replicas;
    if (replicas > caps.maxReplicas) report(`replicas ${replicas} exceeds ${caps.maxReplicas}`);
    for (const { name, spec } of containersOf(pod)) {
      const cpu = cpuCores(spec.resources?.limits?.cpu);
      const memory = memoryMi(spec.resources?.limits?.memory);
      if (cpu !== undefined && cpu > caps.maxCpuCores)
        report(`container ${name}: cpu limit ${cpu} > ${caps.maxCpuCores}`);
      if (memory !== undefined && memory > caps.maxMemoryMi) {
        report(`container ${name}: memory limit ${memory}Mi > ${caps.maxMemoryMi}Mi`);
      }
    }
  },
};
