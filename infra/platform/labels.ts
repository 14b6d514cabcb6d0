import { CHART_OWNED_LABEL_PREFIX } from "../../policies/rules/required-labels";
import type { StackConfig } from "../config/schema";

export const PART_OF = "observability-platform";

/**
 * The labels handed to a chart (commonLabels, podLabels…): ownership and cost attribution only, never the
 * `app.kubernetes.io/*` identity labels the chart writes itself (a duplicate key breaks selectors).
 */
export function chartLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => !key.startsWith(CHART_OWNED_LABEL_PREFIX)));
}

/**
 * A NetworkPolicy rule with no peers admits every source (or destination); the policy must say why in this
 * annotation, or preflight rejects it.
 */
export const OPEN_RULE_REASON_ANNOTATION = "observability-platform/open-rule-reason";

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
