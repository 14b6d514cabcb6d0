/**
 * The verdict from recorded Prometheus and Alertmanager answers: detection per alert, recovery, error budget
 * consumed, peaks and each hypothesis line, including alerts that never fire and systems that never recover.
 */
import { alertLabel } from "../../apps/chaos/describe";
import {
  budgetConsumedBy,
  detectionOf,
  type MeasureInput,
  measure,
  recoveredAt,
  type SloConfig,
  sliWithinObjective,
} from "../../apps/chaos/measure";
import type { AlertSample, SliSample } from "../../apps/chaos/types";
import { CATALOGUE } from "../../infra/chaos/catalogue";
import type { AlertExpectation, Experiment } from "../../infra/chaos/experiments";

const SLO: SloConfig = { availability: 0.99, latency: 0.95, period: "30d" };
const PERIOD_SECONDS = 30 * 86_400;
/** product-errors as written before planning existed: fixed limits, the ticket forbidden (no premise line). */
const productErrors: Experiment = {
  ...(CATALOGUE.find((e) => e.name === "product-errors") as Experiment),
  burn: undefined,
  durationSeconds: 180,
  hypothesis: {
    mustFire: [{ alertname: "SLOFastBurn", labels: { service: "order", slo: "availability" } }],
    mustNotFire: [{ alertname: "SLOSlowBurn", labels: { service: "order", slo: "availability" } }],
    maxDetectSeconds: 180,
    maxRecoverSeconds: 480,
    maxBudgetConsumed: 0.1,
    sliServices: ["order"],
  },
};
const [PAGE, TICKET] = [productErrors.hypothesis.mustFire[0], productErrors.hypothesis.mustNotFire[0]] as [
  AlertExpectation,
  AlertExpectation,
];
const T0 = 1_741_082_400; // fault start (unix seconds)
const DURATION = 180;
const END = T0 + DURATION;

type AlertState = AlertSample["state"];

/**
 * A recorded run every 5 s from 30 s before the fault to 300 s after it: order's 5xx share and p99 by time
 * offset from the fault's start, and each alert's state by offset.
 */
function recording(args: {
  errorRatio: (offset: number) => number | undefined;
  p99?: (offset: number) => number | undefined;
  page?: (offset: number) => AlertState | undefined;
  ticket?: (offset: number) => AlertState | undefined;
  until?: number;
}): Pick<MeasureInput, "samples" | "alerts"> {
  const samples: SliSample[] = [];
  const alerts: AlertSample[] = [];
  for (let offset = -30; offset <= (args.until ?? DURATION + 300); offset += 5) {
    const t = T0 + offset;
    samples.push({ t, service: "order", errorRatio: args.errorRatio(offset), p99Seconds: args.p99?.(offset) });
    const page = args.page?.(offset) ?? "absent";
    const ticket = args.ticket?.(offset) ?? "absent";
    alerts.push({ t, alert: PAGE, state: page }, { t, alert: TICKET, state: ticket });
  }
  return { samples, alerts };
}

const input = (rec: Pick<MeasureInput, "samples" | "alerts">, overrides: Partial<MeasureInput> = {}): MeasureInput => ({
  experiment: productErrors,
  slo: SLO,
  faultStart: T0,
  faultEnd: END,
  ...rec,
  ...overrides,
});

/** The textbook run: 30 % errors during the fault, clearing 20 s after it; the page from +40 s to end +60 s. */
const textbook = recording({
  errorRatio: (o) => (o >= 0 && o < DURATION + 20 ? 0.3 : 0.001),
  p99: (o) => (o >= 0 && o < DURATION ? 0.4 : 0.05),
  page: (o) => (o >= 40 && o < DURATION + 60 ? "active" : "absent"),
  ticket: (o) => (o >= 40 && o < DURATION + 60 ? "suppressed" : "absent"),
});

