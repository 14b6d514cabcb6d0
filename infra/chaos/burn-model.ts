/**
 * What the multi-window burn-rate alerts will do about a fault, from the SLO arithmetic alone: when each pair
 * fires, when it resolves after the fault, and how much budget the fault spends. A game day's hypothesis is
 * derived from this (plan.ts), so "the page fires within N s" is what the stack's objective promises, not a
 * number someone guessed for one Prometheus of one age.
 *
 * The model: constant traffic; during the fault a share `badRatio` of the SLI's requests is bad; before it,
 * each window holds the bad share Prometheus measured when the plan was made (an earlier game day's burn),
 * taken as spread evenly over the window. Prometheus' rate() over a window holding less history than its
 * length averages over the history it has (both sides of the ratio are divided by the same range), so a
 * window's ratio is bad requests / all requests over min(window, history). That is why a young Prometheus
 * pages fast and then keeps the page (and the tickets) up long after the fault: its "6h" window is the last
 * few minutes.
 */

export interface BurnPair {
  severity: "page" | "ticket";
  /** The rule's windows as written (`1h`, `5m`): the names of their recorded ratios. */
  longWindow: string;
  shortWindow: string;
  longSeconds: number;
  shortSeconds: number;
  /** Error ratio both windows must exceed: burn factor × (1 − objective). */
  threshold: number;
}

export interface FaultShape {
  /** Share of the SLI's requests the fault makes bad (0..1]. */
  badRatio: number;
  /** Seconds of the SLI's history in Prometheus before the fault (Infinity: every window is full). */
  historySeconds: number;
  /** The bad share a window of this many seconds held before the fault; none when absent. */
  priorRatio?: (windowSeconds: number) => number;
  /**
   * Where that earlier burn sits in the window, which decides how fast it leaves: `even` (spread over it),
   * `oldest` (it leaves first: the latest a page can fire) or `newest` (it stays longest: the latest an alert
   * can resolve). Default even.
   */
  priorPlacement?: "even" | "oldest" | "newest";
}

/** Bad request-seconds of the history before the fault still inside a window, `elapsed` seconds after it began. */
function priorBad(window: number, elapsed: number, shape: FaultShape): number {
  const prior = shape.priorRatio?.(window) ?? 0;
  if (prior === 0) return 0;
  const held = Math.min(shape.historySeconds, window); // history inside the window when the fault starts
  const bad = prior * held;
  const left = Math.min(held, Math.max(0, elapsed - (window - held))); // of it, the seconds slid out since
  if (shape.priorPlacement === "oldest") return Math.max(0, bad - left);
  if (shape.priorPlacement === "newest") return Math.max(0, Math.min(bad, held - left));
  return prior * (held - left);
}

/** The share of bad requests in a `window`-second window `t` seconds after the fault started (fault still on). */
export function ratioDuringFault(window: number, t: number, shape: FaultShape): number {
  const bad = priorBad(window, t, shape) + shape.badRatio * Math.min(Math.max(t, 0), window);
  const all = Math.min(window, shape.historySeconds + Math.max(t, 0));
  return all > 0 ? bad / all : 0;
}

/** The share of bad requests in a window `s` seconds after a fault of `faultSeconds` ended. */
export function ratioAfterFault(window: number, faultSeconds: number, s: number, shape: FaultShape): number {
  const bad =
    priorBad(window, faultSeconds + s, shape) + shape.badRatio * Math.max(0, Math.min(faultSeconds, window - s));
  return bad / Math.min(window, shape.historySeconds + faultSeconds + s);
}

/** Seconds after the fault's start at which the pair's condition first holds; null if it never does. */
export function firesAfter(pair: BurnPair, shape: FaultShape, limitSeconds = pair.longSeconds): number | null {
  if (shape.badRatio <= pair.threshold) return null; // not even a window full of the fault is enough
  // Second by second: an earlier burn leaving the window can make the ratios fall before the fault lifts them.
  for (let t = 1; t <= limitSeconds; t++) {
    if (
      ratioDuringFault(pair.longSeconds, t, shape) > pair.threshold &&
      ratioDuringFault(pair.shortSeconds, t, shape) > pair.threshold
    ) {
      return t;
    }
  }
  return null;
}

/** Whether the pair's condition holds at the fault's end (`margin` < 1: also when within that share of it). */
export function holdsAtEnd(pair: BurnPair, faultSeconds: number, shape: FaultShape, margin = 1): boolean {
  const threshold = pair.threshold * margin;
  return (
    ratioDuringFault(pair.longSeconds, faultSeconds, shape) > threshold &&
    ratioDuringFault(pair.shortSeconds, faultSeconds, shape) > threshold
  );
}

/**
 * Seconds after the fault's end at which the pair's condition stops holding (one window drops to its
 * threshold); 0 when it did not hold at the end. The ratios only fall after the fault, so bisection again.
 */
export function resolvesAfter(pair: BurnPair, faultSeconds: number, shape: FaultShape, margin = 1): number {
  const threshold = pair.threshold * margin;
  const holds = (s: number) =>
    ratioAfterFault(pair.longSeconds, faultSeconds, s, shape) > threshold &&
    ratioAfterFault(pair.shortSeconds, faultSeconds, s, shape) > threshold;
  if (!holds(0)) return 0;
  let [lo, hi] = [0, pair.shortSeconds]; // the short window is empty of the fault after its own length
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (holds(mid)) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Share of the SLO period's budget a fault spends: bad request-seconds over the budget's request-seconds. */
export function budgetSpent(badRatio: number, faultSeconds: number, objective: number, periodSeconds: number): number {
  return (badRatio * faultSeconds) / ((1 - objective) * periodSeconds);
}
