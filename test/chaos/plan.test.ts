/**
 * Planning an SLO-burn experiment from the stack's objectives: the pairs are the real rules' pairs, the limits
 * follow from the burn model, and every catalogue premise can page on every stack. No mocks.
 */

import { SLO_KINDS, SLO_RECORDS, type SliWindow, type SloKind } from "../../infra/alerting/names";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { ALERT_NAMES } from "../../infra/alerting/rules";
import { firesAfter } from "../../infra/chaos/burn-model";
import { CATALOGUE } from "../../infra/chaos/catalogue";
import { type Experiment, type ExperimentDefinition, isBurnDefinition } from "../../infra/chaos/experiments";
import {
  alertHolds,
  burnPairs,
  type PlanConditions,
  PlanError,
  pipelineSeconds,
  planExperiment,
  stackPlan,
} from "../../infra/chaos/plan";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces } from "../../infra/platform/naming";

const STACKS = ["dev", "staging", "prod"] as const;
const dev = loadStackConfig("dev");
const definition = (name: string) => {
  const found = CATALOGUE.find((e) => e.name === name);
  if (!found) throw new Error(`no catalogue entry ${name}`);
  return found;
};
/** dev's objectives, every window full, dev's 15 s scrape and evaluation, the runner's 5 s sampling. */
const WARM: PlanConditions = {
  slo: dev.slo,
  historySeconds: Number.POSITIVE_INFINITY,
  scrapeSeconds: 15,
  evaluationSeconds: 15,
  sampleSeconds: 5,
  sliWindowSeconds: 60,
};
const YOUNG: PlanConditions = { ...WARM, historySeconds: 300 };
const page = { alertname: ALERT_NAMES.fastBurn, labels: { service: "order", slo: "availability" } };
const ticket = { alertname: ALERT_NAMES.slowBurn, labels: { service: "order", slo: "availability" } };
const roundUp10 = (s: number) => Math.ceil(s / 10) * 10;

describe("burnPairs: the pairs the generated burn-rate rules alert on", () => {
  /** Each SLOFastBurn/SLOSlowBurn rule of one service and kind, as the rule generator wrote it. */
  const rulePairs = (stack: string, kind: SloKind) => {
    const config = loadStackConfig(stack);
    return ruleGroupsFor(config, namespaces(config))
      .flatMap((g) => g.rules)
      .filter((r) => (r.alert === ALERT_NAMES.fastBurn || r.alert === ALERT_NAMES.slowBurn) && r.labels?.slo === kind)
      .filter((r) => r.labels?.service === "order")
      .map((r) => ({
        severity: r.labels?.severity,
        longWindow: r.labels?.long_window,
        shortWindow: r.labels?.short_window,
        // `ratio{…} > θ and ratio{…} > θ`: both windows' thresholds, read from the expression (not `>=`)
        thresholds: [...r.expr.matchAll(/ > ([0-9.e-]+)/g)].map((m) => Number(m[1])),
        expr: r.expr,
      }));
  };

  test.each(STACKS.flatMap((s) => SLO_KINDS.map((k) => [s, k] as const)))(
    "%s %s: same severities, windows and thresholds as the rules' expressions",
    (stack, kind) => {
      const rules = rulePairs(stack, kind);
      const pairs = burnPairs(loadStackConfig(stack).slo, kind);
      expect(rules).toHaveLength(pairs.length);
      expect(rules.map(({ expr: _, ...r }) => r)).toEqual(
        pairs.map((p) => ({
          severity: p.severity,
          longWindow: p.longWindow,
          shortWindow: p.shortWindow,
          thresholds: [p.threshold, p.threshold],
        })),
      );
      // the recorded ratios the rule compares are those of the pair's windows
      rules.forEach((r, i) => {
        const p = pairs[i] as (typeof pairs)[number];
        expect(r.expr).toContain(`${SLO_RECORDS.errorRatio(p.longWindow as SliWindow)}{`);
        expect(r.expr).toContain(`${SLO_RECORDS.errorRatio(p.shortWindow as SliWindow)}{`);
      });
    },
  );

  test("windows in seconds, and a windowDivisor divides them (thresholds unchanged)", () => {
    const pairs = burnPairs(dev.slo, "availability");
    expect(pairs.map((p) => [p.longSeconds, p.shortSeconds])).toEqual([
      [3_600, 300],
      [21_600, 1_800],
      [86_400, 7_200],
      [259_200, 21_600],
    ]);
    const compressed = burnPairs(dev.slo, "availability", 30);
    expect(compressed.map((p) => [p.longSeconds, p.shortSeconds])).toEqual(
      pairs.map((p) => [p.longSeconds / 30, p.shortSeconds / 30]),
    );
    expect(compressed.map((p) => p.threshold)).toEqual(pairs.map((p) => p.threshold));
  });
});

