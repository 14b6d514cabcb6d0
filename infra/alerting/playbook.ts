import {
  ALERT_LABELS,
  AUTOMATIC_RESPONSE_ANNOTATION,
  type PlaybookEntry,
  RESPONSE_ACTION_VALUES,
  type ResponseAction,
} from "../../contract";
import { ALERT_NAMES, ALERT_SERVICE_LABEL, type RuleGroup } from "./rules";

/**
 * The responder's playbook, derived from the rules that declare a response (withResponse): one entry per
 * alert and action. The responder acts only on alerts whose name and `response` label are in it.
 */
export function playbookOf(groups: RuleGroup[]): PlaybookEntry[] {
  const entries = new Map<string, PlaybookEntry>();
  for (const rule of groups.flatMap((g) => g.rules)) {
    const action = rule.labels?.[ALERT_LABELS.response];
    if (!rule.alert || action === undefined) continue;
    if (!RESPONSE_ACTION_VALUES.includes(action as ResponseAction)) {
      throw new Error(
        `alert ${rule.alert} declares the unknown response "${action}" (allowed: ${RESPONSE_ACTION_VALUES.join(", ")})`,
      );
    }
    const key = `${rule.alert}/${action}`;
    if (entries.has(key)) continue;
    entries.set(key, {
      alert: rule.alert,
      action: action as ResponseAction,
      description: rule.annotations?.[AUTOMATIC_RESPONSE_ANNOTATION] ?? "",
      severity: rule.labels?.[ALERT_LABELS.severity] ?? "",
      runbook: rule.annotations?.runbook_url ?? "",
    });
  }
  return [...entries.values()].sort((a, b) => a.alert.localeCompare(b.alert) || a.action.localeCompare(b.action));
}

/**
 * kube-prometheus-stack's default rules (alertmanager.rules, prometheus) that say the alerting pipeline
 * itself is unwell: the responder cannot trust what it is told while one fires.
 */
export const PIPELINE_ALERTS = [
  "AlertmanagerClusterDown",
  "AlertmanagerClusterFailedToSendAlerts",
  "AlertmanagerFailedToSendAlerts",
  "PrometheusErrorSendingAlertsToAnyAlertmanager",
  "PrometheusMissingRuleEvaluations",
  "PrometheusNotConnectedToAlertmanagers",
  "PrometheusNotIngestingSamples",
  "PrometheusRuleFailures",
] as const;

/**
 * The alerts that hold every automatic action while they fire, as kured holds reboots: the platform's
 * own health (ours, Watchdog aside, and the pipeline's from the chart). A restart does not fix those.
 */
export function holdAlertsOf(groups: RuleGroup[]): string[] {
  const platform = groups.find((g) => g.name === "platform-health")?.rules ?? [];
  const ours = platform.flatMap((r) => (r.alert && r.labels?.severity !== "none" ? [r.alert] : []));
  return [...new Set([...ours, ...PIPELINE_ALERTS])].sort();
}

/**
 * The responder's hold query: series while a hold alert fires (anywhere: the platform is shared), or while
 * `burningServices` or more services of this namespace have a fast burn firing (then a restart is not the
 * fix). Each series carries `alertname`, so the audit line can say what held the action.
 */
export function holdQueryOf(groups: RuleGroup[], appsNamespace: string, burningServices: number): string {
  const firing = 'alertstate="firing"';
  const hold = `ALERTS{${firing},alertname=~"${holdAlertsOf(groups).join("|")}"}`;
  const burning = `ALERTS{${firing},alertname="${ALERT_NAMES.fastBurn}",namespace="${appsNamespace}"}`;
  const services = `count by (alertname) (count by (alertname, ${ALERT_SERVICE_LABEL}) (${burning}))`;
  return `${hold} or (${services} >= ${burningServices})`;
}
