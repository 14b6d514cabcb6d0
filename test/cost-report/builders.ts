import type { Results, Sample } from "../../apps/cost/prometheus";
import type { StackConfig } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces } from "../../infra/platform/naming";
import { type ReportQueries, reportQueries } from "../../infra/queries/cost-report-queries";

/** The stacks' configs as their files say (dev: USD, budget 150, 0.04048/vCPU-h, 0.004445/GiB-h). */
export const dev = loadStackConfig("dev");
export const prod = loadStackConfig("prod");

export const queriesOf = (config: StackConfig): ReportQueries => reportQueries(config, namespaces(config));

/** One series. */
export const s = (labels: Record<string, string>, value: number): Sample => ({ labels, value });

/** Every query's answer empty, but those given. */
export function results(given: Partial<Results> = {}, config: StackConfig = dev): Results {
  const empty = Object.fromEntries(Object.keys(queriesOf(config)).map((k) => [k, []])) as unknown as Results;
  return { ...empty, ...given };
}
