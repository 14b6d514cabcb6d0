import { LABELS, RESPONSE_ACTIONS } from "../../contract";
import type { Namespaces } from "../platform/naming";
import { PROBE_JOBS, type ProbesConfig } from "../probes/probes";
import { ALERT_NAMES, ALERT_SERVICE_LABEL, type Rule, type RuleGroup, runbook, withResponse } from "./rules";

/** The window ServiceProbeSlow averages the end-to-end probes' duration over. */
export const PROBE_SLOW_WINDOW = "5m";

const asService = (expr: string) =>
  `label_replace(${expr}, "${ALERT_SERVICE_LABEL}", "$1", "${LABELS.service}", "(.*)")`;

/**
 * Alerts on the blackbox probes of this environment's services (Probe objects in the apps namespace). A
 * failing probe pages: with no ready pod behind the Service, or a broken end-to-end read, users see an
 * outage whether or not there is traffic for the SLO alerts to measure. A slow end-to-end read tickets.
 */
export function probeRuleGroup(probes: ProbesConfig, ns: Namespaces): RuleGroup {
  const selector = (jobs: string[]) => `{namespace="${ns.apps}",job=~"${jobs.join("|")}"}`;
  const endToEnd = selector([PROBE_JOBS.endToEnd]);
  const failing = (job: string): Rule => ({
    alert: ALERT_NAMES.probeFailing,
    expr: asService(`probe_success${selector([job])} == 0`),
    for: probes.failingFor,
    labels: { severity: "page" },
    annotations: {
      summary: "{{ $labels.service }}: the {{ $labels.job }} probe fails",
      description: `The blackbox exporter's {{ $labels.job }} probe of {{ $labels.instance }} has failed without a break for ${probes.failingFor}: ${job === PROBE_JOBS.readiness ? "no ready pod behind the Service" : "a read users make does not answer as it should"}.`,
      runbook_url: runbook(ALERT_NAMES.probeFailing),
    },
  });
  return {
    name: "service-probes",
    rules: [
      // A failing readiness probe while the pods still run is a hung or wedged instance: a restart is the
      // known first response. A failing end-to-end read may be a dependency or a bad release: no response.
      withResponse(
        failing(PROBE_JOBS.readiness),
        RESPONSE_ACTIONS.restart,
        "restart the service's Deployment (what kubectl rollout restart does) when its readiness probe fails while its pods still run, unless a rollout is in progress or paused",
      ),
      failing(PROBE_JOBS.endToEnd),
      {
        alert: ALERT_NAMES.probeSlow,
        expr: asService(
          `avg_over_time(probe_duration_seconds${endToEnd}[${PROBE_SLOW_WINDOW}]) > ${probes.latencyThresholdSeconds}`,
        ),
        for: probes.slowFor,
        labels: { severity: "ticket" },
        annotations: {
          summary: `{{ $labels.service }}: the end-to-end probe takes over ${probes.latencyThresholdSeconds}s`,
          description: `The {{ $labels.job }} probe of {{ $labels.instance }} has averaged more than ${probes.latencyThresholdSeconds}s over ${PROBE_SLOW_WINDOW} for ${probes.slowFor} (DNS, connect and the answer, from inside the cluster).`,
          runbook_url: runbook(ALERT_NAMES.probeSlow),
        },
      },
    ],
  };
}
