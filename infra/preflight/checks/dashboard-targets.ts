import { DASHBOARD_SIDECAR_LABEL, dashboardQueries } from "../../dashboards/model";
import { substituteGrafanaVariables } from "../../dashboards/query-check";
import type { RenderedObject } from "../../render/render";
import { type Finding, finding } from "./objects";
import { jobMatchers, matcherHasTarget } from "./rule-targets";
import { jobsProduced } from "./scraping";

const isDashboard = (r: RenderedObject) =>
  r.object.kind === "ConfigMap" &&
  Object.entries(DASHBOARD_SIDECAR_LABEL).every(([k, v]) => r.object.metadata?.labels?.[k] === v);

/**
 * Every `job` a dashboard query selects is produced by some monitor, as rulesHaveTargets checks for rules:
 * a panel on a job nobody scrapes stays empty. `skipComponents`: components a partial render lacks; a
 * matcher naming one of them is not judged.
 */
export function dashboardsHaveTargets(objects: RenderedObject[], skipComponents: string[] = []): Finding[] {
  const jobs = new Set(jobsProduced(objects).flatMap((p) => (p.job === undefined ? [] : [p.job])));
  const out: Finding[] = [];
  for (const r of objects.filter(isDashboard)) {
    for (const json of Object.values((r.object as { data?: Record<string, string> }).data ?? {})) {
      const seen = new Set<string>();
      for (const q of dashboardQueries(JSON.parse(json) as Record<string, unknown>)) {
        if (q.datasource !== "prometheus") continue;
        for (const m of jobMatchers(substituteGrafanaVariables(q.expr))) {
          const matcher = `job${m.op}${JSON.stringify(m.value)}`;
          if (seen.has(matcher) || skipComponents.some((c) => m.value.includes(c))) continue;
          seen.add(matcher);
          const result = matcherHasTarget(m, jobs);
          if (result.matches) continue;
          const why = result.reason ?? `matches no job any monitor produces (${[...jobs].sort().join(", ")})`;
          out.push(finding("dashboard-targets", r, `panel "${q.panel}": ${matcher} ${why}`));
        }
      }
    }
  }
  return out;
}
