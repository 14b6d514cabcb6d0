/**
 * The runner against stand-in Prometheus, Alertmanager, services and Pushgateway over real HTTP, on a clock that
 * moves only when the runner sleeps: the happy path with its measurements and requests, the steady-state
 * refusals, and the cleanup paths (interrupted, an error, a stale fault, a removal that fails).
 */
import { alertLabel } from "../../apps/chaos/describe";
import { FaultApi } from "../../apps/chaos/fault-api";
import { type Injector, localInjector } from "../../apps/chaos/inject";
import { planner } from "../../apps/chaos/main";
import type { SloConfig } from "../../apps/chaos/measure";
import { httpObserver, type Observer } from "../../apps/chaos/observe";
import { progressDisplay } from "../../apps/chaos/progress";
import { pushResults } from "../../apps/chaos/push";
import { ExperimentAborted, type RunnerDeps, runExperiment } from "../../apps/chaos/runner";
import { SteadyStateRefused } from "../../apps/chaos/steady-state";
import { NO_FAULTS } from "../../apps/lib/faults";
import { CHAOS_LABELS, CHAOS_METRICS, CHAOS_PUSH_JOB } from "../../contract";
import { CATALOGUE } from "../../infra/chaos/catalogue";
import type { AlertExpectation, Experiment } from "../../infra/chaos/experiments";
import { planExperiment } from "../../infra/chaos/plan";
import { amAlert, type FakePlatform, fakeClock, type SliKind, startFakePlatform } from "./fakes";

const TOKEN = "admin-token-for-tests-0123456789";
const NS = "obs-dev-apps";
const SLO: SloConfig = { availability: 0.99, latency: 0.95, period: "30d" };
const START_MS = Date.parse("2025-03-04T10:00:00Z");
/**
 * product-errors planned for a warm stack, its premise lowered to the 25 % of failing orders the stand-in
 * Prometheus shows, then its fault shortened by hand to 60 s (the stand-ins page at once; a plan would refuse a
 * fault shorter than the page needs).
 */
const PRODUCT_ERRORS = CATALOGUE.find((e) => e.name === "product-errors") as Experiment;
const WARM_PLAN: Experiment = planExperiment(
  { ...PRODUCT_ERRORS, burn: { service: "order", slo: "availability", badRatio: 0.3 } },
  {
    slo: SLO,
    historySeconds: Number.POSITIVE_INFINITY,
    scrapeSeconds: 5,
    evaluationSeconds: 5,
    sampleSeconds: 5,
    sliWindowSeconds: 60,
  },
);
const EXPERIMENT: Experiment = { ...WARM_PLAN, durationSeconds: 60 };
const [PAGE, TICKET] = [EXPERIMENT.hypothesis.mustFire[0], EXPERIMENT.hypothesis.mustNotFire[0]] as [
  AlertExpectation,
  AlertExpectation,
];