describe("detection", () => {
  test("is the fault start → the first sample showing the expected alert active (40 s)", () => {
    expect(detectionOf(PAGE, textbook.alerts, T0)).toBe(40);
    const m = measure(input(textbook));
    expect(m.detectionSeconds).toBe(40);
    expect(m.detectionByAlert).toEqual([{ alert: PAGE, seconds: 40 }]);
    expect(m.lines[0]).toEqual({
      statement: `${alertLabel(PAGE)} fires within 180 s`,
      passed: true,
      measured: 40,
      limit: 180,
      unit: "seconds",
    });
  });

  test("an inhibited (suppressed) alert has not fired: detection waits for it to be active", () => {
    const rec = recording({
      errorRatio: () => 0.001,
      page: (o) => (o >= 10 && o < 50 ? "suppressed" : o >= 50 && o < 100 ? "active" : "absent"),
    });
    expect(measure(input(rec)).detectionSeconds).toBe(50);
  });

  test("an alert active only before the fault started does not count as detection", () => {
    const rec = recording({ errorRatio: () => 0.001, page: (o) => (o < 0 ? "active" : "absent") });
    expect(detectionOf(PAGE, rec.alerts, T0)).toBeNull();
  });

  test("detected later than the limit: the line fails with the measured time", () => {
    const slow = { ...productErrors, hypothesis: { ...productErrors.hypothesis, maxDetectSeconds: 30 } };
    const line = measure(input(textbook, { experiment: slow })).lines[0];
    expect(line).toMatchObject({ passed: false, measured: 40, limit: 30 });
  });

  test("never fired: detection is null, the line fails with nothing measured, and the verdict is a failure", () => {
    const rec = recording({ errorRatio: (o) => (o >= 0 && o < DURATION ? 0.3 : 0.001) });
    const m = measure(input(rec));
    expect(m.detectionSeconds).toBeNull();
    expect(m.detectionByAlert).toEqual([{ alert: PAGE, seconds: null }]);
    expect(m.lines[0]).toMatchObject({ passed: false, measured: null, limit: 180 });
    expect(m.passed).toBe(false);
  });

  test("with two expected alerts, detection is the later one; one that never fires makes it null", () => {
    const other: AlertExpectation = { alertname: "ServiceTargetDown", labels: { service: "product" } };
    const two = {
      ...productErrors,
      hypothesis: { ...productErrors.hypothesis, mustFire: [PAGE, other], mustNotFire: [] },
    };
    const alerts = [...textbook.alerts, { t: T0 + 65, alert: other, state: "active" as const }];
    expect(measure(input({ ...textbook, alerts }, { experiment: two })).detectionSeconds).toBe(65);
    expect(measure(input(textbook, { experiment: two })).detectionSeconds).toBeNull();
  });
});

describe("alerts that must not fire", () => {
  test("inhibited throughout (suppressed) the ticket reaches nobody: the line passes with nothing measured", () => {
    const line = measure(input(textbook)).lines[1];
    expect(line).toMatchObject({ passed: true, measured: null, limit: null });
    expect(line?.statement).toContain(alertLabel(TICKET));
  });

  test("active once (its inhibition gone) the line fails with the time it first reached someone", () => {
    const rec = recording({
      errorRatio: () => 0.001,
      ticket: (o) => (o === 95 ? "active" : o > 40 ? "suppressed" : "absent"),
    });
    expect(measure(input(rec)).lines[1]).toMatchObject({ passed: false, measured: 95 });
  });
});

describe("a planned burn: the premise line and the ticket that must only stay inhibited under the page", () => {
  const planned: Experiment = {
    ...productErrors,
    burn: { service: "order", slo: "availability", badRatio: 0.4 },
    hypothesis: { ...productErrors.hypothesis, mustNotFire: [], mustBeInhibited: [TICKET] },
  };
  const paged = (o: number) => (o >= 40 && o < DURATION + 60 ? "active" : "absent") as AlertState;

  test("the fault made 45 % fail against a 40 % premise: the premise line passes with the peak (floor 80 % of it)", () => {
    const m = measure(
      input(recording({ errorRatio: (o) => (o >= 0 && o < DURATION ? 0.45 : 0), page: paged }), {
        experiment: planned,
      }),
    );
    expect(m.lines.find((l) => l.statement.startsWith("premise:"))).toMatchObject({
      passed: true,
      measured: 0.45,
      limit: 0.32,
    });
  });

  test("a weaker fault than the premise (20 %): the premise line fails, telling a weak fault from a broken alert", () => {
    const m = measure(
      input(recording({ errorRatio: (o) => (o >= 0 && o < DURATION ? 0.2 : 0), page: paged }), { experiment: planned }),
    );
    expect(m.lines.find((l) => l.statement.startsWith("premise:"))).toMatchObject({ passed: false, measured: 0.2 });
    expect(m.passed).toBe(false);
  });

  test("the ticket active after the page resolved is allowed; suppressed while it fired: the line passes", () => {
    const ticket = (o: number) =>
      (o >= 40 && o < DURATION + 60 ? "suppressed" : o >= DURATION + 60 ? "active" : "absent") as AlertState;
    const m = measure(
      input(recording({ errorRatio: (o) => (o >= 0 && o < DURATION ? 0.45 : 0), page: paged, ticket }), {
        experiment: planned,
      }),
    );
    expect(m.lines.find((l) => l.statement.startsWith(alertLabel(TICKET)))).toMatchObject({
      passed: true,
      measured: null,
    });
  });

  test("the ticket active at a tick where the page is active too (inhibition broken): the line fails with the time", () => {
    const ticket = (o: number) => (o >= 60 ? "active" : "absent") as AlertState;
    const m = measure(
      input(recording({ errorRatio: (o) => (o >= 0 && o < DURATION ? 0.45 : 0), page: paged, ticket }), {
        experiment: planned,
      }),
    );
    expect(m.lines.find((l) => l.statement.startsWith(alertLabel(TICKET)))).toMatchObject({
      passed: false,
      measured: 60,
    });
  });

  test("a latency burn consumes the latency budget: Σ slowRatio × Δt ÷ ((1 − latency objective) × period)", () => {
    const samples: SliSample[] = [0, 60, 120].map((o) => ({
      t: T0 + o,
      service: "order",
      errorRatio: 0,
      slowRatio: 0.5,
    }));
    expect(budgetConsumedBy("order", samples, SLO, T0, T0 + 120, "latency")).toBeCloseTo(
      (0.5 * 120) / (0.05 * PERIOD_SECONDS),
      12,
    );
    expect(budgetConsumedBy("order", samples, SLO, T0, T0 + 120)).toBe(0);
  });
});

