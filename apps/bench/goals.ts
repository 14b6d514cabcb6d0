import type { Spread } from "./stats";

/** A target the telemetry should stay within. Reported against, never asserted. */
export interface Goal {
  id: string;
  description: string;
  /** The largest acceptable overhead, percent. */
  limitPct: number;
}

export const GOALS = {
  cpu: { id: "cpu", description: "all-100 vs none: CPU per POST /orders at the fixed rate", limitPct: 10 },
  p50: { id: "p50", description: "all-100 vs none: p50 latency of POST /orders at the fixed rate", limitPct: 5 },
  throughput: { id: "throughput", description: "all-100 vs none: throughput lost at saturation", limitPct: 25 },
  tracingCpu: {
    id: "tracing-cpu",
    description: "tracing alone (all-100 vs metrics+logs): CPU per POST /orders",
    limitPct: 5,
  },
} as const satisfies Record<string, Goal>;

export interface GoalResult extends Goal {
  /** Overhead, percent, per cycle: median [min..max]; undefined when that part of the run was skipped. */
  measuredPct?: Spread;
  /** Judged on the median; null when not measured. */
  met: boolean | null;
  /** The cycles disagree: some are within the limit, some are not. */
  spreadCrosses: boolean;
}

export function evaluateGoal(goal: Goal, measuredPct: Spread | undefined): GoalResult {
  if (!measuredPct || measuredPct.n === 0 || !Number.isFinite(measuredPct.median)) {
    return { ...goal, measuredPct, met: null, spreadCrosses: false };
  }
  return {
    ...goal,
    measuredPct,
    met: measuredPct.median <= goal.limitPct,
    spreadCrosses: measuredPct.min <= goal.limitPct && measuredPct.max > goal.limitPct,
  };
}

/** Whether the goal is met, judged on the median, and whether every cycle agrees. */
export function goalVerdict(result: GoalResult): string {
  if (result.met === null) return "not measured";
  if (!result.spreadCrosses) return result.met ? "yes" : "no";
  return result.met ? "yes (not in every cycle)" : "no (met in some cycles)";
}
