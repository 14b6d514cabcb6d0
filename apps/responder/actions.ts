/**
 * The executor: reads an action's preconditions from the Kubernetes API, then (in `act`) restarts the
 * service's Deployment or raises its replica ceiling for a while, and records an Event on the target.
 * Transient API failures are retried with exponential backoff within one budget per action; it never throws.
 */
import { randomBytes } from "node:crypto";
import {
  ALERT_LABELS,
  RAISE_ANNOTATION,
  RESPONDER_EVENT_SOURCE,
  RESPONSE_ACTIONS,
  type ResponderMode,
  SERVICE_NAME_LABEL,
  SERVICE_NAMES,
  type ServiceName,
} from "../../contract";
import type { Logger } from "../lib/logger";
import type { Deployment, Hpa, KubeConnection, KubeEvent } from "./kube";
import { KubeError } from "./kube";
import type { ActionResult, Alert, Decision, Executor, Guardrails, Target } from "./types";

export const EVENT_REASONS = {
  restart: "ResponderRestart",
  raise: "ResponderRaise",
  reverted: "ResponderRaiseReverted",
} as const;

/** The RAISE_ANNOTATION value: what was raised, from what, to what, why and until when. */
export interface RaiseRecord {
  field: "maxReplicas" | "replicas";
  from: number;
  to: number;
  reason: string;
  /** The alert's fingerprint. */
  alert: string;
  /** RFC 3339. */
  expires: string;
}

