import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configSchemaOf, type PolicyConfigOf } from "../config/schema";
import { containersOf, podSpecOf } from "../lib/kubernetes";

/** The services' admin token enables runtime fault injection (apps/lib): never in prod unless explicitly allowed. */
export const faultInjection: ResourceValidationPolicy = {
  name: "fault-injection-not-in-prod",
  description: "No workload gets the fault-injection ADMIN_TOKEN in prod unless allowFaultInjection is true.",
  enforcementLevel: "mandatory",
  configSchema: configSchemaOf("fault-injection-not-in-prod"),
  validateResource: (args, report) => {
    const { environment, allowFaultInjection } = args.getConfig<PolicyConfigOf<"fault-injection-not-in-prod">>();
    if (environment !== "prod" || allowFaultInjection)
      return args.notApplicable(`fault injection allowed in ${environment}`);
    const pod = podSpecOf(args.type, args.props);
    if (!pod) return args.notApplicable("not a workload");
    for (const { name, spec } of containersOf(pod)) {
      if ((spec.env ?? []).some((e: { name?: string }) => e?.name === "ADMIN_TOKEN")) {
        report(`container ${name}: ADMIN_TOKEN enables fault injection in prod`);
      }
    }
  },
};
