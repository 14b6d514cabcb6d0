import { decide, reachesHoldCheck } from "../../apps/responder/decide";
import { firingKey, Ledger } from "../../apps/responder/ledger";
import type { Alert, Decision, Guardrails } from "../../apps/responder/types";
import {
  ALERT_LABELS,
  type DecisionOutcome,
  NO_ACTION,
  type PlaybookEntry,
  RESPONDER_MODES,
  RESPONSE_ACTIONS,
  type ResponderMode,
} from "../../contract";
import { playbookOf } from "../../infra/alerting/playbook";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces } from "../../infra/platform/naming";

// The playbook the deployer derives from the dev stack's rules: the table covers every real entry.
const config = loadStackConfig("dev");
const APPS = namespaces(config).apps;
const PLAYBOOK = playbookOf(ruleGroupsFor(config, namespaces(config)));

const NOW = new Date("2025-06-03T12:00:00Z");
const MINUTE = 60_000;
const COOLDOWN_MS = 30 * MINUTE;
const CAP = 3;

const guardrails = (mode: ResponderMode = "act"): Guardrails => ({
  mode,
  namespace: APPS,
  playbook: PLAYBOOK,
  cooldownMs: COOLDOWN_MS,
  maxActionsPerHour: CAP,
  retries: 3,
  retryBackoffMs: 500,
  verifyWindowMs: 10 * MINUTE,
  verifyIntervalMs: 15_000,
  raise: { step: 2, cap: 20, durationMs: 4 * 60 * MINUTE },
});

const alertOf = (entry: PlaybookEntry, labels: Record<string, string | undefined> = {}): Alert => {
  const all: Record<string, string | undefined> = {
    alertname: entry.alert,
    [ALERT_LABELS.response]: entry.action,
    [ALERT_LABELS.service]: "order",
    [ALERT_LABELS.namespace]: APPS,
    [ALERT_LABELS.severity]: entry.severity,
    ...labels,
  };
  return {
    status: "firing",
    labels: Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined)),
    annotations: {},
    startsAt: "2025-06-03T11:50:07.512345678Z",
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "",
    fingerprint: "5b3d7a6f0e2c9a41",
  };
};

const ORDER = `${APPS}/order`;

/** Puts an ended action into the ledger, for another firing. */
const actedOn = (ledger: Ledger, target: string, at: number, firing = `other@${at}-${target}`) => {
  ledger.begin(firing, target);
  ledger.end(firing, target, "acted", at);
};

type Scenario = {
  name: string;
  alert?: (a: Alert) => Alert;
  state?: (ledger: Ledger, alert: Alert) => void;
  held?: string;
  /** The outcome in dry-run and act; in mode off every row is "off". */
  expected: DecisionOutcome | "plan";
};

const SCENARIOS: Scenario[] = [
  { name: "a fresh firing", expected: "plan" },
  { name: "a resolved alert", alert: (a) => ({ ...a, status: "resolved" }), expected: "resolved" },
  {
    name: "a repeat notification of a firing that already had its action",
    state: (l, a) => actedOn(l, ORDER, NOW.getTime() - 2 * COOLDOWN_MS, firingKey(a)),
    expected: "duplicate",
  },
  { name: "a hold in force", held: "PrometheusRuleFailures firing", expected: "held" },
  {
    name: "the target acted on 10 minutes ago",
    state: (l) => actedOn(l, ORDER, NOW.getTime() - 10 * MINUTE),
    expected: "cooldown",
  },
  {
    name: "the hourly cap reached on other targets",
    state: (l) => {
      for (let i = 0; i < CAP; i++) actedOn(l, `${APPS}/elsewhere-${i}`, NOW.getTime() - (i + 1) * MINUTE);
    },
    expected: "rate_limited",
  },
  {
    name: "an action on the target still running",
    state: (l) => l.begin("other@firing", ORDER),
    expected: "in_progress",
  },
  {
    name: "a service label outside SERVICE_NAMES",
    alert: (a) => ({ ...a, labels: { ...a.labels, service: "payments" } }),
    expected: "out_of_scope",
  },
  {
    name: "a namespace label other than the apps namespace",
    alert: (a) => ({ ...a, labels: { ...a.labels, namespace: "kube-system" } }),
    expected: "out_of_scope",
  },
];

