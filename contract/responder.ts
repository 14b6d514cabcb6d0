/**
 * The contract of the alert responder (apps/responder): the alert labels it reads, the actions a rule may
 * declare, its metrics, and every Kubernetes API operation it makes. The Pulumi program derives the
 * responder's Role from RESPONDER_OPERATIONS, so the Role covers what the code does and nothing more.
 */

/** The responder is built on the services' layer, but it is not a demo service (no SLO, not in SERVICE_NAMES). */
export const RESPONDER_NAME = "responder";

export const RESPONDER_PATHS = { alerts: "/alerts" } as const;

/** Labels of the alerts the responder reads; the rule generators (infra/alerting/) write them. */
export const ALERT_LABELS = {
  alertname: "alertname",
  /** The demo service the alert is about (SERVICE_NAMES); the responder acts on its Deployment only. */
  service: "service",
  namespace: "namespace",
  severity: "severity",
  /** The automatic response a rule declares (RESPONSE_ACTIONS); Alertmanager routes on it. */
  response: "response",
} as const;

/** Automatic responses an alert rule may declare in its `response` label. */
export const RESPONSE_ACTIONS = {
  /** What `kubectl rollout restart deployment/<service>` does. */
  restart: "restart",
  /** Raise the HPA's maxReplicas (or the Deployment's replicas) by a bounded step, for a bounded time. */
  raiseMaxReplicas: "raise-max-replicas",
} as const;
export type ResponseAction = (typeof RESPONSE_ACTIONS)[keyof typeof RESPONSE_ACTIONS];
export const RESPONSE_ACTION_VALUES = Object.values(RESPONSE_ACTIONS) as ResponseAction[];

export const RESPONDER_MODES = ["off", "dry-run", "act"] as const;
export type ResponderMode = (typeof RESPONDER_MODES)[number];

export const RESPONDER_METRICS = {
  /** One per alert in a firing/resolved notification: labels alertname, action, outcome (DECISION_OUTCOMES). */
  decisions: "responder_decisions_total",
  /** Time from the decision to the action's end, retries included: labels action, outcome. */
  actionDuration: "responder_action_duration_seconds",
  /** Whether an action helped, once its verification window is over: label outcome (EFFECT_OUTCOMES). */
  actionEffective: "responder_action_effective_total",
  /** Temporary replica raises in force (reverted when they expire). */
  temporaryRaises: "responder_temporary_raises",
} as const;

export const RESPONDER_LABELS = { alertname: "alertname", action: "action", outcome: "outcome" } as const;

/** Action value of a decision that does nothing (no playbook entry for the alert). */
export const NO_ACTION = "none";

/**
 * Outcomes of one decision. `acted`: the action succeeded; `failed`: it failed after every retry;
 * `dry_run`: it would have acted. The rest say why nothing was done.
 */
export const DECISION_OUTCOMES = [
  "acted",
  "failed",
  "dry_run",
  "off",
  "no_playbook",
  "resolved",
  "duplicate",
  "out_of_scope",
  "held",
  "cooldown",
  "rate_limited",
  "in_progress",
  "rollout_in_progress",
  "paused",
  "not_found",
  "no_pods",
  "not_at_ceiling",
  "at_cap",
] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];

export const EFFECT_OUTCOMES = ["effective", "ineffective", "unknown"] as const;
export type EffectOutcome = (typeof EFFECT_OUTCOMES)[number];

/**
 * Annotation on an HPA (or a Deployment without one) whose replicas the responder raised: JSON
 * `{ field, from, to, reason, alert, expires }`; the responder reverts the raise when it expires.
 */
export const RAISE_ANNOTATION = "observability-platform.io/responder-raise";
/** What `kubectl rollout restart` sets on the pod template. */
export const RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt";
/** `source.component` of the Events the responder creates. */
export const RESPONDER_EVENT_SOURCE = "alert-responder";

export interface ApiOperation {
  /** API group ("" for the core group). */
  apiGroup: string;
  /** Resource, with its subresource after a slash (`deployments/scale`). */
  resource: string;
  verb: "get" | "list" | "watch" | "patch" | "create";
}

