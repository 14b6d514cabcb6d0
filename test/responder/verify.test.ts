/**
 * The effect check with a fake PlatformStatus (a scripted sequence of answers) and a clock that jumps
 * instead of waiting: these tests prove the verdict logic, not the Prometheus queries (prometheus.test.ts).
 */

import type { Alert, PlatformStatus, Target } from "../../apps/responder/types";
import { createEffectWatcher, recovered, type WatchClock } from "../../apps/responder/verify";

const TARGET: Target = { namespace: "apps", service: "order", deployment: "order" };
const ALERT: Alert = {
  status: "firing",
  labels: { alertname: "ServicePodCrashLooping" },
  annotations: {},
  startsAt: "2026-01-01T00:00:00Z",
  endsAt: "0001-01-01T00:00:00Z",
  generatorURL: "",
  fingerprint: "f",
};

type State = { firing: boolean; burnRate?: number } | "down";

/** Answers the scripted states in turn (the last one repeats) and records when and what it was asked. */
function scripted(states: State[], clock: WatchClock) {
  const calls: { at: number; alertname: string; target: Target }[] = [];
  const status: PlatformStatus = {
    holdReason: async () => undefined,
    alertState: async (alertname, target) => {
      calls.push({ at: clock.now(), alertname, target });
      const state = states[Math.min(calls.length - 1, states.length - 1)];
      if (state === "down" || state === undefined) throw new Error("connect ECONNREFUSED");
      return state;
    },
  };
  return { status, calls };
}

function fakeClock(): WatchClock {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
}

const watch = (states: State[], windowMs = 600_000, intervalMs = 60_000) => {
  const clock = fakeClock();
  const { status, calls } = scripted(states, clock);
  const watcher = createEffectWatcher({ status, windowMs, intervalMs, clock });
  return { result: watcher.watch({ alert: ALERT, target: TARGET, action: "restart" }), calls };
};

test("effective as soon as the alert stops firing with no burn rate: stops polling there, one interval per poll", async () => {
  const { result, calls } = watch([{ firing: true }, { firing: true }, { firing: false }]);
  expect(await result).toBe("effective");
  expect(calls.map((c) => c.at)).toEqual([60_000, 120_000, 180_000]);
  expect(calls[0]).toMatchObject({ alertname: "ServicePodCrashLooping", target: TARGET });
});

test("not effective while the alert is gone but the burn rate is still above 1; effective once it is ≤ 1", async () => {
  const { result, calls } = watch([
    { firing: false, burnRate: 6 },
    { firing: false, burnRate: 1 },
  ]);
  expect(await result).toBe("effective");
  expect(calls).toHaveLength(2);
});

test("ineffective when the alert still fires at the end of the window; the last poll is at the window's end", async () => {
  const { result, calls } = watch([{ firing: true, burnRate: 3 }], 600_000, 60_000);
  expect(await result).toBe("ineffective");
  expect(calls).toHaveLength(10);
  expect(calls.at(-1)?.at).toBe(600_000);
});

test("a window that is not a multiple of the interval still ends with a poll at its end", async () => {
  const { result, calls } = watch([{ firing: true }], 150_000, 60_000);
  expect(await result).toBe("ineffective");
  expect(calls.map((c) => c.at)).toEqual([60_000, 120_000, 150_000]);
});

test("unknown when Prometheus never answered during the window", async () => {
  const { result, calls } = watch(["down"]);
  expect(await result).toBe("unknown");
  expect(calls).toHaveLength(10);
});

test("ineffective (not unknown) when Prometheus answered at least once, still firing, then went away", async () => {
  const { result } = watch([{ firing: true }, "down"]);
  expect(await result).toBe("ineffective");
});

test("a poll that fails does not stop the watch: a later recovery is still effective", async () => {
  const { result } = watch(["down", "down", { firing: false }]);
  expect(await result).toBe("effective");
});

test("recovered: not firing and burn rate absent or ≤ 1", () => {
  expect(recovered({ firing: false })).toBe(true);
  expect(recovered({ firing: false, burnRate: 1 })).toBe(true);
  expect(recovered({ firing: false, burnRate: 1.01 })).toBe(false);
  expect(recovered({ firing: true, burnRate: 0 })).toBe(false);
});

test("a non-positive interval or a negative window is refused with the field named", () => {
  const clock = fakeClock();
  const { status } = scripted([{ firing: false }], clock);
  expect(() => createEffectWatcher({ status, windowMs: 1000, intervalMs: 0 })).toThrow(
    /intervalMs must be a number > 0, got 0/,
  );
  expect(() => createEffectWatcher({ status, windowMs: -1, intervalMs: 10 })).toThrow(/windowMs must be a number >= 0/);
});
