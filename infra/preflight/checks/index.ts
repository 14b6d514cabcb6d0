import type { StackConfig } from "../../config/schema";
import { namespaces } from "../../platform/naming";
import type { RenderedObject } from "../../render/render";
import { storeClaimsExist } from "./capacity";
import { chaosTargetsSelected } from "./chaos";
import { dashboardsHaveTargets } from "./dashboard-targets";
import { networkPoliciesSelectPods } from "./network-policies";
import type { Finding } from "./objects";
import { referencedObjectsExist } from "./references";
import { renderedConfigMatches } from "./rendered-config";
import { rulesHaveTargets } from "./rule-targets";
import {
  componentsMaybeUnrendered,
  monitorsSelectTargets,
  PLATFORM_COMPONENTS,
  platformComponentsScraped,
} from "./scraping";
import { serviceSelectsPods, workloadSelectorMatchesTemplate } from "./selectors";

export interface CheckContext {
  config: StackConfig;
  /** True when some chart objects were not rendered: checks that need them say so instead of failing. */
  partial: boolean;
}

/** Every wiring check, on the union of program objects and rendered chart objects. */
export function runChecks(objects: RenderedObject[], ctx: CheckContext): Finding[] {
  const components = PLATFORM_COMPONENTS(namespaces(ctx.config), {
    chaos: ctx.config.chaos.enabled,
    distributed: ctx.config.scale === "distributed",
  });
  // A partial render lacks sub-chart pods (or whole releases): those components are not reported missing.
  const allowMissing = ctx.partial ? componentsMaybeUnrendered(objects, components) : [];
  return [
    ...workloadSelectorMatchesTemplate(objects),
    ...serviceSelectsPods(objects),
    ...referencedObjectsExist(objects),
    ...renderedConfigMatches(objects, ctx.config),
    ...networkPoliciesSelectPods(objects),
    ...storeClaimsExist(objects, ctx.config),
    ...monitorsSelectTargets(objects),
    ...platformComponentsScraped(objects, components, allowMissing),
    // A partial render lacks the monitors of unrendered sub-charts, so the charts' own rules on their jobs
    // cannot be judged; the program's rules (SLOs, service and platform alerts) always are.
    ...rulesHaveTargets(
      ctx.partial ? objects.filter((r) => r.object.kind !== "PrometheusRule" || r.origin === "program") : objects,
    ),
    ...dashboardsHaveTargets(objects, allowMissing),
    ...chaosTargetsSelected(objects, ctx.config),
  ];
}
