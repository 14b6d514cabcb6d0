/**
 * Judges an action after the fact: polls the triggering alert and the service's burn rate every interval
 * until the window ends. Effective as soon as the alert no longer fires and the burn rate is at most 1 (or
 * there is none); ineffective if that never happened; unknown if Prometheus never answered.
 */
import { ALERT_LABELS, type EffectOutcome } from "../../contract";
import type { EffectWatcher, PlatformStatus } from "./types";

/** The clock the watcher waits on; tests pass one that jumps instead of waiting. */
export interface WatchClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const REAL_CLOCK: WatchClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
};

export interface EffectWatcherArgs {
  status: PlatformStatus;
  windowMs: number;
  intervalMs: number;
  clock?: WatchClock;
}

/** A burn rate of 1 spends the error budget exactly over the SLO period: no longer an emergency. */
export function recovered(state: { firing: boolean; burnRate?: number }): boolean {
  return !state.firing && (state.burnRate === undefined || state.burnRate <= 1);
}

export function createEffectWatcher(args: EffectWatcherArgs): EffectWatcher {
  if (!(Number.isFinite(args.windowMs) && args.windowMs >= 0)) {
    throw new Error(`verify windowMs must be a number >= 0, got ${args.windowMs}`);
  }
  if (!(Number.isFinite(args.intervalMs) && args.intervalMs > 0)) {
    throw new Error(`verify intervalMs must be a number > 0, got ${args.intervalMs}`);
  }
  const clock = args.clock ?? REAL_CLOCK;
  return {
    async watch({ alert, target }): Promise<EffectOutcome> {
      const alertname = alert.labels[ALERT_LABELS.alertname] ?? "";
      const end = clock.now() + args.windowMs;
      let answered = false;
      // The first look is one interval after the action: right after it the alert still fires.
      for (;;) {
        await clock.sleep(Math.max(0, Math.min(args.intervalMs, end - clock.now())));
        try {
          const state = await args.status.alertState(alertname, target);
          answered = true;
          if (recovered(state)) return "effective";
        } catch {
          // Prometheus did not answer this time; the next poll may.
        }
        if (clock.now() >= end) return answered ? "ineffective" : "unknown";
      }
    },
  };
}
