import type { StackConfig } from "../../config/schema";
import type { RenderedObject } from "../../render/render";
import { networkPoliciesSelectPods } from "./network-policies";
import type { Finding } from "./objects";
import { referencedObjectsExist } from "./references";
import { serviceSelectsPods, workloadSelectorMatchesTemplate } from "./selectors";

export interface CheckContext {
  config: StackConfig;
  /** True when some chart objects were not rendered: checks that need them say so instead of failing. */
  partial: boolean;
}

/** Every wiring check, on the union of program objects and rendered chart objects. */
export function runChecks(objects: RenderedObject[], ctx: CheckContext): Finding[] {
  return [
    ...workloadSelectorMatchesTemplate(objects),
    ...serviceSelectsPods(objects),
    ...referencedObjectsExist(objects),
    ...networkPoliciesSelectPods(objects),
  ];
}
