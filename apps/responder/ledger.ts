import { BoundedMap } from "../lib/bounded-map";
import type { ActionResult, Alert, Target } from "./types";

const HOUR_MS = 3_600_000;

/** One firing of an alert: Alertmanager repeats its notification, the firing stays the same. */
export const firingKey = (alert: Pick<Alert, "fingerprint" | "startsAt">) => `${alert.fingerprint}@${alert.startsAt}`;
export const targetKey = (target: Target) => `${target.namespace}/${target.deployment}`;

/** What decide() reads; nothing in it changes the ledger. */
export interface LedgerView {
  seen(firing: string): boolean;
  /** When the target's last action ended (epoch ms), if any. */
  lastActionAt(target: string): number | undefined;
  /** Actions ended in the hour before `now`, plus those still running (they count before they end). */
  actionsInLastHour(now: number): number;
  inProgress(target: string): boolean;
}

/**
 * Results that count as an action: it happened (or, in dry-run, would have), or it failed after calls that
 * may have changed something. They start the target's cooldown, count against the hourly cap and keep the
 * firing remembered. Every other result says the target's state did not allow it (rollout in progress,
 * paused, not at the ceiling…): nothing changed, and a repeat notification re-evaluates.
 */
const COUNTED: ReadonlySet<ActionResult["outcome"]> = new Set(["acted", "dry_run", "failed"]);

/**
 * The responder's memory, in process: a restart of the responder forgets it (cooldowns and the hourly cap
 * start afresh; the Events on the Deployments keep the history for humans). Dry-run results are recorded
 * like actions, so a dry run shows what act would do, cooldown and hourly cap included.
 */
export class Ledger implements LedgerView {
  private readonly firings: BoundedMap<string, true>;
  private readonly lastAction = new Map<string, number>();
  private ended: number[] = [];
  private readonly running = new Set<string>();

  constructor(capacity = 10_000) {
    this.firings = new BoundedMap(capacity);
  }

  seen(firing: string): boolean {
    return this.firings.has(firing);
  }

  lastActionAt(target: string): number | undefined {
    return this.lastAction.get(target);
  }

  actionsInLastHour(now: number): number {
    return this.ended.filter((t) => t > now - HOUR_MS).length + this.running.size;
  }

  inProgress(target: string): boolean {
    return this.running.has(target);
  }

  /**
   * A plan goes to the executor: the firing is remembered now, so a repeat notification that arrives
   * while the action runs is a duplicate, and the target is busy until end().
   */
  begin(firing: string, target: string): void {
    this.firings.set(firing, true);
    this.running.add(target);
  }

  end(firing: string, target: string, outcome: ActionResult["outcome"], now: number): void {
    this.running.delete(target);
    if (!COUNTED.has(outcome)) {
      this.firings.delete(firing);
      return;
    }
    this.lastAction.set(target, now);
    this.ended = [...this.ended.filter((t) => t > now - HOUR_MS), now];
  }
}
