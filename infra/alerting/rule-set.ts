import type { StackConfig } from "../config/schema";
import type { Namespaces } from "../platform/naming";
import { capacityRuleGroup, storageRuleGroup } from "./capacity-rules";
import { costRuleGroups } from "./cost-rules";
import { probeRuleGroup } from "./probe-rules";
import { responderRuleGroup } from "./responder-rules";
import { aggregationRuleGroup, healthRuleGroups, type RuleGroup, sloRuleGroup } from "./rules";
import { slosFor } from "./slos";

/**
 * Every rule group of a stack: SLOs of each service, dashboard aggregates, service and platform health,
 * synthetic probes, capacity, the alert responder, cost.
 */
export function ruleGroupsFor(config: StackConfig, ns: Namespaces): RuleGroup[] {
  return [
    ...slosFor(config).map(sloRuleGroup),
    aggregationRuleGroup(),
    // Prometheus reads retentionSize "GB" as 2^30 bytes
    ...healthRuleGroups({
      retentionSizeBytes: config.metrics.retentionSizeGi * 2 ** 30,
      appsNamespace: ns.apps,
      platformNamespace: ns.platform,
    }),
    probeRuleGroup(config.probes, ns),
    capacityRuleGroup(config, ns),
    storageRuleGroup(config, ns),
    responderRuleGroup(ns),
    ...costRuleGroups(config, ns),
  ];
}
