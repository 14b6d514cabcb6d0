import {
  ALERT_LABELS,
  type DecisionOutcome,
  NO_ACTION,
  RESPONSE_ACTION_VALUES,
  type ResponseAction,
  SERVICE_NAMES,
} from "../../contract";
import { firingKey, type LedgerView, targetKey } from "./ledger";
import type { Alert, Decision, Guardrails, Target } from "./types";

export interface DecideContext {
  guardrails: Guardrails;
  ledger: LedgerView;
  now: Date;
  /** Why every action is held now (PlatformStatus.holdReason), or undefined. */
  held?: string;
}

/** Free text from an alert, quoted and cut short, for a reason. */
const quote = (text: string | undefined) => (text === undefined ? "(unset)" : JSON.stringify(text.slice(0, 100)));

const skip = (
  action: ResponseAction | typeof NO_ACTION,
  outcome: DecisionOutcome,
  reason: string,
  target?: Target,
): Decision => ({ kind: "skip", action, outcome, reason, ...(target ? { target } : {}) });

/**
 * The decision on one alert, pure. Checks in this order: mode off, resolved, playbook, scope, duplicate
 * firing, hold, cooldown, hourly cap, action in progress; else a plan for the executor.
 *
 * Which firings are remembered (Ledger): only those whose plan ran and acted, dry-ran or failed. A skip
 * for a state that may change (held, cooldown, rate_limited, in_progress, and the executor's
 * rollout_in_progress, paused, not_at_ceiling…) leaves the firing unremembered, so Alertmanager's repeat
 * notification of the same firing is decided again and may act once the state allows it.
 */
export function decide(alert: Alert, { guardrails, ledger, now, held }: DecideContext): Decision {
  const { alertname } = alert.labels;
  const response = alert.labels[ALERT_LABELS.response];
  const declared = RESPONSE_ACTION_VALUES.find((a) => a === response) ?? NO_ACTION;
  if (guardrails.mode === "off") return skip(declared, "off", "the responder's mode is off");
  if (alert.status === "resolved") return skip(declared, "resolved", "the alert is resolved: only firing alerts act");

  const entry = guardrails.playbook.find((e) => e.alert === alertname && e.action === response);
  if (!entry) {
    const why =
      response === undefined
        ? `the alert has no ${ALERT_LABELS.response} label`
        : `no playbook entry for ${quote(alertname)} with ${ALERT_LABELS.response} ${quote(response)}`;
    return skip(NO_ACTION, "no_playbook", why);
  }
  const { action } = entry;

  // The Deployment's name comes from SERVICE_NAMES, never from a label value copied through.
  const service = SERVICE_NAMES.find((s) => s === alert.labels[ALERT_LABELS.service]);
  if (!service) {
    const label = quote(alert.labels[ALERT_LABELS.service]);
    return skip(
      action,
      "out_of_scope",
      `label ${ALERT_LABELS.service} ${label} is not one of: ${SERVICE_NAMES.join(", ")}`,
    );
  }
  if (alert.labels[ALERT_LABELS.namespace] !== guardrails.namespace) {
    const label = quote(alert.labels[ALERT_LABELS.namespace]);
    return skip(action, "out_of_scope", `label ${ALERT_LABELS.namespace} ${label} is not ${guardrails.namespace}`);
  }
  const target: Target = { namespace: guardrails.namespace, service, deployment: service };
  const where = targetKey(target);

  if (ledger.seen(firingKey(alert))) {
    return skip(action, "duplicate", `this firing (started ${alert.startsAt}) already had its action`, target);
  }
  if (held !== undefined) return skip(action, "held", `held: ${held}`, target);
  const last = ledger.lastActionAt(where);
  if (last !== undefined && now.getTime() < last + guardrails.cooldownMs) {
    const until = new Date(last + guardrails.cooldownMs).toISOString();
    return skip(
      action,
      "cooldown",
      `${where} had an action at ${new Date(last).toISOString()}; cooldown until ${until}`,
      target,
    );
  }
  const count = ledger.actionsInLastHour(now.getTime());
  if (count >= guardrails.maxActionsPerHour) {
    return skip(
      action,
      "rate_limited",
      `${count} actions in the last hour, the cap is ${guardrails.maxActionsPerHour}`,
      target,
    );
  }
  if (ledger.inProgress(where)) return skip(action, "in_progress", `an action on ${where} is in progress`, target);
  return { kind: "plan", action, target, entry };
}

const AFTER_HOLD: ReadonlySet<DecisionOutcome> = new Set(["held", "cooldown", "rate_limited", "in_progress"]);

/**
 * Whether a decision made without a hold reason got as far as the hold check: only then is the hold worth
 * asking Prometheus for (and then decide() is called again with it).
 */
export function reachesHoldCheck(decision: Decision): boolean {
  return decision.kind === "plan" || AFTER_HOLD.has(decision.outcome);
}
