import type { StackConfig } from "../config/schema";

export const PART_OF = "observability-platform";

/** The label set every object this program creates carries (cost attribution, ownership, policy). */
export function commonLabels(
  config: Pick<StackConfig, "environment" | "team" | "costCenter">,
  name: string,
): Record<string, string> {
  return {
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": "pulumi",
    environment: config.environment,
    team: config.team,
    "cost-center": config.costCenter,
  };
}
