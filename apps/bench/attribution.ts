import type { VariantName } from "./variants";

/**
 * Which CPU belongs to which turn. Every variant's processes are sampled at every slice boundary, so
 * each variant's time splits into intervals:
 *  - active: its own turn (its requests, and the background work that runs meanwhile);
 *  - deferred: the intervals that start within `deferS` after its turn, when work its requests left
 *    behind still runs (the batch span processor exports up to 5 s later);
 *  - idle: everything else, where it only pays its background cost (timers, runtime metrics).
 * A turn's CPU is its active interval plus its deferred intervals minus the idle rate over the deferred
 * time: what the requests cost as if the load were continuous, not inflated by the time the variant
 * waited for its next turn (with five variants it waits four slices out of five).
 */

export interface Counters {
  cpuUs: number;
  logBytes: number;
  exportBytes: number;
  exports: number;
}

export type IntervalTag = { kind: "active"; slice: number } | { kind: "deferred"; slice: number } | { kind: "idle" };

export interface Interval extends Counters {
  variant: VariantName;
  /** The phase the interval started in. */
  phase: string;
  startS: number;
  endS: number;
  tag: IntervalTag;
}

export class Timeline {
  readonly intervals: Interval[] = [];
  private readonly last = new Map<VariantName, { atS: number; counters: Counters }>();
  private readonly lastTurn = new Map<VariantName, { slice: number; endS: number }>();

  constructor(private readonly deferS: number) {}

  /**
   * Closes every variant's current interval at `atS` (the first call only starts them). `active`
   * names the variant whose turn the interval was, and the turn's slice number.
   */
  boundary(
    atS: number,
    phase: string,
    samples: ReadonlyMap<VariantName, Counters>,
    active?: { variant: VariantName; slice: number },
  ): void {
    for (const [variant, counters] of samples) {
      const previous = this.last.get(variant);
      this.last.set(variant, { atS, counters });
      if (!previous) continue;
      let tag: IntervalTag = { kind: "idle" };
      const turn = this.lastTurn.get(variant);
      if (active?.variant === variant) tag = { kind: "active", slice: active.slice };
      else if (turn && previous.atS - turn.endS < this.deferS) tag = { kind: "deferred", slice: turn.slice };
      this.intervals.push({
        variant,
        phase,
        startS: previous.atS,
        endS: atS,
        cpuUs: counters.cpuUs - previous.counters.cpuUs,
        logBytes: counters.logBytes - previous.counters.logBytes,
        exportBytes: counters.exportBytes - previous.counters.exportBytes,
        exports: counters.exports - previous.counters.exports,
        tag,
      });
      if (tag.kind === "active") this.lastTurn.set(variant, { slice: tag.slice, endS: atS });
    }
  }
}

/**
 * A variant's background CPU, µs per second, pooled over its idle intervals in `phase` — or over the
 * whole run when the phase has less than `minIdleS` of idle time; 0 when the run has none.
 */
export function idleRate(intervals: readonly Interval[], variant: VariantName, phase: string, minIdleS = 3): number {
  const pooled = (filter: (i: Interval) => boolean) => {
    let cpu = 0;
    let seconds = 0;
    for (const i of intervals) {
      if (i.variant !== variant || i.tag.kind !== "idle" || !filter(i)) continue;
      cpu += i.cpuUs;
      seconds += i.endS - i.startS;
    }
    return { cpu, seconds };
  };
  const inPhase = pooled((i) => i.phase === phase);
  if (inPhase.seconds >= minIdleS) return inPhase.cpu / inPhase.seconds;
  const all = pooled(() => true);
  return all.seconds > 0 ? all.cpu / all.seconds : 0;
}

export interface Attribution extends Counters {
  activeCpuUs: number;
  deferredCpuUs: number;
  deferredS: number;
  idleUsPerS: number;
}

/** One turn's share: active + deferred intervals, less the idle rate over the deferred time (never below 0). */
export function attribute(
  intervals: readonly Interval[],
  variant: VariantName,
  slice: number,
  idleUsPerS: number,
): Attribution {
  const out: Attribution = {
    cpuUs: 0,
    logBytes: 0,
    exportBytes: 0,
    exports: 0,
    activeCpuUs: 0,
    deferredCpuUs: 0,
    deferredS: 0,
    idleUsPerS,
  };
  for (const i of intervals) {
    if (i.variant !== variant || i.tag.kind === "idle" || i.tag.slice !== slice) continue;
    if (i.tag.kind === "active") out.activeCpuUs += i.cpuUs;
    else {
      out.deferredCpuUs += i.cpuUs;
      out.deferredS += i.endS - i.startS;
    }
    out.logBytes += i.logBytes;
    out.exportBytes += i.exportBytes;
    out.exports += i.exports;
  }
  out.cpuUs = Math.max(0, out.activeCpuUs + out.deferredCpuUs - idleUsPerS * out.deferredS);
  return out;
}