describe("decide: the decision table", () => {
  test("the dev playbook has the four responses the rules declare (so the table below is not empty)", () => {
    expect(PLAYBOOK.map((e) => `${e.alert}/${e.action}`).sort()).toEqual([
      "SLOFastBurn/raise-max-replicas",
      "SLOSlowBurn/raise-max-replicas",
      "ServicePodCrashLooping/restart",
      "ServiceProbeFailing/restart",
    ]);
  });

  const rows = PLAYBOOK.flatMap((entry) =>
    RESPONDER_MODES.flatMap((mode) =>
      SCENARIOS.map((s) => [`${entry.alert}/${entry.action}`, mode, s.name, entry, s] as const),
    ),
  );

  test.each(rows)("%s in mode %s with %s", (_alert, mode, _name, entry, scenario) => {
    const ledger = new Ledger();
    const base = alertOf(entry);
    const alert = scenario.alert ? scenario.alert(base) : base;
    scenario.state?.(ledger, alert);
    const decision = decide(alert, { guardrails: guardrails(mode), ledger, now: NOW, held: scenario.held });
    const expected = mode === "off" ? "off" : scenario.expected;
    if (expected === "plan") {
      expect(decision).toEqual({
        kind: "plan",
        action: entry.action,
        target: { namespace: APPS, service: "order", deployment: "order" },
        entry,
      });
    } else {
      expect(decision).toMatchObject({ kind: "skip", outcome: expected, action: entry.action });
      expect((decision as Extract<Decision, { kind: "skip" }>).reason).not.toBe("");
    }
  });
});

describe("decide: no playbook entry means no action", () => {
  const [entry] = PLAYBOOK as [PlaybookEntry];
  test.each([
    ["an alert without a response label", alertOf(entry, { [ALERT_LABELS.response]: undefined }), /no response label/],
    [
      "a playbook alert with another response than its rule declares",
      alertOf({ ...entry, alert: "SLOFastBurn" }, { [ALERT_LABELS.response]: RESPONSE_ACTIONS.restart }),
      /no playbook entry for "SLOFastBurn" with response "restart"/,
    ],
    [
      "an alert no rule declares a response for",
      alertOf({ ...entry, alert: "ServiceHighLatencyP99" }),
      /no playbook entry for "ServiceHighLatencyP99"/,
    ],
  ])("%s is no_playbook with action none", (_name, alert, reason) => {
    const decision = decide(alert, { guardrails: guardrails(), ledger: new Ledger(), now: NOW });
    expect(decision).toMatchObject({ kind: "skip", action: NO_ACTION, outcome: "no_playbook" });
    expect((decision as Extract<Decision, { kind: "skip" }>).reason).toMatch(reason);
  });
});

describe("decide: scope comes from SERVICE_NAMES, never from a label copied through", () => {
  const [entry] = PLAYBOOK as [PlaybookEntry];
  test.each([
    ["no service label", { service: undefined }],
    ["a service label with a trailing space", { service: "order " }],
    ["a service label in capitals", { service: "ORDER" }],
    ["a service label naming a path", { service: "order/../kube-system" }],
    ["no namespace label", { namespace: undefined }],
  ])("%s is out_of_scope, with no target", (_name, labels) => {
    const decision = decide(alertOf(entry, labels), { guardrails: guardrails(), ledger: new Ledger(), now: NOW });
    expect(decision).toMatchObject({ kind: "skip", outcome: "out_of_scope" });
    expect(decision.kind === "skip" && decision.target).toBeFalsy();
  });

  test("each demo service is a target in the configured namespace, the Deployment named after it", () => {
    const [entry] = PLAYBOOK as [PlaybookEntry];
    for (const service of ["order", "product", "user"]) {
      const decision = decide(alertOf(entry, { service }), {
        guardrails: guardrails(),
        ledger: new Ledger(),
        now: NOW,
      });
      expect(decision.kind === "plan" && decision.target).toEqual({ namespace: APPS, service, deployment: service });
    }
  });
});

