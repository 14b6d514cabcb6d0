import type { PolicyConfigSchema } from "@pulumi/policy";
import { z } from "zod";

/**
 * Per-environment policy configuration, in the shape `--policy-pack-config` expects: one object per
 * policy name. Each policy's `configSchema` (JSON Schema, checked by the Pulumi CLI) is generated
 * from the zod schema below, so the CLI, the tests and the harness agree on one definition.
 */

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;
const enforcementLevel = z.enum(ENFORCEMENT_LEVELS).optional();
const environment = z.enum(ENVIRONMENTS);
const count = z.number().int().min(0);
const policy = <S extends z.ZodRawShape>(shape: S) => z.strictObject({ ...shape, enforcementLevel });

export const policyConfigSchemas = {
  "prometheus-retention": policy({ minDays: count, maxDays: count, persistentStorage: z.boolean() }),
  "loki-retention": policy({ minDays: count, maxDays: count }),
  "jaeger-retention": policy({
    minHours: count,
    maxHours: count,
    persistentStorage: z.boolean(),
    maxTracesInMemory: count,
  }),
  "cloudwatch-log-retention": policy({ minDays: count, maxDays: count }),
  // Workload names allowed host access (node-exporter style agents rendered by charts), and names whose containers
  // may break the container rules (a fault injector running as root on purpose; a chart that cannot set them).
  "pod-security": policy({ hostAccessExempt: z.array(z.string()), containerSecurityExempt: z.array(z.string()) }),
  // Workload names whose chart offers no way to give their containers probes.
  "container-resources-and-probes": policy({ probesExempt: z.array(z.string()) }),
  "load-balancer-services": policy({ allowLoadBalancer: z.boolean() }),
  "fault-injection-not-in-prod": policy({ environment, allowFaultInjection: z.boolean() }),
  "resource-caps": policy({ maxReplicas: count, maxCpuCores: z.number().positive(), maxMemoryMi: count }),
  "no-chaos-in-prod": policy({ environment }),
  "aws-budget": policy({ environment }),
  // prod must run the distributed modes (docs/scaling.md); dev and staging may stay single
  "scale-distributed": policy({ environment, requireDistributed: z.boolean() }),
};

export type PolicyName = keyof typeof policyConfigSchemas;
export type PolicyConfigOf<K extends PolicyName> = Omit<z.infer<(typeof policyConfigSchemas)[K]>, "enforcementLevel">;

/** The JSON Schema the Pulumi CLI validates a policy's config against. */
export function configSchemaOf(name: PolicyName): PolicyConfigSchema {
  const json = z.toJSONSchema(policyConfigSchemas[name]) as PolicyConfigSchema;
  // enforcementLevel is the CLI's own key, not the policy's config
  const { enforcementLevel: _, ...properties } = json.properties;
  return { properties, required: json.required?.filter((k) => k !== "enforcementLevel") };
}

/** Policies without config may still appear, e.g. to change their enforcement level. */
const levelOnly = z.union([z.enum(ENFORCEMENT_LEVELS), z.strictObject({ enforcementLevel })]);

export const policyPackConfigSchema = z
  .strictObject(policyConfigSchemas)
  .catchall(levelOnly)
  .superRefine((config, ctx) => {
    const envs = new Set<string>();
    for (const [name, entry] of Object.entries(config)) {
      if (typeof entry !== "object") continue;
      const e = entry as Record<string, unknown>;
      if (typeof e.environment === "string") envs.add(e.environment);
      for (const unit of ["Days", "Hours"]) {
        const [min, max] = [e[`min${unit}`], e[`max${unit}`]];
        if (typeof min === "number" && typeof max === "number" && min > max) {
          ctx.addIssue({ code: "custom", path: [name, `min${unit}`], message: `min${unit} must be ≤ max${unit}` });
        }
      }
    }
    if (envs.size > 1) ctx.addIssue({ code: "custom", path: [], message: `environments disagree: ${[...envs]}` });
  });

export type PolicyPackConfig = z.infer<typeof policyPackConfigSchema>;

export function environmentOf(config: PolicyPackConfig): Environment {
  return config["fault-injection-not-in-prod"].environment;
}
