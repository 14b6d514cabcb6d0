import { attribute, type Counters, idleRate, Timeline } from "../../apps/bench/attribution";
import type { VariantName } from "../../apps/bench/variants";

/**
 * Two variants, 1 s slices, deferral 2.5 s. Each idles at its own rate; each turn costs 100 ms of CPU
 * during it and leaves 30 ms behind in the next second (think: span export).
 */
function simulate() {
  const idle: Record<string, number> = { a: 10_000, b: 20_000 }; // µs per s
  const cpu: Record<string, number> = { a: 0, b: 0 };
  const timeline = new Timeline(2.5);
  const sample = () =>
    new Map<VariantName, Counters>(
      (["a", "b"] as unknown as VariantName[]).map((v) => [
        v,
        { cpuUs: cpu[v] as number, logBytes: 0, exportBytes: 0, exports: 0 },
      ]),
    );
  let t = 0;
  let slice = 0;
  const pendingDeferred: Record<string, number> = { a: 0, b: 0 };
  const second = (active?: string) => {
    for (const v of ["a", "b"]) {
      cpu[v] = (cpu[v] as number) + (idle[v] as number) + (pendingDeferred[v] as number);
      pendingDeferred[v] = 0;
    }
    if (active) {
      cpu[active] = (cpu[active] as number) + 100_000;
      pendingDeferred[active] = 30_000;
    }
    t += 1;
    timeline.boundary(t, "p", sample(), active ? { variant: active as VariantName, slice: ++slice } : undefined);
  };
  timeline.boundary(0, "p", sample());
  // a, b, idle, idle, idle, a, b, idle, idle, idle, idle
  for (const turn of ["a", "b", "", "", "", "a", "b", "", "", "", ""]) second(turn || undefined);
  return timeline;
}

describe("CPU attribution", () => {
  const timeline = simulate();
  const a = "a" as VariantName;
  const b = "b" as VariantName;

  test("intervals are tagged active, deferred (within the deferral after a turn) or idle", () => {
    const tags = timeline.intervals.filter((i) => i.variant === a).map((i) => i.tag.kind);
    expect(tags).toEqual([
      "active",
      "deferred",
      "deferred",
      "deferred",
      "idle",
      "active",
      "deferred",
      "deferred",
      "deferred",
      "idle",
      "idle",
    ]);
  });

  test("the idle rate is pooled over the idle intervals only", () => {
    expect(idleRate(timeline.intervals, a, "p")).toBeCloseTo(10_000);
    expect(idleRate(timeline.intervals, b, "p", 1)).toBeCloseTo(20_000);
  });

  test("a turn gets what it cost during and after it, without the idle time it then waited", () => {
    // active second: idle 10 ms + 100 ms; deferred 3 s: 30 ms left behind + 3 × idle 10 ms, idle removed
    const share = attribute(timeline.intervals, a, 1, idleRate(timeline.intervals, a, "p"));
    expect(share.activeCpuUs).toBe(110_000);
    expect(share.deferredCpuUs).toBe(60_000);
    expect(share.deferredS).toBe(3);
    expect(share.cpuUs).toBeCloseTo(140_000); // 100 ms + 30 ms + the idle rate during its own second
  });

  test("the idle rate falls back to the whole run when the phase has too little idle time, else 0", () => {
    expect(idleRate(timeline.intervals, a, "other")).toBeCloseTo(10_000);
    expect(idleRate([], a, "p")).toBe(0);
  });

  test("never below zero", () => {
    expect(attribute(timeline.intervals, a, 1, 1e9).cpuUs).toBe(0);
  });
});