describe("decide: the checks run in the documented order", () => {
  const [entry] = PLAYBOOK as [PlaybookEntry];
  const seenAndBusy = (ledger: Ledger, alert: Alert) => {
    actedOn(ledger, ORDER, NOW.getTime() - MINUTE, firingKey(alert));
    for (let i = 0; i < CAP; i++) actedOn(ledger, `${APPS}/elsewhere-${i}`, NOW.getTime() - MINUTE);
    ledger.begin("other@firing", ORDER);
  };
  test.each([
    ["mode off before resolved", "off", { status: "resolved" as const }, false, undefined, "off"],
    [
      "resolved before no_playbook",
      "act",
      { status: "resolved" as const, response: undefined },
      false,
      undefined,
      "resolved",
    ],
    [
      "no_playbook before out_of_scope",
      "act",
      { response: undefined, service: "payments" },
      false,
      undefined,
      "no_playbook",
    ],
    ["out_of_scope before duplicate", "act", { service: "payments" }, true, "held", "out_of_scope"],
    ["duplicate before held", "act", {}, true, "held", "duplicate"],
  ] as const)("%s", (_name, mode, change, busy, held, expected) => {
    const ledger = new Ledger();
    const { status, ...labels } = { status: "firing" as const, ...change };
    const alert = { ...alertOf(entry, labels), status };
    if (busy) seenAndBusy(ledger, alert);
    const decision = decide(alert, { guardrails: guardrails(mode), ledger, now: NOW, held });
    expect(decision).toMatchObject({ outcome: expected });
  });

  test("held before cooldown, cooldown before the hourly cap, the cap before in_progress", () => {
    const ledger = new Ledger();
    const alert = alertOf(entry);
    actedOn(ledger, ORDER, NOW.getTime() - MINUTE);
    for (let i = 0; i < CAP; i++) actedOn(ledger, `${APPS}/elsewhere-${i}`, NOW.getTime() - MINUTE);
    ledger.begin("other@firing", ORDER);
    const at = (now: Date, held?: string) => decide(alert, { guardrails: guardrails(), ledger, now, held });
    expect(at(NOW, "a platform alert")).toMatchObject({ outcome: "held", reason: "held: a platform alert" });
    expect(at(NOW)).toMatchObject({ outcome: "cooldown" });
    const afterCooldown = new Date(NOW.getTime() + COOLDOWN_MS);
    expect(at(afterCooldown)).toMatchObject({ outcome: "rate_limited" });
    const afterHour = new Date(NOW.getTime() + 60 * MINUTE);
    expect(at(afterHour)).toMatchObject({ outcome: "in_progress" });
  });
});