describe("recovery", () => {
  test("is the fault end → SLIs within objective AND the expected alert resolved, whichever is later (60 s)", () => {
    // errors clear at +20 s after the end, the page resolves at +60 s
    const m = measure(input(textbook));
    expect(m.recoverySeconds).toBe(60);
    expect(m.lines[2]).toMatchObject({ passed: true, measured: 60, limit: 480, unit: "seconds" });
  });

  test("counts from the start of the final good stretch: a good sample between bad ones is not recovery", () => {
    const rec = recording({
      errorRatio: (o) => (o >= 0 && o < DURATION + 30 && o !== DURATION + 10 ? 0.3 : 0.001),
    });
    const noAlerts = { ...productErrors, hypothesis: { ...productErrors.hypothesis, mustFire: [], mustNotFire: [] } };
    expect(measure(input(rec, { experiment: noAlerts })).recoverySeconds).toBe(30);
  });

  test("an alert still inhibited (suppressed) has not resolved", () => {
    const rec = recording({
      errorRatio: (o) => (o >= 0 && o < DURATION ? 0.3 : 0.001),
      page: (o) =>
        o >= 40 && o < DURATION + 30 ? "active" : o >= DURATION + 30 && o < DURATION + 90 ? "suppressed" : "absent",
    });
    expect(measure(input(rec)).recoverySeconds).toBe(90);
  });

  test("never recovered within the watch: null, and the recovery line fails", () => {
    const rec = recording({ errorRatio: (o) => (o >= 0 ? 0.3 : 0.001), page: (o) => (o >= 40 ? "active" : "absent") });
    const m = measure(input(rec));
    expect(m.recoverySeconds).toBeNull();
    expect(m.lines[2]).toMatchObject({ passed: false, measured: null });
    expect(m.passed).toBe(false);
  });

  test("recovered later than the limit: the line fails with the measured time", () => {
    const strict = { ...productErrors, hypothesis: { ...productErrors.hypothesis, maxRecoverSeconds: 45 } };
    expect(measure(input(textbook, { experiment: strict })).lines[2]).toMatchObject({ passed: false, measured: 60 });
  });

  test("a good stretch shorter than confirmSeconds at the end of the watch is not yet recovery", () => {
    const rec = recording({ errorRatio: (o) => (o >= 0 && o < DURATION + 290 ? 0.3 : 0.001) });
    const noAlerts = { ...productErrors, hypothesis: { ...productErrors.hypothesis, mustFire: [] } };
    expect(recoveredAt(input(rec, { experiment: noAlerts, confirmSeconds: 0 }))).toBe(END + 290);
    expect(recoveredAt(input(rec, { experiment: noAlerts, confirmSeconds: 15 }))).toBeNull();
  });

  test("a tick without Alertmanager's answer (a failed query) is not a good tick", () => {
    const alerts = textbook.alerts.filter((a) => a.t !== T0 + DURATION + 60);
    expect(measure(input({ ...textbook, alerts })).recoverySeconds).toBe(65);
  });

  test("locally a killed target must answer /readyz again: recovery waits for its readiness", () => {
    const readiness = textbook.samples.map(({ t }) => ({ t, ready: t < T0 || t >= END + 75 }));
    expect(measure(input(textbook, { readiness })).recoverySeconds).toBe(75);
  });
});