describe("planExperiment: product-errors (40 % of order's requests failing) on dev's 99 % objective", () => {
  const warm = planExperiment(definition("product-errors"), WARM);

  test("warm stack: the page must fire; detection is the 1h/5m pair's second (0.144×3600/0.4 = 1296, strict >) + pipeline, rounded up to 10 s", () => {
    expect(warm.hypothesis.mustFire).toEqual([page]);
    expect(warm.plan?.firstPage).toBe("1h/5m");
    const firstPair = burnPairs(dev.slo, "availability")[0];
    expect(warm.plan?.predictedDetectSeconds).toBe(
      firesAfter(firstPair as never, { badRatio: 0.4, historySeconds: Number.POSITIVE_INFINITY }),
    );
    expect([1_296, 1_297]).toContain(warm.plan?.predictedDetectSeconds);
    const pipeline = pipelineSeconds(WARM); // 2×15 + 2×15 + 5 + 10 = 75
    expect(pipeline).toBe(75);
    expect(warm.plan?.pipelineSeconds).toBe(pipeline);
    expect(warm.hypothesis.maxDetectSeconds).toBe(roundUp10((warm.plan?.predictedDetectSeconds ?? 0) + pipeline));
  });

  test("the fault runs 30 s past the detection limit, so the page fires while it is still on", () => {
    expect(warm.durationSeconds).toBe(warm.hypothesis.maxDetectSeconds + 30);
  });

  test("warm stack: a 1410 s fault is far from every ticket pair (1d: 0.4×1410/86400 = 0.65 % vs 3 %), so the ticket must not fire", () => {
    expect(warm.plan?.ticketsExpected).toEqual([]);
    expect(warm.hypothesis.mustNotFire).toEqual([ticket]);
    expect(warm.hypothesis.mustBeInhibited).toEqual([]);
  });

  test("young stack (300 s of history): the 6h/30m pair pages first, at 53 s, and the ticket fires too, so it must be inhibited", () => {
    const young = planExperiment(definition("product-errors"), YOUNG);
    // both of a pair's windows hold only 300 + t s: 0.4·t / (300 + t) > θ ⇔ t > 300·θ / (0.4 − θ)
    // 6h/30m: 18 / 0.34 = 52.9 → 53 s; 1h/5m: 43.2 / 0.256 = 168.75 → 169 s
    expect(young.plan?.firstPage).toBe("6h/30m");
    expect(young.plan?.predictedDetectSeconds).toBe(53);
    expect(young.durationSeconds).toBeLessThan(warm.durationSeconds);
    expect(young.plan?.ticketsExpected.length).toBeGreaterThan(0);
    expect(young.hypothesis.mustBeInhibited).toEqual([ticket]);
    expect(young.hypothesis.mustNotFire).not.toContainEqual(ticket);
    expect(young.hypothesis.mustFire).toEqual([page]);
  });

  test("the budget limit covers the model's budget for the planned length (0.4 × duration ÷ (1 % × 30 d))", () => {
    const predicted = (0.4 * warm.durationSeconds) / (0.01 * 30 * 86_400);
    expect(warm.plan?.predictedBudget).toBeCloseTo(predicted, 12);
    expect(warm.hypothesis.maxBudgetConsumed).toBeGreaterThan(predicted);
    expect(warm.hypothesis.budgetSlo).toBe("availability");
  });

  test("a windowDivisor of 30 compresses the plan: detection in a thirtieth of the time (1296/30 = 43.2 → 44 s)", () => {
    const compressed = planExperiment(definition("product-errors"), { ...WARM, windowDivisor: 30 });
    expect(compressed.plan?.predictedDetectSeconds).toBe(44);
    expect(compressed.durationSeconds).toBeLessThan(warm.durationSeconds / 5);
    expect(compressed.hypothesis.mustFire).toEqual([page]);
  });

  test("a faultSeconds override runs that long with the limits planned for it: a 20000 s fault reaches the ticket pairs and drains longer", () => {
    const long = planExperiment(definition("product-errors"), { ...WARM, faultSeconds: 20_000 });
    expect(long.durationSeconds).toBe(20_000);
    expect(long.hypothesis.maxDetectSeconds).toBe(warm.hypothesis.maxDetectSeconds); // detection does not depend on length
    // 1d/2h: 0.4×20000/86400 = 9.3 % > 80 % of 3 %: the ticket fires with the page
    expect(long.plan?.ticketsExpected).toContain("1d/2h");
    expect(long.hypothesis.mustBeInhibited).toEqual([ticket]);
    // the 6h/30m page holds at the end too (0.4×20000/21600 = 37 %), and its 30m window drains slower than 5m
    expect(long.plan?.predictedResolveSeconds).toBeGreaterThan(warm.plan?.predictedResolveSeconds ?? Infinity);
    expect(long.hypothesis.maxRecoverSeconds).toBeGreaterThan(warm.hypothesis.maxRecoverSeconds);
    expect(long.plan?.predictedBudget).toBeCloseTo((0.4 * 20_000) / (0.01 * 30 * 86_400), 12);
    expect(long.hypothesis.maxBudgetConsumed).toBeGreaterThan(warm.hypothesis.maxBudgetConsumed);
  });

  test("a faultSeconds override shorter than the page needs throws PlanError (the hypothesis could only fail)", () => {
    const needed = warm.plan?.predictedDetectSeconds as number;
    expect(() => planExperiment(definition("product-errors"), { ...WARM, faultSeconds: needed - 1 })).toThrow(
      `product-errors: the page needs ${needed} s of this fault (the 1h/5m pair, every window full); a fault of ${needed - 1} s cannot test the hypothesis`,
    );
    expect(planExperiment(definition("product-errors"), { ...WARM, faultSeconds: needed }).durationSeconds).toBe(
      needed,
    );
  });

  test("a premise below every page threshold throws PlanError naming the experiment and the thresholds", () => {
    const weak = { ...definition("product-errors"), burn: { service: "order", slo: "availability", badRatio: 0.05 } };
    const plan = () => planExperiment(weak as ExperimentDefinition, WARM);
    expect(plan).toThrow(PlanError);
    // 1h/5m: 14.4 × 1 %; 6h/30m: 6 × 1 %
    expect(plan).toThrow(
      "product-errors: 5 % of order's requests failing never pages on a 99 % availability objective: the page pairs need more than 14.4 % (1h/5m) or 6 % (6h/30m)",
    );
  });
});