export interface ExecutorArgs {
  guardrails: Guardrails;
  kube: KubeConnection;
  logger: Logger;
  /** The responder_temporary_raises gauge, if the metrics wiring passes one. */
  temporaryRaises?: { set(value: number): void };
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

type Plan = Extract<Decision, { kind: "plan" }>;
type Outcome = Omit<ActionResult, "attempts">;

// ---- Pure helpers ----

/** Why a Deployment's rollout is still going on, or undefined when it is complete. */
export function rolloutInProgress(d: Deployment): string | undefined {
  if (d.observedGeneration < d.generation) {
    return `rollout of deployment/${d.name} in progress (observedGeneration ${d.observedGeneration} < generation ${d.generation})`;
  }
  if (d.updatedReplicas < d.desiredReplicas) {
    return `rollout of deployment/${d.name} in progress (${d.updatedReplicas} of ${d.desiredReplicas} replicas updated)`;
  }
  return undefined;
}

/** RFC 3339 in UTC with seconds precision, as kubectl writes restartedAt. */
export function rfc3339Seconds(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

/** The raised ceiling, or undefined when `current` is already at (or above) the cap. */
export function raisedCeiling(current: number, step: number, cap: number): number | undefined {
  return current >= cap ? undefined : Math.min(current + step, cap);
}

/** The annotation's record, or undefined when absent or not one of ours (never throws). */
export function parseRaise(text: string | undefined): RaiseRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as Partial<RaiseRecord>;
    const valid =
      (r.field === "maxReplicas" || r.field === "replicas") &&
      Number.isInteger(r.from) &&
      Number.isInteger(r.to) &&
      typeof r.expires === "string" &&
      !Number.isNaN(Date.parse(r.expires));
    return valid ? (r as RaiseRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** An Event name as the kubelet makes them: the object's name, a dot, a unique hex suffix. */
export function eventName(objectName: string): string {
  return `${objectName}.${randomBytes(8).toString("hex")}`;
}

function describeAlert(alert: Alert): string {
  return `${alert.labels[ALERT_LABELS.alertname] ?? "alert"} (${alert.fingerprint})`;
}

// ---- The retry budget ----

/** Counts API calls and spends one action's retries, waiting retryBackoffMs, 2×, 4×… before each. */
class Attempts {
  calls = 0;
  private retried = 0;
  constructor(
    private readonly guardrails: Guardrails,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** Waits before another try; false when the budget is spent. */
  async another(): Promise<boolean> {
    if (this.retried >= this.guardrails.retries) return false;
    await this.sleep(this.guardrails.retryBackoffMs * 2 ** this.retried);
    this.retried++;
    return true;
  }

  /** One API call, retried while it fails transiently (no answer, 429, 5xx) and the budget lasts. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    for (;;) {
      this.calls++;
      try {
        return await fn();
      } catch (error) {
        if (!(error instanceof KubeError && transient(error)) || !(await this.another())) throw error;
      }
    }
  }
}

function transient(error: KubeError): boolean {
  if (error.status === 0) return error.reason === "ConnectionFailed" || error.reason === "Timeout";
  return error.status === 429 || error.status >= 500;
}

const isStatus = (error: unknown, status: number) => error instanceof KubeError && error.status === status;

// ---- The executor ----

export async function createExecutor(args: ExecutorArgs): Promise<Executor> {
  return new KubeExecutor(args);
}

class KubeExecutor implements Executor {
  private readonly g: Guardrails;
  private readonly kube: KubeConnection;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Raises in force as last seen (a revert scan), plus new ones since. */
  private raisesInForce = 0;

  constructor(private readonly args: ExecutorArgs) {
    this.g = args.guardrails;
    this.kube = args.kube;
    this.logger = args.logger;
    this.now = args.now ?? (() => new Date());
    this.sleep = args.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async execute(plan: Plan, mode: ResponderMode, alert: Alert): Promise<ActionResult> {
    const attempts = new Attempts(this.g, this.sleep);
    // Only `act` changes anything; dry-run (and off, should it get here) reads and stops.
    const act = mode === "act";
    const at = this.now(); // one time per action: a retried PATCH sends the same value
    for (;;) {
      try {
        const outcome =
          plan.action === RESPONSE_ACTIONS.restart
            ? await this.restart(plan.target, act, alert, at, attempts)
            : await this.raise(plan.target, act, alert, at, attempts);
        return { ...outcome, attempts: attempts.calls };
      } catch (error) {
        // A conflict means the object changed under us: read it again and decide again.
        if (isStatus(error, 409) && (await attempts.another())) continue;
        return { outcome: "failed", detail: failure(error, attempts.calls), attempts: attempts.calls };
      }
    }
  }

  private async restart(t: Target, act: boolean, alert: Alert, at: Date, a: Attempts): Promise<Outcome> {
    const d = await this.readDeployment(t, a);
    if (!d) return { outcome: "not_found", detail: `deployment/${t.deployment} not found in ${t.namespace}` };
    if (d.paused) return { outcome: "paused", detail: `deployment/${d.name} is paused` };
    const own = rolloutInProgress(d);
    if (own) return { outcome: "rollout_in_progress", detail: own };
    const siblings = await a.call(() => this.kube.listDeployments(t.namespace, `${SERVICE_NAME_LABEL}=${t.service}`));
    const other = siblings
      .filter((s) => s.name !== d.name)
      .map(rolloutInProgress)
      .find(Boolean);
    if (other) return { outcome: "rollout_in_progress", detail: `another Deployment of ${t.service}: ${other}` };
    if (d.replicas === 0) return { outcome: "no_pods", detail: `deployment/${d.name} has no pods to restart` };
    if (!act) return { outcome: "dry_run", detail: `would restart deployment/${d.name} (${d.replicas} pods)` };

    const restartedAt = rfc3339Seconds(at);
    await a.call(() => this.kube.restartDeployment(t.namespace, d.name, restartedAt));
    const detail = `restarted deployment/${d.name} (restartedAt ${restartedAt})`;
    await this.recordEvent(deploymentRef(d), EVENT_REASONS.restart, `${describeAlert(alert)}: ${detail}`, a);
    return { outcome: "acted", detail };
  }

  private async raise(t: Target, act: boolean, alert: Alert, at: Date, a: Attempts): Promise<Outcome> {
    let hpa: Hpa | undefined;
    try {
      hpa = await a.call(() => this.kube.getHpa(t.namespace, t.deployment));
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    return hpa ? this.raiseHpa(hpa, t, act, alert, at, a) : this.raiseDeployment(t, act, alert, at, a);
  }

  private async raiseHpa(h: Hpa, t: Target, act: boolean, alert: Alert, at: Date, a: Attempts): Promise<Outcome> {
    if (h.currentReplicas < h.maxReplicas) {
      return { outcome: "not_at_ceiling", detail: `${h.currentReplicas} of maxReplicas ${h.maxReplicas} in use` };
    }
    const to = raisedCeiling(h.maxReplicas, this.g.raise.step, this.g.raise.cap);
    if (to === undefined) {
      return { outcome: "at_cap", detail: `maxReplicas ${h.maxReplicas} is at the cap ${this.g.raise.cap}` };
    }
    const why = `${h.currentReplicas} replicas at the ceiling maxReplicas ${h.maxReplicas}`;
    const record = this.raiseRecord("maxReplicas", h.annotations, h.maxReplicas, to, alert, why, at);
    const change = `maxReplicas ${h.maxReplicas} → ${to} until ${record.expires}`;
    if (!act) return { outcome: "dry_run", detail: `would raise ${change}` };

    const annotations = { [RAISE_ANNOTATION]: JSON.stringify(record) };
    await a.call(() => this.kube.patchHpa(t.namespace, h.name, { maxReplicas: to, annotations }));
    this.countRaise(h.annotations);
    await this.recordEvent(hpaRef(h), EVENT_REASONS.raise, `${describeAlert(alert)}: raised ${change}`, a);
    return { outcome: "acted", detail: change };
  }

  /** Without an HPA the Deployment's replicas are its ceiling: raise them through /scale. */
  private async raiseDeployment(t: Target, act: boolean, alert: Alert, at: Date, a: Attempts): Promise<Outcome> {
    const d = await this.readDeployment(t, a);
    if (!d) return { outcome: "not_found", detail: `neither an HPA nor deployment/${t.deployment} in ${t.namespace}` };
    if (d.desiredReplicas === 0) return { outcome: "no_pods", detail: `deployment/${d.name} is scaled to 0` };
    const to = raisedCeiling(d.desiredReplicas, this.g.raise.step, this.g.raise.cap);
    if (to === undefined) {
      return {
        outcome: "at_cap",
        detail: `replicas ${d.desiredReplicas} of deployment/${d.name} at the cap ${this.g.raise.cap}`,
      };
    }
    const why = `no HPA: deployment/${d.name} runs ${d.desiredReplicas} replicas`;
    const record = this.raiseRecord("replicas", d.annotations, d.desiredReplicas, to, alert, why, at);
    const change = `replicas ${d.desiredReplicas} → ${to} until ${record.expires}`;
    if (!act) return { outcome: "dry_run", detail: `would raise ${change}` };

    // Annotate first: a raise without its annotation would never be reverted.
    await a.call(() =>
      this.kube.annotateDeployment(t.namespace, d.name, { [RAISE_ANNOTATION]: JSON.stringify(record) }),
    );
    await a.call(() => this.kube.scaleDeployment(t.namespace, d.name, to));
    this.countRaise(d.annotations);
    await this.recordEvent(deploymentRef(d), EVENT_REASONS.raise, `${describeAlert(alert)}: raised ${change}`, a);
    return { outcome: "acted", detail: change };
  }

  /** The annotation of a raise; raising an already-raised object keeps its original `from`. */
  private raiseRecord(
    field: RaiseRecord["field"],
    annotations: Record<string, string>,
    current: number,
    to: number,
    alert: Alert,
    why: string,
    at: Date,
  ): RaiseRecord {
    const previous = parseRaise(annotations[RAISE_ANNOTATION]);
    return {
      field,
      from: previous?.field === field ? previous.from : current,
      to,
      reason: `${alert.labels[ALERT_LABELS.alertname] ?? "alert"}: ${why}`,
      alert: alert.fingerprint,
      expires: rfc3339Seconds(new Date(at.getTime() + this.g.raise.durationMs)),
    };
  }

  /**
   * Runs in every mode: a raise is a promise made when acting, and dry-run or off stop new actions, not the
   * undoing of old ones. An object whose annotation is unreadable or not named after a service is left alone.
   */
  async revertExpired(now: Date): Promise<{ target: Target; detail: string }[]> {
    const reverted: { target: Target; detail: string }[] = [];
    const ns = this.g.namespace;
    let inForce = 0;
    let complete = true;
    const scan: [string, () => Promise<(Hpa | Deployment)[]>][] = [
      ["horizontalpodautoscalers", () => this.kube.listHpas(ns)],
      ["deployments", () => this.kube.listDeployments(ns)],
    ];
    for (const [kind, list] of scan) {
      let objects: (Hpa | Deployment)[];
      try {
        objects = await new Attempts(this.g, this.sleep).call(list);
      } catch (error) {
        this.logger.error("cannot list raised objects", { kind, namespace: ns, error: failure(error) });
        complete = false;
        continue;
      }
      for (const object of objects) {
        const text = object.annotations[RAISE_ANNOTATION];
        if (text === undefined) continue;
        const record = parseRaise(text);
        const service = SERVICE_NAMES.find((s) => s === object.name);
        if (!record || !service) {
          this.logger.warn("raise annotation left alone", {
            kind,
            name: object.name,
            reason: "not ours or unreadable",
          });
          continue;
        }
        const done =
          Date.parse(record.expires) <= now.getTime() ? await this.revert(object, record, service) : undefined;
        if (done) reverted.push(done);
        else inForce++;
      }
    }
    // A failed listing leaves the count as it was rather than report raises as gone.
    if (complete) this.raisesInForce = inForce;
    this.args.temporaryRaises?.set(this.raisesInForce);
    return reverted;
  }

  /** Puts `from` back and removes the annotation; a value changed since the raise is left as it is. */
  private async revert(
    object: Hpa | Deployment,
    record: RaiseRecord,
    service: ServiceName,
  ): Promise<{ target: Target; detail: string } | undefined> {
    const ns = this.g.namespace;
    const a = new Attempts(this.g, this.sleep);
    const isHpa = "maxReplicas" in object;
    const current = isHpa ? object.maxReplicas : object.desiredReplicas;
    const restore = current === record.to;
    const detail = restore
      ? `${record.field} ${record.to} → ${record.from} (raise expired ${record.expires})`
      : `${record.field} left at ${current}: changed since the raise to ${record.to} (expired ${record.expires})`;
    const remove = { [RAISE_ANNOTATION]: null };
    try {
      if (isHpa) {
        await a.call(() =>
          this.kube.patchHpa(ns, object.name, { maxReplicas: restore ? record.from : undefined, annotations: remove }),
        );
      } else {
        if (restore) await a.call(() => this.kube.scaleDeployment(ns, object.name, record.from));
        await a.call(() => this.kube.annotateDeployment(ns, object.name, remove));
      }
    } catch (error) {
      this.logger.error("cannot revert a raise", { name: object.name, record, error: failure(error, a.calls) });
      return undefined;
    }
    const ref = isHpa ? hpaRef(object) : deploymentRef(object);
    await this.recordEvent(ref, EVENT_REASONS.reverted, `reverted: ${detail}`, a);
    return { target: { namespace: ns, service, deployment: object.name }, detail };
  }

  private countRaise(previousAnnotations: Record<string, string>): void {
    if (previousAnnotations[RAISE_ANNOTATION] === undefined) this.raisesInForce++;
    this.args.temporaryRaises?.set(this.raisesInForce);
  }

  private async readDeployment(t: Target, a: Attempts): Promise<Deployment | undefined> {
    try {
      return await a.call(() => this.kube.getDeployment(t.namespace, t.deployment));
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /** Records what was done on the object; a failed Event is logged and changes nothing. */
  private async recordEvent(ref: KubeEvent["involvedObject"], reason: string, message: string, a: Attempts) {
    const at = this.now();
    const event: KubeEvent = {
      metadata: { name: eventName(ref.name), namespace: ref.namespace },
      involvedObject: ref,
      reason,
      message,
      type: "Normal",
      source: { component: RESPONDER_EVENT_SOURCE },
      reportingComponent: RESPONDER_EVENT_SOURCE,
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    };
    try {
      await a.call(() => this.kube.createEvent(ref.namespace, event));
    } catch (error) {
      this.logger.warn("cannot record the Event of an action", { reason, object: ref.name, error: failure(error) });
    }
  }
}

function deploymentRef(d: Deployment): KubeEvent["involvedObject"] {
  return { apiVersion: "apps/v1", kind: "Deployment", name: d.name, namespace: d.namespace, uid: d.uid };
}

function hpaRef(h: Hpa): KubeEvent["involvedObject"] {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    name: h.name,
    namespace: h.namespace,
    uid: h.uid,
  };
}

function failure(error: unknown, calls?: number): string {
  const after = calls === undefined ? "" : ` (${calls} API calls)`;
  if (error instanceof KubeError)
    return `${error.operation}: ${error.status} ${error.reason}: ${error.message}${after}`;
  const message = (error as { message?: unknown } | undefined)?.message;
  return `${typeof message === "string" ? message : String(error)}${after}`;
}
