import type {
  DecisionOutcome,
  EffectOutcome,
  PlaybookEntry,
  ResponderMode,
  ResponseAction,
  ServiceName,
} from "../../contract";

/** One alert of an Alertmanager notification (webhook payload version 4), as validated by payload.ts. */
export interface Alert {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** The Deployment an action is about: always `<service>` in the configured apps namespace. */
export interface Target {
  namespace: string;
  service: ServiceName;
  /** The Deployment's name (the service's name: infra/services/microservice.ts). */
  deployment: string;
}

/** The guardrails, from the environment (config.ts); the Pulumi component sets them from the stack config. */
export interface Guardrails {
  mode: ResponderMode;
  namespace: string;
  playbook: PlaybookEntry[];
  cooldownMs: number;
  maxActionsPerHour: number;
  retries: number;
  retryBackoffMs: number;
  verifyWindowMs: number;
  verifyIntervalMs: number;
  raise: { step: number; cap: number; durationMs: number };
}

/** The pure decision on one alert (decide.ts): a final outcome, or a plan for the executor. */
export type Decision =
  | { kind: "skip"; action: ResponseAction | "none"; outcome: DecisionOutcome; reason: string; target?: Target }
  | { kind: "plan"; action: ResponseAction; target: Target; entry: PlaybookEntry };

/** What the executor did with a plan. `dry_run`: every precondition held and nothing was changed. */
export interface ActionResult {
  outcome: Extract<
    DecisionOutcome,
    | "acted"
    | "failed"
    | "dry_run"
    | "rollout_in_progress"
    | "paused"
    | "not_found"
    | "no_pods"
    | "not_at_ceiling"
    | "at_cap"
  >;
  /** Why it was skipped or failed, or what it changed ("maxReplicas 10 → 12 until …"). */
  detail: string;
  /** Kubernetes API calls made, retries included (for the audit line). */
  attempts: number;
}

/** Runs a plan against the Kubernetes API: reads the preconditions, then (in `act`) changes and records an Event. */
export interface Executor {
  execute(plan: Extract<Decision, { kind: "plan" }>, mode: ResponderMode, alert: Alert): Promise<ActionResult>;
  /** Reverts temporary raises that have expired; returns what it reverted. Called periodically and at start. */
  revertExpired(now: Date): Promise<{ target: Target; detail: string }[]>;
}

/** The platform's state as Prometheus sees it (prometheus.ts). */
export interface PlatformStatus {
  /** Why every action must be held now, or undefined; a Prometheus that does not answer holds too. */
  holdReason(): Promise<string | undefined>;
  /** Whether the alert still fires for the target, and the service's highest current burn rate (undefined: no data). */
  alertState(alertname: string, target: Target): Promise<{ firing: boolean; burnRate?: number }>;
}

/** Judges an action once its window is over (verify.ts). */
export interface EffectWatcher {
  watch(args: { alert: Alert; target: Target; action: ResponseAction }): Promise<EffectOutcome>;
}
