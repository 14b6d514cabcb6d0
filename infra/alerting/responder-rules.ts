import {
  type DecisionOutcome,
  type EffectOutcome,
  RESPONDER_LABELS,
  RESPONDER_METRICS,
  RESPONDER_NAME,
} from "../../contract";
import type { Namespaces } from "../platform/naming";
import type { Rule, RuleGroup } from "./rules";
import { runbook } from "./rules";

export const RESPONDER_ALERT_NAMES = {
  actionsFailing: "ResponderActionsFailing",
  down: "ResponderDown",
} as const;

/** A failed action (after every retry) tickets for this long after it. */
export const FAILED_ACTIONS_WINDOW = "15m";
/** This many actions judged ineffective within INEFFECTIVE_ACTIONS_WINDOW ticket: the playbook does not help. */
export const INEFFECTIVE_ACTIONS_THRESHOLD = 2;
export const INEFFECTIVE_ACTIONS_WINDOW = "6h";
/** No responder target up for this long tickets. */
export const RESPONDER_DOWN_FOR = "5m";

/**
 * How many times a counter went up within the window. A labelled counter is born at its first increment,
 * so increase() (which needs an earlier sample) misses that one: a series absent at the window's start
 * counts with its whole value.
 */
export const eventsWithin = (series: string, window: string) =>
  `((${series} unless ${series} offset ${window}) or increase(${series}[${window}]))`;

/**
 * Alerts on the alert responder itself (its Deployment in the platform namespace, scraped as job
 * `responder`): actions that fail or keep not helping, and a responder that is not running. Neither
 * declares a response: the responder does not act on its own alerts. Both ticket; the alerts it would
 * have answered still reach the humans.
 */
export function responderRuleGroup(ns: Namespaces): RuleGroup {
  const target = `namespace="${ns.platform}",job="${RESPONDER_NAME}"`;
  const outcome = RESPONDER_LABELS.outcome;
  const by = `sum by (namespace, ${RESPONDER_LABELS.action}, ${outcome})`;
  const failedOutcome: DecisionOutcome = "failed";
  const ineffectiveOutcome: EffectOutcome = "ineffective";
  const failed = `${RESPONDER_METRICS.decisions}{${target},${outcome}="${failedOutcome}"}`;
  const ineffective = `${RESPONDER_METRICS.actionEffective}{${target},${outcome}="${ineffectiveOutcome}"}`;
  const up = `up{${target}}`;
  const a = RESPONDER_ALERT_NAMES;
  const failing: Rule = {
    alert: a.actionsFailing,
    expr: `${by} (${eventsWithin(failed, FAILED_ACTIONS_WINDOW)}) > 0 or ${by} (${eventsWithin(ineffective, INEFFECTIVE_ACTIONS_WINDOW)}) >= ${INEFFECTIVE_ACTIONS_THRESHOLD}`,
    labels: { severity: "warning" },
    annotations: {
      summary: "Alert responder: {{ $labels.outcome }} {{ $labels.action }} actions",
      description: `The alert responder reports {{ $labels.action }} actions {{ $labels.outcome }}: failed after every retry in the last ${FAILED_ACTIONS_WINDOW}, or judged ineffective ${INEFFECTIVE_ACTIONS_THRESHOLD} times or more in the last ${INEFFECTIVE_ACTIONS_WINDOW}. The alerts it answered still reached their human receivers; its decision log says which alert and target.`,
      runbook_url: runbook(a.actionsFailing),
    },
  };
  const down: Rule = {
    alert: a.down,
    // absent and down alike: no target (not deployed, not scraped) is as silent as a failing one
    expr: `(sum(${up}) or vector(0)) == 0`,
    for: RESPONDER_DOWN_FOR,
    labels: { severity: "warning", namespace: ns.platform },
    annotations: {
      summary: "The alert responder is down",
      description: `No alert responder target in ${ns.platform} has been up for ${RESPONDER_DOWN_FOR}: alerts that declare an automatic response get none (they still reach the humans).`,
      runbook_url: runbook(a.down),
    },
  };
  return { name: "responder", rules: [failing, down] };
}
