/**
 * The Pushgateway body: every result and the limits the run was judged by, under the experiment's group,
 * with nothing pushed for a value the run does not have.
 */
import { type PushedReport, pushBody, pushPath } from "../../apps/chaos/push";
import { CHAOS_METRICS } from "../../contract";
import { stackPlan } from "../../infra/chaos/plan";
import { loadStackConfig } from "../../infra/config/stack-file";

const planned = stackPlan(loadStackConfig("dev"));
const definitionOf = (name: string) => {
  const found = planned.find((e) => e.name === name);
  if (!found) throw new Error(`no experiment ${name} in the catalogue`);
  return found;
};

/** A run of `name` as planned for the dev stack, with made-up measurements. */
function reportOf(name: string, measured: Partial<PushedReport> = {}): PushedReport {
  const definition = definitionOf(name);
  return {
    experiment: name,
    target: definition.target,
    runTarget: "local",
    faultStartedAt: "2025-03-04T10:00:00.000Z",
    faultEndedAt: "2025-03-04T10:03:00.000Z",
    detectionSeconds: 95,
    recoverySeconds: 140,
    budgetConsumed: 0.02,
    passed: true,
    definition,
    ...measured,
  };
}

/** The samples of a body in the text exposition format, by metric name. */
function samples(body: string): Map<string, number> {
  const lines = body.split("\n").filter((l) => l && !l.startsWith("#"));
  return new Map(lines.map((l) => [l.split("{")[0] as string, Number(l.slice(l.lastIndexOf(" ") + 1))]));
}

describe("the Pushgateway body", () => {
  test("a detection or recovery that never happened is left out (the PUT removes the last run's value)", () => {
    const body = pushBody(reportOf("product-errors", { detectionSeconds: null, recoverySeconds: null }));
    const names = [...samples(body).keys()];
    expect(names).not.toContain(CHAOS_METRICS.detection);
    expect(names).not.toContain(CHAOS_METRICS.recovery);
    expect(names).toContain(CHAOS_METRICS.budgetConsumed);
  });

  test("the results and the limits the run was judged by carry the report's values, the planned fault length too", () => {
    const report = reportOf("product-errors");
    const h = report.definition.hypothesis;
    expect(h.mustFire.length).toBeGreaterThan(0); // a detection limit applies
    expect(Object.fromEntries(samples(pushBody(report)))).toEqual({
      [CHAOS_METRICS.detection]: 95,
      [CHAOS_METRICS.recovery]: 140,
      [CHAOS_METRICS.budgetConsumed]: 0.02,
      [CHAOS_METRICS.hypothesisPassed]: 1,
      [CHAOS_METRICS.faultStart]: Date.parse(report.faultStartedAt) / 1000,
      [CHAOS_METRICS.faultEnd]: Date.parse(report.faultEndedAt) / 1000,
      [CHAOS_METRICS.detectionLimit]: h.maxDetectSeconds,
      [CHAOS_METRICS.recoveryLimit]: h.maxRecoverSeconds,
      [CHAOS_METRICS.budgetLimit]: h.maxBudgetConsumed,
      [CHAOS_METRICS.faultDuration]: report.definition.durationSeconds,
    });
  });

  test("the limits follow the run's own plan: a different fault length and limits are pushed as they are", () => {
    const base = reportOf("product-errors");
    const definition = {
      ...base.definition,
      durationSeconds: 333,
      hypothesis: {
        ...base.definition.hypothesis,
        maxDetectSeconds: 444,
        maxRecoverSeconds: 555,
        maxBudgetConsumed: 0.0666,
      },
    };
    const pushed = samples(pushBody({ ...base, definition }));
    expect(
      [
        CHAOS_METRICS.faultDuration,
        CHAOS_METRICS.detectionLimit,
        CHAOS_METRICS.recoveryLimit,
        CHAOS_METRICS.budgetLimit,
      ].map((m) => pushed.get(m)),
    ).toEqual([333, 444, 555, 0.0666]);
  });

  test("no detection limit when no alert must fire (nothing to detect); the other limits still", () => {
    const report = reportOf("user-cpu-stress", { detectionSeconds: null });
    expect(report.definition.hypothesis.mustFire).toEqual([]);
    const names = [...samples(pushBody(report)).keys()];
    expect(names).not.toContain(CHAOS_METRICS.detectionLimit);
    expect(names).toEqual(
      expect.arrayContaining([CHAOS_METRICS.recoveryLimit, CHAOS_METRICS.budgetLimit, CHAOS_METRICS.faultDuration]),
    );
  });

  test("every sample is a declared gauge with the target and run target labels", () => {
    const body = pushBody(reportOf("product-killed"));
    const names = [...samples(body).keys()];
    const declared = [...body.matchAll(/^# TYPE (\S+) gauge$/gm)].map((m) => m[1]);
    expect(declared).toEqual(names);
    for (const line of body.split("\n").filter((l) => l && !l.startsWith("#"))) {
      expect(line).toMatch(/^[a-z_]+\{target="product",run_target="local"\} [\d.e-]+$/);
    }
  });

  test("label values are escaped as the exposition format wants (a quote in a kube context name)", () => {
    expect(pushBody(reportOf("product-errors", { runTarget: 'kind-"lab"' }))).toContain('run_target="kind-\\"lab\\""');
  });

  test("the group's path carries the job and the experiment", () => {
    expect(pushPath("product-errors")).toBe("/metrics/job/chaos-game-day/experiment/product-errors");
  });
});