interface World {
  platform: FakePlatform;
  clock: ReturnType<typeof fakeClock>;
  /** Clock times (ms) the product fault was set and reset. */
  on?: number;
  off?: number;
  logs: string[];
  deps: RunnerDeps;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/**
 * A platform that behaves: order's 5xx share is 25 % while product fails half its requests and 10 % for 20 s
 * after (the rate window emptying), the page is active from 30 s into the fault until 40 s after it (the
 * ticket inhibited meanwhile).
 */
async function world(
  options: {
    sli?: (kind: SliKind, w: World) => number | undefined;
    onSleep?: (ms: number, w: World) => void;
    historySeconds?: number;
  } = {},
): Promise<World> {
  const w = { logs: [] as string[] } as World;
  w.clock = fakeClock(START_MS, (ms) => options.onSleep?.(ms, w));
  const elapsed = (since?: number) => (since === undefined ? Number.NaN : (w.clock.ms - since) / 1_000);
  const paging = () => elapsed(w.on) >= 30 && !(elapsed(w.off) >= 40);
  const defaultSli = (kind: SliKind) => {
    const faulty = w.platform.faults.product.errorRate > 0;
    if (kind === "p99") return faulty ? 0.2 : 0.05;
    if (kind === "slowRatio") return 0.01;
    return faulty ? 0.25 : elapsed(w.off) < 20 ? 0.1 : 0.001;
  };
  w.platform = await startFakePlatform({
    token: TOKEN,
    historySeconds: options.historySeconds,
    sli: (service, kind) => (service === "order" ? (options.sli ?? defaultSli)(kind, w) : 0),
    alerts: () =>
      paging()
        ? [
            amAlert({ alertname: "SLOFastBurn", service: "order", slo: "availability", namespace: NS }, "active"),
            amAlert({ alertname: "SLOSlowBurn", service: "order", slo: "availability", namespace: NS }, "suppressed"),
          ]
        : [],
    onFaults: (service, settings) => {
      if (service !== "product") return;
      if (settings.errorRate > 0) w.on = w.clock.ms;
      else if (w.on !== undefined) w.off = w.clock.ms;
    },
  });
  cleanups.push(() => w.platform.close());
  const faultApi = new FaultApi(w.platform.services, TOKEN);
  w.deps = {
    observer: httpObserver({
      prometheusUrl: w.platform.prometheusUrl,
      alertmanagerUrl: w.platform.alertmanagerUrl,
      namespace: NS,
      latencyThresholdSeconds: 0.5,
    }),
    injector: localInjector({ faultApi, pidsFile: "unused: no pod kill here" }),
    ready: (service) => faultApi.ready(service),
    clock: w.clock,
    progress: { status() {}, log: (line) => w.logs.push(line), done() {} },
    push: (report) => pushResults(w.platform.pushgatewayUrl, report),
  };
  return w;
}

const run = (w: World, overrides: Partial<Parameters<typeof runExperiment>[2]> = {}, experiment = EXPERIMENT) =>
  runExperiment(experiment, w.deps, { runTarget: "local", slo: SLO, ...overrides });

/** The fault API requests product got: method and body. */
const faultCalls = (w: World) =>
  w.platform.faultRequests("product").map((r) => [r.method, r.body === "" ? undefined : JSON.parse(r.body)]);
const RESET = ["PUT", NO_FAULTS];

describe("a whole experiment against stand-ins", () => {
  test("happy path: detection 30 s, recovery 40 s, every line passes, the fault set and reset with the token", async () => {
    const w = await world();
    const report = await run(w);

    expect(report.detectionSeconds).toBe(30);
    expect(report.detectionByAlert).toEqual([{ alert: PAGE, seconds: 30 }]);
    expect(report.recoverySeconds).toBe(40);
    // 25 % for the 60 s fault, 10 % for 20 s of window lag, 0.1 % for the 20 s until recovery at +40 s
    expect(report.budgetConsumed).toBeCloseTo((0.25 * 60 + 0.1 * 20 + 0.001 * 20) / (0.01 * 30 * 86_400), 12);
    expect(report.peakErrorRatio).toBe(0.25);
    expect(report.peakP99Seconds).toBe(0.2);
    expect(report.lines.map((l) => [l.statement.split(" ")[0], l.passed])).toEqual([
      [alertLabel(PAGE), true],
      ["premise:", true],
      [alertLabel(TICKET), true],
      ["order", true],
      ["consumes", true],
    ]);
    expect(report.passed).toBe(true);
    expect(report.cleanup).toEqual({ faultRemoved: true, detail: "reset product's fault settings" });
    expect(Date.parse(report.faultEndedAt) - Date.parse(report.faultStartedAt)).toBe(60_000);

    // stale check, steady-state check, the fault, its reset: nothing else, every one with the token
    expect(faultCalls(w)).toEqual([
      ["GET", undefined],
      ["GET", undefined],
      ["PUT", { errorRate: 0.5, errorStatus: 500 }],
      RESET,
    ]);
    expect(w.platform.faultRequests("product").every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(
      w.platform
        .faultRequests("product")
        .filter((r) => r.method === "PUT")
        .map((r) => r.contentType),
    ).toEqual(["application/json", "application/json"]);
  });

  test("samples run every 5 s from the fault's start until recovery has held for three samples (+50 s after its end)", async () => {
    const w = await world();
    const report = await run(w);
    const start = Date.parse(report.faultStartedAt) / 1_000;
    const offsets = [...new Set(report.samples.map((s) => s.t - start))];
    expect(offsets).toEqual(Array.from({ length: 110 / 5 + 1 }, (_, i) => i * 5));
    expect(report.alerts.filter((a) => a.state === "suppressed").every((a) => a.alert === TICKET)).toBe(true);
  });

  test("the Pushgateway gets exactly one PUT of the experiment's group with each result as a gauge line", async () => {
    const w = await world();
    const report = await run(w);
    const pushes = w.platform.requests.filter((r) => r.path.startsWith("/pgw/"));
    expect(pushes.map((p) => [p.method, p.path, p.contentType])).toEqual([
      [
        "PUT",
        `/pgw/metrics/job/${CHAOS_PUSH_JOB}/${CHAOS_LABELS.experiment}/product-errors`,
        "text/plain; version=0.0.4",
      ],
    ]);
    const labels = `{${CHAOS_LABELS.target}="product",${CHAOS_LABELS.runTarget}="local"}`;
    const sample = (metric: string, value: number) => [`# TYPE ${metric} gauge`, `${metric}${labels} ${value}`];
    expect(pushes[0]?.body.trimEnd().split("\n")).toEqual([
      ...sample(CHAOS_METRICS.detection, 30),
      ...sample(CHAOS_METRICS.recovery, 40),
      ...sample(CHAOS_METRICS.budgetConsumed, report.budgetConsumed),
      ...sample(CHAOS_METRICS.hypothesisPassed, 1),
      ...sample(CHAOS_METRICS.faultStart, Date.parse(report.faultStartedAt) / 1_000),
      ...sample(CHAOS_METRICS.faultEnd, Date.parse(report.faultEndedAt) / 1_000),
      ...sample(CHAOS_METRICS.detectionLimit, EXPERIMENT.hypothesis.maxDetectSeconds),
      ...sample(CHAOS_METRICS.recoveryLimit, EXPERIMENT.hypothesis.maxRecoverSeconds),
      ...sample(CHAOS_METRICS.budgetLimit, EXPERIMENT.hypothesis.maxBudgetConsumed),
      ...sample(CHAOS_METRICS.faultDuration, 60),
    ]);
  });

  test("never recovering: the watch ends at its bound, recovery is null and the verdict fails; the fault is still reset", async () => {
    const w = await world({ sli: (kind, w) => (kind !== "errorRatio" ? 0.01 : w.on === undefined ? 0.001 : 0.25) });
    const report = await run(w, { watchSeconds: 30 });
    expect(report.recoverySeconds).toBeNull();
    expect(report.passed).toBe(false);
    expect((Date.parse(report.endedAt) - Date.parse(report.faultEndedAt)) / 1_000).toBe(30);
    expect(faultCalls(w).at(-1)).toEqual(RESET);
  });

  test("a push the Pushgateway refuses is reported, not fatal: the report is still returned", async () => {
    const w = await world();
    w.deps.push = (report) => pushResults("http://127.0.0.1:9", report);
    const report = await run(w);
    expect(report.passed).toBe(true);
    expect(w.logs.some((l) => l.includes("warning: results not pushed"))).toBe(true);
  });
});

describe("planned from what Prometheus shows (the CLI's planner against the stand-in Prometheus)", () => {
  const plannerFor = (w: World, over: Partial<Parameters<typeof planner>[0]> = {}) =>
    planner({
      observer: w.deps.observer,
      slo: SLO,
      sampleSeconds: 5,
      sliWindowSeconds: 60,
      maxFaultSeconds: 3_600,
      alertHolds: {},
      ...over,
    });
  const lowPremise = {
    ...PRODUCT_ERRORS,
    burn: { service: "order" as const, slo: "availability" as const, badRatio: 0.3 },
  };

  test("a young Prometheus (10 min of history): the fault lasts as the plan says, the plan is logged, the ticket must only stay inhibited", async () => {
    const w = await world({ historySeconds: 600 });
    w.deps.plan = plannerFor(w);
    const report = await run(w, {}, lowPremise as Experiment);
    const planned = report.definition;
    expect(planned.plan?.historySeconds).toBe(600);
    expect(planned.hypothesis.mustBeInhibited).toEqual([TICKET]);
    expect(planned.hypothesis.mustNotFire).toEqual([]);
    // the fault ran exactly the planned length, which is the detection limit plus 30 s
    const ran = (Date.parse(report.faultEndedAt) - Date.parse(report.faultStartedAt)) / 1_000;
    expect([ran, planned.durationSeconds]).toEqual([planned.hypothesis.maxDetectSeconds + 30, ran]);
    for (const line of planned.plan?.lines ?? []) expect(w.logs).toContain(`product-errors: plan: ${line}`);
    expect(report.lines.find((l) => l.statement.startsWith(alertLabel(TICKET)))).toMatchObject({ passed: true });
  });

  test("a warm Prometheus plans a longer fault than a young one for the same premise (its windows dilute the burn)", async () => {
    const [young, warm] = [await world({ historySeconds: 600 }), await world()];
    const [a, b] = await Promise.all([plannerFor(young)(lowPremise), plannerFor(warm)(lowPremise)]);
    expect(b.durationSeconds).toBeGreaterThan(a.durationSeconds);
    expect(b.hypothesis.mustNotFire).toEqual([TICKET]);
  });

  test("a plan longer than --max-fault-seconds is refused, naming the length and the bound, and nothing is injected", async () => {
    const w = await world();
    w.deps.plan = plannerFor(w, { maxFaultSeconds: 300 });
    const refusal = (await run(w, {}, lowPremise as Experiment).catch((e: unknown) => e)) as SteadyStateRefused;
    expect(refusal).toBeInstanceOf(SteadyStateRefused);
    expect(refusal.reasons[0]).toMatch(/^the plan needs \d+ s of this fault .* longer than --max-fault-seconds 300$/);
    expect(faultCalls(w).filter(([method]) => method === "PUT")).toEqual([]);
  });

  test("a premise no page can see on these objectives is refused with the thresholds, not run", async () => {
    const w = await world();
    w.deps.plan = plannerFor(w);
    const weak = {
      ...PRODUCT_ERRORS,
      burn: { service: "order" as const, slo: "availability" as const, badRatio: 0.05 },
    };
    const refusal = (await run(w, {}, weak as Experiment).catch((e: unknown) => e)) as SteadyStateRefused;
    expect(refusal.reasons[0]).toContain("never pages on a 99 % availability objective");
    expect(faultCalls(w)).toEqual([]);
  });

  test("Prometheus unreachable while planning: refused, saying the experiment cannot be planned", async () => {
    const w = await world();
    const down = httpObserver({
      prometheusUrl: "http://127.0.0.1:9",
      alertmanagerUrl: "http://127.0.0.1:9",
      namespace: NS,
      latencyThresholdSeconds: 0.5,
    });
    w.deps.plan = plannerFor(w, { observer: down });
    const refusal = (await run(w, {}, lowPremise as Experiment).catch((e: unknown) => e)) as SteadyStateRefused;
    expect(refusal.reasons[0]).toMatch(/^the experiment cannot be planned: Prometheus did not answer/);
  });
});

describe("steady state first", () => {
  test("order already failing 5 %: refused, with the reason, and no fault is set", async () => {
    const w = await world({ sli: (kind) => (kind === "errorRatio" ? 0.05 : 0.01) });
    const refusal = await run(w).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(SteadyStateRefused);
    expect((refusal as SteadyStateRefused).reasons).toEqual([
      "order's 5xx ratio over the last 2m is 5 %, above its availability budget of 1 %",
    ]);
    expect(faultCalls(w).filter(([method]) => method === "PUT")).toEqual([]);
  });

  test("no traffic, an expected alert already firing and an unready target are each a reason", async () => {
    const w = await world({ sli: () => undefined });
    w.deps.observer = {
      sli: w.deps.observer.sli,
      alerts: async (expectations) => expectations.map((alert) => ({ alert, state: "active" as const })),
      planInputs: w.deps.observer.planInputs,
      intervals: w.deps.observer.intervals,
    };
    w.platform.ready.product = false;
    const refusal = (await run(w).catch((err: unknown) => err)) as SteadyStateRefused;
    expect(refusal.reasons).toEqual([
      "order had no API traffic over the last 2m: its SLIs cannot be judged",
      `${alertLabel(PAGE)} is firing already (active)`,
      `${alertLabel(TICKET)} is firing already (active)`,
      "product does not answer /readyz",
    ]);
  });

  test("with settleSeconds it waits for the steady state, and starts once it holds", async () => {
    let calls = 0;
    const w = await world({
      sli: (kind, w) => {
        if (kind === "errorRatio" && w.on === undefined) return calls++ < 3 ? 0.05 : 0.001;
        return kind === "errorRatio" ? (w.platform.faults.product.errorRate > 0 ? 0.25 : 0.001) : 0.01;
      },
    });
    const report = await run(w, { settleSeconds: 60 });
    expect(Date.parse(report.faultStartedAt) - Date.parse(report.startedAt)).toBe(15_000);
  });

  test("Prometheus unreachable: refused, saying the steady state cannot be checked", async () => {
    const w = await world();
    w.deps.observer = httpObserver({
      prometheusUrl: "http://127.0.0.1:9",
      alertmanagerUrl: w.platform.alertmanagerUrl,
      namespace: NS,
      latencyThresholdSeconds: 0.5,
    });
    const refusal = (await run(w).catch((err: unknown) => err)) as SteadyStateRefused;
    expect(refusal.reasons[0]).toMatch(/^the steady state cannot be checked: Prometheus did not answer/);
  });
});

describe("cleanup always", () => {
  test("a stale fault from an earlier run is reset first and said so, then the experiment runs", async () => {
    const w = await world();
    w.platform.faults.product = { ...NO_FAULTS, errorRate: 0.3 };
    const report = await run(w);
    expect(faultCalls(w).slice(0, 3)).toEqual([["GET", undefined], RESET, ["GET", undefined]]);
    expect(w.logs).toContain(
      "stale fault removed: product's fault settings (errorRate 0.3 (status 500)) were left set, by an earlier run or by hand: reset them",
    );
    expect(report.passed).toBe(true);
  });

  test("interrupted 20 s into the fault (abort, as on SIGINT): the fault is reset and the run says it was interrupted", async () => {
    const controller = new AbortController();
    const w = await world({ onSleep: (ms, w) => w.on !== undefined && ms - w.on >= 20_000 && controller.abort() });
    const err = (await run(w, { signal: controller.signal }).catch((e: unknown) => e)) as ExperimentAborted;
    expect(err).toBeInstanceOf(ExperimentAborted);
    expect(err.interrupted).toBe(true);
    expect(err.cleanup).toEqual({ faultRemoved: true, detail: "reset product's fault settings" });
    expect(faultCalls(w).at(-1)).toEqual(RESET);
    expect(w.platform.faults.product).toEqual(NO_FAULTS);
    expect(w.platform.requests.some((r) => r.path.startsWith("/pgw/"))).toBe(false);
  });

  test("an error thrown mid-run (a bug, not a lost sample): the fault is reset and the error is the cause", async () => {
    const w = await world();
    const real = w.deps.observer;
    let samples = 0;
    w.deps.observer = {
      sli: (services, window) => {
        if (w.on !== undefined && ++samples === 4) throw new TypeError("cannot read properties of undefined");
        return real.sli(services, window);
      },
      alerts: real.alerts,
      planInputs: real.planInputs,
      intervals: real.intervals,
    } satisfies Observer;
    const err = (await run(w).catch((e: unknown) => e)) as ExperimentAborted;
    expect(err.interrupted).toBe(false);
    expect(err.message).toContain("stopped by an error: cannot read properties of undefined");
    expect(faultCalls(w).at(-1)).toEqual(RESET);
    expect(w.platform.faults.product).toEqual(NO_FAULTS);
  });

  test("Prometheus going away mid-run loses samples but not the cleanup: the run ends and resets the fault", async () => {
    const w = await world();
    const real = w.deps.observer;
    const down = httpObserver({
      prometheusUrl: "http://127.0.0.1:9",
      alertmanagerUrl: "http://127.0.0.1:9",
      namespace: NS,
      latencyThresholdSeconds: 0.5,
    });
    w.deps.observer = {
      sli: (s, win) => (w.on === undefined ? real.sli(s, win) : down.sli(s, win)),
      alerts: (e) => (w.on === undefined ? real.alerts(e) : down.alerts(e)),
      planInputs: real.planInputs,
      intervals: real.intervals,
    };
    const report = await run(w, { watchSeconds: 10 });
    expect(report.passed).toBe(false);
    expect(report.detectionSeconds).toBeNull();
    expect(w.logs.some((l) => /^warning: (Prometheus|Alertmanager) did not answer/.test(l))).toBe(true);
    expect(faultCalls(w).at(-1)).toEqual(RESET);
  });

  test("a fault that cannot be removed is reported as NOT removed, with the reason", async () => {
    const w = await world();
    const real = w.deps.injector;
    w.deps.injector = {
      ...real,
      maintain: async () => {
        throw new Error("the injector lost its way");
      },
      remove: async () => {
        throw new Error("product refused the admin token (403)");
      },
    } satisfies Injector;
    const err = (await run(w).catch((e: unknown) => e)) as ExperimentAborted;
    expect(err.cleanup).toEqual({
      faultRemoved: false,
      detail: "the fault could NOT be removed: product refused the admin token (403)",
    });
  });

  test("the fault is kept in force: maintain runs many times between samples (a restarted process is killed again)", async () => {
    const w = await world();
    let maintained = 0;
    w.deps.injector = { ...w.deps.injector, maintain: async () => void maintained++ };
    await run(w, { maintainMs: 250 });
    // 60 s of fault at 250 ms: 240 calls
    expect(maintained).toBe(240);
  });
});

describe("progress display", () => {
  test("on a terminal one status line is rewritten in place; a lasting line clears it first", () => {
    let out = "";
    const p = progressDisplay({ isTTY: true, write: (s) => (out += s) }, () => 0);
    p.status("a");
    p.status("b");
    p.log("done");
    expect(out).toBe("\r\x1b[Ka\r\x1b[Kb\r\x1b[Kdone\n");
  });

  test("in a log (not a terminal) the status is printed at most every 15 s", () => {
    let out = "";
    let now = 0;
    const p = progressDisplay({ isTTY: false, write: (s) => (out += s) }, () => now, 15);
    for (now = 0; now <= 40_000; now += 5_000) p.status(`t=${now / 1_000}`);
    expect(out).toBe("t=0\nt=15\nt=30\n");
  });
});