/** Every Kubernetes API call the responder makes, all in its apps namespace. */
export const RESPONDER_OPERATIONS = {
  getDeployment: { apiGroup: "apps", resource: "deployments", verb: "get" },
  listDeployments: { apiGroup: "apps", resource: "deployments", verb: "list" },
  restartDeployment: { apiGroup: "apps", resource: "deployments", verb: "patch" },
  scaleDeployment: { apiGroup: "apps", resource: "deployments/scale", verb: "patch" },
  annotateDeployment: { apiGroup: "apps", resource: "deployments", verb: "patch" },
  getHpa: { apiGroup: "autoscaling", resource: "horizontalpodautoscalers", verb: "get" },
  listHpas: { apiGroup: "autoscaling", resource: "horizontalpodautoscalers", verb: "list" },
  patchHpa: { apiGroup: "autoscaling", resource: "horizontalpodautoscalers", verb: "patch" },
  createEvent: { apiGroup: "", resource: "events", verb: "create" },
} as const satisfies Record<string, ApiOperation>;
export type ResponderOperation = keyof typeof RESPONDER_OPERATIONS;

/**
 * The recording rule of an SLO's current burn rate (error ratio over 5m ÷ budget; labels namespace,
 * service_name, slo), written by infra/alerting/ and read by the responder to judge its actions.
 */
export const SLO_CURRENT_BURN_RATE_RECORD = "slo:current_burn_rate:ratio";

/** Environment variables of the responder, set by the Pulumi component (infra/responder/) and the demo. */
export const RESPONDER_ENV = {
  token: "RESPONDER_TOKEN",
  mode: "RESPONDER_MODE",
  namespace: "RESPONDER_NAMESPACE",
  /** JSON array of PlaybookEntry, derived from the alert rules. */
  playbook: "RESPONDER_PLAYBOOK",
  /**
   * PromQL that returns series while every action must be held (a platform alert firing, several services
   * burning at once), composed from the rules by infra/alerting/playbook.ts; each series says why.
   */
  holdQuery: "RESPONDER_HOLD_QUERY",
  cooldownSeconds: "RESPONDER_COOLDOWN_SECONDS",
  maxActionsPerHour: "RESPONDER_MAX_ACTIONS_PER_HOUR",
  retries: "RESPONDER_RETRIES",
  retryBackoffMs: "RESPONDER_RETRY_BACKOFF_MS",
  verifyWindowSeconds: "RESPONDER_VERIFY_WINDOW_SECONDS",
  verifyIntervalSeconds: "RESPONDER_VERIFY_INTERVAL_SECONDS",
  raiseStep: "RESPONDER_RAISE_STEP",
  raiseCap: "RESPONDER_RAISE_CAP",
  raiseTtlSeconds: "RESPONDER_RAISE_TTL_SECONDS",
  prometheusUrl: "PROMETHEUS_URL",
  /** Unset: in-cluster (KUBERNETES_SERVICE_HOST and the service account's token and CA). */
  kubernetesApiUrl: "KUBERNETES_API_URL",
  kubernetesTokenFile: "KUBERNETES_TOKEN_FILE",
  kubernetesCaFile: "KUBERNETES_CA_FILE",
} as const;

/**
 * Annotation of a rule that declares a response: when and how it acts, in words (shown on the page too,
 * so the human knows what the automation tried).
 */
export const AUTOMATIC_RESPONSE_ANNOTATION = "automatic_response";

/**
 * One automatic response, derived from an alert rule that declares it (its `response` label). Only the
 * variants of an alert whose rule carries the label have one (the latency burn, not the availability one).
 */
export interface PlaybookEntry {
  alert: string;
  action: ResponseAction;
  /** The rule's AUTOMATIC_RESPONSE_ANNOTATION. */
  description: string;
  severity: string;
  /** The rule's runbook, for the audit line and the playbook table. */
  runbook: string;
}
