import { SpanStatusCode, trace } from "@opentelemetry/api";
import {
  ALERT_LABELS,
  type DecisionOutcome,
  type EffectOutcome,
  RESPONDER_LABELS,
  RESPONDER_METRICS,
} from "../../contract";
import type { Logger } from "../lib/logger";
import type { ServiceMetrics } from "../lib/metrics";
import { decide, reachesHoldCheck } from "./decide";
import { firingKey, Ledger, targetKey } from "./ledger";
import type { AlertmanagerPayload } from "./payload";
import type {
  ActionResult,
  Alert,
  Decision,
  EffectWatcher,
  Executor,
  Guardrails,
  PlatformStatus,
  Target,
} from "./types";

/** The parts that reach outside the process; wiring.ts builds the real ones, tests pass fakes. */
export interface ResponderParts {
  executor: Executor;
  status: PlatformStatus;
  watcher: EffectWatcher;
}

/** One decision in the answer to Alertmanager; a plan handed to the executor is "planned". */
export interface DecisionView {
  alertname: string;
  fingerprint: string;
  action: Decision["action"];
  outcome: DecisionOutcome | "planned";
  reason?: string;
}

export interface ResponderOptions {
  guardrails: Guardrails;
  parts: ResponderParts;
  logger: Logger;
  metrics: ServiceMetrics;
  now?: () => Date;
  /** How often expired raises are reverted (once at start too). */
  revertEveryMs?: number;
}

type Plan = Extract<Decision, { kind: "plan" }>;

/** Actions take from one API call to several with backoff between retries. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** The alertname label of alerts outside the playbook: a label value never comes from unbounded input. */
const OTHER_ALERT = "other";
const SPAN_ATTRIBUTES = {
  alert: "responder.alert",
  service: "responder.service",
  action: "responder.action",
  outcome: "responder.outcome",
} as const;

const tracer = trace.getTracer("observability-platform/responder");
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Decides on each alert of a notification and runs the plans in the background: Alertmanager gets its
 * answer without waiting for the Kubernetes API. Every decision is one log line and one count; nothing
 * the executor, the watcher or Prometheus throws gets past this class.
 */
export class Responder {
  private readonly ledger = new Ledger();
  private readonly now: () => Date;
  private readonly decisions;
  private readonly duration;
  private readonly effective;
  private timer: NodeJS.Timeout | undefined;
  private reverting = false;

  constructor(private readonly options: ResponderOptions) {
    this.now = options.now ?? (() => new Date());
    const { metrics } = options;
    const { alertname, action, outcome } = RESPONDER_LABELS;
    this.decisions = metrics.counter(RESPONDER_METRICS.decisions, "Responder decisions, one per alert notified.", [
      alertname,
      action,
      outcome,
    ]);
    this.duration = metrics.histogram(
      RESPONDER_METRICS.actionDuration,
      "Time from a decision to the end of its action, retries included.",
      [action, outcome],
      DURATION_BUCKETS,
    );
    this.effective = metrics.counter(
      RESPONDER_METRICS.actionEffective,
      "Actions judged after their verification window: effective, ineffective or unknown.",
      [action, outcome],
    );
  }