describe("decide: which firings are remembered", () => {
  const [entry] = PLAYBOOK as [PlaybookEntry];
  const alert = alertOf(entry);
  const target = ORDER;

  test.each(["rollout_in_progress", "paused", "not_found", "no_pods", "not_at_ceiling", "at_cap"] as const)(
    "after the executor skips for %s, a repeat notification of the same firing is planned again",
    (outcome) => {
      const ledger = new Ledger();
      const context = { guardrails: guardrails(), ledger, now: NOW };
      expect(decide(alert, context).kind).toBe("plan");
      ledger.begin(firingKey(alert), target);
      expect(decide(alert, context)).toMatchObject({ outcome: "duplicate" }); // while it runs
      ledger.end(firingKey(alert), target, outcome, NOW.getTime());
      expect(decide(alert, context).kind).toBe("plan");
    },
  );

  test.each(["acted", "dry_run", "failed"] as const)(
    "after %s the same firing stays a duplicate, even once the cooldown is over",
    (outcome) => {
      const ledger = new Ledger();
      ledger.begin(firingKey(alert), target);
      ledger.end(firingKey(alert), target, outcome, NOW.getTime());
      const later = new Date(NOW.getTime() + 2 * COOLDOWN_MS);
      expect(decide(alert, { guardrails: guardrails(), ledger, now: later })).toMatchObject({ outcome: "duplicate" });
      expect(
        decide({ ...alert, startsAt: "2025-06-03T13:00:00Z" }, { guardrails: guardrails(), ledger, now: later }).kind,
      ).toBe("plan");
    },
  );

  test("a held firing is decided again on the next notification and planned once the hold is gone", () => {
    const ledger = new Ledger();
    expect(decide(alert, { guardrails: guardrails(), ledger, now: NOW, held: "two services burning" })).toMatchObject({
      outcome: "held",
    });
    expect(decide(alert, { guardrails: guardrails(), ledger, now: NOW }).kind).toBe("plan");
  });

  test("a firing skipped for cooldown is planned on a repeat notification after the cooldown", () => {
    const ledger = new Ledger();
    actedOn(ledger, target, NOW.getTime());
    expect(decide(alert, { guardrails: guardrails(), ledger, now: NOW })).toMatchObject({ outcome: "cooldown" });
    const after = new Date(NOW.getTime() + COOLDOWN_MS);
    expect(decide(alert, { guardrails: guardrails(), ledger, now: after }).kind).toBe("plan");
  });

  test("dry-run and failed results count toward cooldown and the hourly cap like acted ones; state skips do not", () => {
    const ledger = new Ledger();
    const t = NOW.getTime();
    const outcomes = ["dry_run", "failed", "rollout_in_progress", "acted", "not_at_ceiling"] as const;
    outcomes.forEach((outcome, i) => {
      ledger.begin(`f${i}@x`, `${APPS}/t${i}`);
      ledger.end(`f${i}@x`, `${APPS}/t${i}`, outcome, t);
    });
    expect(ledger.actionsInLastHour(t)).toBe(3);
    expect(outcomes.map((_, i) => ledger.lastActionAt(`${APPS}/t${i}`) !== undefined)).toEqual([
      true,
      true,
      false,
      true,
      false,
    ]);
  });

  test("the hourly cap is rolling: an action 61 minutes ago no longer counts, a running one does", () => {
    const ledger = new Ledger();
    actedOn(ledger, `${APPS}/a`, NOW.getTime() - 61 * MINUTE);
    actedOn(ledger, `${APPS}/b`, NOW.getTime() - 59 * MINUTE);
    ledger.begin("running@x", `${APPS}/c`);
    expect(ledger.actionsInLastHour(NOW.getTime())).toBe(2);
  });

  test("the remembered firings are bounded: the oldest is forgotten beyond the capacity", () => {
    const ledger = new Ledger(2);
    for (const f of ["a@1", "b@1", "c@1"]) {
      ledger.begin(f, "t");
      ledger.end(f, "t", "acted", NOW.getTime());
    }
    expect(["a@1", "b@1", "c@1"].map((f) => ledger.seen(f))).toEqual([false, true, true]);
  });
});

describe("reachesHoldCheck: the hold is asked for only when a decision got that far", () => {
  const [entry] = PLAYBOOK as [PlaybookEntry];
  const target = { namespace: APPS, service: "order" as const, deployment: "order" };
  const skipFor = (outcome: DecisionOutcome): Decision => ({
    kind: "skip",
    action: entry.action,
    outcome,
    reason: "r",
  });

  test("a plan and the skips decided after the hold check (held, cooldown, rate_limited, in_progress) reach it", () => {
    expect(reachesHoldCheck({ kind: "plan", action: entry.action, target, entry })).toBe(true);
    for (const outcome of ["held", "cooldown", "rate_limited", "in_progress"] as const) {
      expect(reachesHoldCheck(skipFor(outcome))).toBe(true);
    }
  });

  test("the skips decided before it (off, resolved, no_playbook, out_of_scope, duplicate) do not", () => {
    for (const outcome of ["off", "resolved", "no_playbook", "out_of_scope", "duplicate"] as const) {
      expect(reachesHoldCheck(skipFor(outcome))).toBe(false);
    }
  });
});