describe("planExperiment: experiments without a burn premise", () => {
  const killed = definition("product-killed") as Experiment;

  test("pass through unchanged", () => {
    expect(isBurnDefinition(killed)).toBe(false);
    expect(planExperiment(killed, WARM)).toEqual(killed);
  });

  test("a faultSeconds override changes their duration and nothing else", () => {
    expect(planExperiment(killed, { ...WARM, faultSeconds: 90 })).toEqual({ ...killed, durationSeconds: 90 });
  });

  test("alertHolds reads each alert rule's `for` from the stack's generated rules (ServiceTargetDown: 2m)", () => {
    const holds = alertHolds(dev);
    const rule = ruleGroupsFor(dev, namespaces(dev))
      .flatMap((g) => g.rules)
      .find((r) => r.alert === ALERT_NAMES.targetDown);
    expect(rule?.for).toBe("2m");
    expect(holds[ALERT_NAMES.targetDown]).toBe(120);
    expect(holds[ALERT_NAMES.fastBurn]).toBe(0); // burn alerts fire as soon as both windows exceed
  });

  test("with the rules' holds: a written 60 s kill is lengthened past ServiceTargetDown's 2m (+ pipeline), and its detection limit with it", () => {
    const holds = alertHolds(dev);
    const planned = planExperiment(killed, { ...WARM, alertHolds: holds });
    const needed = roundUp10(120 + pipelineSeconds(WARM));
    expect(killed.durationSeconds).toBeLessThan(120); // as written, the alert could never fire
    expect(planned.durationSeconds).toBe(Math.max(killed.durationSeconds, needed + 30));
    expect(planned.hypothesis.maxDetectSeconds).toBe(Math.max(killed.hypothesis.maxDetectSeconds, needed));
    expect(planned.hypothesis.maxRecoverSeconds).toBe(killed.hypothesis.maxRecoverSeconds);
    expect(planned.plan?.lines[0]).toContain("ServiceTargetDown fires once its rule has held 120 s");
    // compressed rules (÷30) hold 4 s: only the pipeline is left to wait for
    const compressed = planExperiment(killed, { ...WARM, alertHolds: holds, windowDivisor: 30 });
    expect(compressed.durationSeconds).toBe(
      Math.max(killed.durationSeconds, roundUp10(4 + pipelineSeconds(WARM)) + 30),
    );
  });

  test("a fault no longer than the alert's hold is refused: it cannot test the hypothesis", () => {
    expect(() => planExperiment(killed, { ...WARM, alertHolds: alertHolds(dev), faultSeconds: 120 })).toThrow(
      "product-killed: ServiceTargetDown fires only after its rule has held 120 s; a fault of 120 s cannot test the hypothesis",
    );
  });
});

describe("stackPlan: the catalogue on every stack's objectives", () => {
  test.each(STACKS)(
    "%s: every entry is planned without PlanError, burn entries with a page and their limits",
    (stack) => {
      const planned = stackPlan(loadStackConfig(stack));
      expect(planned.map((e) => e.name)).toEqual(CATALOGUE.map((e) => e.name));
      for (const e of planned.filter((x) => x.burn)) {
        const { service, slo } = e.burn as NonNullable<Experiment["burn"]>;
        expect([e.name, e.hypothesis.mustFire]).toEqual([
          e.name,
          [{ alertname: ALERT_NAMES.fastBurn, labels: { service, slo } }],
        ]);
        expect([e.name, e.hypothesis.maxDetectSeconds < e.durationSeconds]).toEqual([e.name, true]);
        expect([e.name, e.plan?.lines.length]).toEqual([e.name, 5]);
      }
    },
  );

  test.each(STACKS)("%s: every planned burn experiment watches its premise service's SLIs", (stack) => {
    const burns = stackPlan(loadStackConfig(stack)).filter((e) => e.burn);
    expect(burns.length).toBeGreaterThanOrEqual(4);
    for (const e of burns)
      expect([e.name, e.hypothesis.sliServices]).toEqual([e.name, expect.arrayContaining([e.burn?.service])]);
  });
});