  /** Reverts expired raises now and then every revertEveryMs, until close(). */
  start(): void {
    this.background(this.revertExpired());
    this.timer = setInterval(() => this.background(this.revertExpired()), this.options.revertEveryMs ?? 60_000);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  async handle(payload: AlertmanagerPayload): Promise<DecisionView[]> {
    const { guardrails, logger } = this.options;
    if (payload.truncatedAlerts > 0) {
      logger.warn("notification truncated", { truncated_alerts: payload.truncatedAlerts, receiver: payload.receiver });
    }
    // Asked at most once per notification, and only when an alert gets as far as the hold check.
    let hold: Promise<string | undefined> | undefined;
    const holdReason = () => {
      hold ??= this.options.parts.status
        .holdReason()
        .catch((err: unknown) => `cannot check platform health: ${errorText(err)}`);
      return hold;
    };
    const views: DecisionView[] = [];
    for (const alert of payload.alerts) {
      let decision = decide(alert, { guardrails, ledger: this.ledger, now: this.now() });
      if (reachesHoldCheck(decision)) {
        const held = await holdReason();
        decision = decide(alert, { guardrails, ledger: this.ledger, now: this.now(), held });
      }
      const view = { alertname: alert.labels.alertname, fingerprint: alert.fingerprint, action: decision.action };
      if (decision.kind === "skip") {
        this.record(alert, decision.action, decision.outcome, { target: decision.target, reason: decision.reason });
        views.push({ ...view, outcome: decision.outcome, reason: decision.reason });
        continue;
      }
      // Synchronously with the decision: the next alert (or notification) sees the target busy.
      this.ledger.begin(firingKey(alert), targetKey(decision.target));
      this.background(this.run(decision, alert));
      views.push({ ...view, outcome: "planned" });
    }
    return views;
  }

  /** Runs work after the answer; whatever escapes it is logged, never an unhandled rejection. */
  private background(work: Promise<void>): void {
    work.catch((err: unknown) => this.options.logger.error("responder task failed", { error: errorText(err) }));
  }

  private async run(plan: Plan, alert: Alert): Promise<void> {
    const { mode } = this.options.guardrails;
    const started = performance.now();
    const attributes = {
      [SPAN_ATTRIBUTES.alert]: alert.labels.alertname,
      [SPAN_ATTRIBUTES.service]: plan.target.service,
      [SPAN_ATTRIBUTES.action]: plan.action,
    };
    const result = await tracer.startActiveSpan(`responder ${plan.action}`, { attributes }, async (span) => {
      let result: ActionResult;
      try {
        result = await this.options.parts.executor.execute(plan, mode, alert);
      } catch (err) {
        result = { outcome: "failed", detail: `executor error: ${errorText(err)}`, attempts: 0 };
      }
      span.setAttribute(SPAN_ATTRIBUTES.outcome, result.outcome);
      if (result.outcome === "failed") span.setStatus({ code: SpanStatusCode.ERROR, message: result.detail });
      span.end();
      return result;
    });
    this.ledger.end(firingKey(alert), targetKey(plan.target), result.outcome, this.now().getTime());
    this.duration.observe(
      { [RESPONDER_LABELS.action]: plan.action, [RESPONDER_LABELS.outcome]: result.outcome },
      (performance.now() - started) / 1000,
    );
    this.record(alert, plan.action, result.outcome, {
      target: plan.target,
      detail: result.detail,
      attempts: result.attempts,
    });
    if (result.outcome === "acted") await this.judge(plan, alert);
  }

  /** After an action: did it help? Counted once the watcher's window is over. */
  private async judge(plan: Plan, alert: Alert): Promise<void> {
    let effect: EffectOutcome;
    let error: string | undefined;
    try {
      effect = await this.options.parts.watcher.watch({ alert, target: plan.target, action: plan.action });
    } catch (err) {
      effect = "unknown";
      error = errorText(err);
    }
    this.effective.inc({ [RESPONDER_LABELS.action]: plan.action, [RESPONDER_LABELS.outcome]: effect });
    this.options.logger.info("action effect", {
      alertname: alert.labels.alertname,
      fingerprint: alert.fingerprint,
      target: targetKey(plan.target),
      action: plan.action,
      effect,
      ...(error ? { error } : {}),
    });
  }

  /** The audit: one log line and one count per decision. Never the token (the responder never holds it here). */
  private record(
    alert: Alert,
    action: Decision["action"],
    outcome: DecisionOutcome,
    more: { target?: Target; reason?: string; detail?: string; attempts?: number },
  ): void {
    const { guardrails, logger } = this.options;
    const { alertname } = alert.labels;
    const known = guardrails.playbook.some((e) => e.alert === alertname);
    this.decisions.inc({
      [RESPONDER_LABELS.alertname]: known ? alertname : OTHER_ALERT,
      [RESPONDER_LABELS.action]: action,
      [RESPONDER_LABELS.outcome]: outcome,
    });
    const level = outcome === "failed" ? "error" : outcome === "acted" ? "warn" : "info";
    logger.log(level, "decision", {
      alertname,
      fingerprint: alert.fingerprint,
      starts_at: alert.startsAt,
      service: more.target?.service ?? alert.labels[ALERT_LABELS.service]?.slice(0, 100),
      target: more.target ? targetKey(more.target) : undefined,
      action,
      mode: guardrails.mode,
      outcome,
      ...(more.reason !== undefined ? { reason: more.reason } : {}),
      ...(more.detail !== undefined ? { detail: more.detail } : {}),
      ...(more.attempts !== undefined ? { attempts: more.attempts } : {}),
    });
  }

  private async revertExpired(): Promise<void> {
    const { guardrails, logger, parts } = this.options;
    // In every mode, off included: a temporary raise is the responder's own change and must not outlive
    // its expiry because automation was switched off meanwhile (a plain pulumi up does not reset it).
    if (this.reverting) return;
    this.reverting = true;
    try {
      for (const { target, detail } of await parts.executor.revertExpired(this.now())) {
        logger.warn("raise reverted", { service: target.service, target: targetKey(target), detail });
      }
    } catch (err) {
      logger.error("reverting expired raises failed", { error: errorText(err) });
    } finally {
      this.reverting = false;
    }
  }
}