describe("error budget consumed", () => {
  test("is Σ errorRatio × Δt over the fault to recovery, divided by (1 − objective) × the SLO period", () => {
    // 30 % errors for 200 s (the fault and 20 s of window lag), then 0.1 % for the 40 s until recovery at +60 s
    const expected = (0.3 * 200 + 0.001 * 40) / ((1 - SLO.availability) * PERIOD_SECONDS);
    const m = measure(input(textbook));
    expect(m.budgetConsumed).toBeCloseTo(expected, 12);
    expect(m.lines[3]).toMatchObject({ passed: true, measured: m.budgetConsumed, limit: 0.1, unit: "ratio" });
  });

  test("a stricter objective (99.9 %) makes the same errors ten times as expensive", () => {
    const strict = measure(input(textbook, { slo: { ...SLO, availability: 0.999 } })).budgetConsumed;
    expect(strict / measure(input(textbook)).budgetConsumed).toBeCloseTo(10, 9);
  });

  test("without recovery the window runs to the last sample; samples without traffic count as no errors", () => {
    const samples: SliSample[] = [
      { t: T0, service: "order", errorRatio: 0.5 },
      { t: T0 + 10, service: "order" },
      { t: T0 + 20, service: "order", errorRatio: 0.5 },
      { t: T0 + 30, service: "order", errorRatio: 0.5 },
    ];
    const expected = (0.5 * 10 + 0 * 10 + 0.5 * 10) / (0.01 * PERIOD_SECONDS);
    expect(budgetConsumedBy("order", samples, SLO, T0, T0 + 30)).toBeCloseTo(expected, 12);
  });

  test("with several SLI services it is the largest of their consumptions", () => {
    const both = { ...productErrors, hypothesis: { ...productErrors.hypothesis, sliServices: ["order", "product"] } };
    const product = textbook.samples.map((s) => ({
      ...s,
      service: "product" as const,
      errorRatio: (s.errorRatio ?? 0) * 2,
    }));
    const m = measure(
      input({ ...textbook, samples: [...textbook.samples, ...product] }, { experiment: both as Experiment }),
    );
    expect(m.budgetConsumed).toBeCloseTo(budgetConsumedBy("product", product, SLO, T0, END + 60), 12);
    expect(m.budgetConsumed).toBeGreaterThan(budgetConsumedBy("order", textbook.samples, SLO, T0, END + 60));
  });

  test("above the hypothesis' share: the budget line fails", () => {
    const tight = { ...productErrors, hypothesis: { ...productErrors.hypothesis, maxBudgetConsumed: 0.001 } };
    const m = measure(input(textbook, { experiment: tight }));
    expect(m.lines[3]).toMatchObject({ passed: false, limit: 0.001 });
    expect(m.passed).toBe(false);
  });
});

describe("peaks", () => {
  test("peak error ratio and p99 are the largest values from the fault's start on, not before it", () => {
    const rec = recording({
      errorRatio: (o) => (o < 0 ? 0.9 : o === 20 ? 0.42 : 0.1),
      p99: (o) => (o < 0 ? 5 : o === 25 ? 1.3 : 0.2),
    });
    const m = measure(input(rec));
    expect(m.peakErrorRatio).toBe(0.42);
    expect(m.peakP99Seconds).toBe(1.3);
  });

  test("no p99 measured (no traffic) gives a null peak p99, and no error ratio a peak of 0", () => {
    const m = measure(input(recording({ errorRatio: () => undefined })));
    expect(m.peakP99Seconds).toBeNull();
    expect(m.peakErrorRatio).toBe(0);
  });
});

describe("SLIs within objective", () => {
  test.each<[Pick<SliSample, "errorRatio" | "slowRatio">, boolean, string]>([
    [{ errorRatio: 0.01 }, true, "5xx share exactly the budget"],
    [{ errorRatio: 0.0101 }, false, "5xx share above the budget"],
    [{ errorRatio: 0, slowRatio: 0.05 }, true, "slow share exactly the latency budget"],
    [{ errorRatio: 0, slowRatio: 0.06 }, false, "slow share above the latency budget"],
    [{}, false, "no traffic: nothing to judge"],
  ])("%j → %p (%s)", (sample, within) => {
    expect(sliWithinObjective(sample, SLO)).toBe(within);
  });
});

test("the verdict passes only when every line does (the textbook run passes all four)", () => {
  const m = measure(input(textbook));
  expect(m.lines.map((l) => l.passed)).toEqual([true, true, true, true]);
  expect(m.passed).toBe(true);
});
