import { ALERT_LABELS, RESPONDER_METRICS, RESPONDER_NAME, RESPONSE_ACTIONS } from "../../contract";
import {
  INEFFECTIVE_ACTIONS_THRESHOLD,
  RESPONDER_ALERT_NAMES,
  responderRuleGroup,
} from "../../infra/alerting/responder-rules";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { ALERT_NAMES } from "../../infra/alerting/rules";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces } from "../../infra/platform/naming";
import { toolAvailable } from "../support/tools";
import { type AlertCase, promtoolRules } from "./harness";

const describeTool = toolAvailable("promtool") ? describe : describe.skip;

const config = loadStackConfig("prod");
const ns = namespaces(config);
const group = responderRuleGroup(ns);
const a = RESPONDER_ALERT_NAMES;
const { restart, raiseMaxReplicas: raise } = RESPONSE_ACTIONS;

/** The labels a responder series gets from its scrape target, plus its own. */
const series = (metric: string, own: Record<string, string>, values: string, namespace = ns.platform) => ({
  series: `${metric}{${Object.entries({ namespace, job: RESPONDER_NAME, instance: "10.1.0.7:8080", ...own })
    .map(([k, v]) => `${k}="${v}"`)
    .join(",")}}`,
  values,
});
const decisions = (alertname: string, action: string, outcome: string, values: string, namespace?: string) =>
  series(RESPONDER_METRICS.decisions, { alertname, action, outcome }, values, namespace);
const effect = (action: string, outcome: string, values: string) =>
  series(RESPONDER_METRICS.actionEffective, { action, outcome }, values);
const up = (instance: string, values: string, namespace = ns.platform) => series("up", { instance }, values, namespace);

const failing = (action: string, outcome: string) => ({
  exp_labels: { namespace: ns.platform, action, outcome, severity: "warning" },
});
const down = { exp_labels: { namespace: ns.platform, severity: "warning" } };

const scenario = (name: string, interval: string, input_series: object[], alert_rule_test: AlertCase[]) => ({
  name,
  interval,
  input_series,
  alert_rule_test,
});

const scenarios = [
  scenario(
    "a restart failing after every retry tickets at once, naming action and outcome, and clears 15m later; acted and dry_run decisions never do",
    "1m",
    [
      decisions(ALERT_NAMES.crashLooping, restart, "failed", "0x10 1x30"),
      decisions(ALERT_NAMES.crashLooping, restart, "acted", "0+1x40"),
      decisions(ALERT_NAMES.fastBurn, raise, "dry_run", "0+1x40"),
    ],
    [
      { eval_time: "9m", alertname: a.actionsFailing, exp_alerts: [] },
      { eval_time: "12m", alertname: a.actionsFailing, exp_alerts: [failing(restart, "failed")] },
      { eval_time: "28m", alertname: a.actionsFailing, exp_alerts: [] },
    ],
  ),
  scenario(
    "a failed-decision counter born at its first failure (no earlier sample for increase) tickets too",
    "1m",
    [decisions(ALERT_NAMES.probeFailing, restart, "failed", "_x10 1x30")],
    [
      { eval_time: "12m", alertname: a.actionsFailing, exp_alerts: [failing(restart, "failed")] },
      { eval_time: "28m", alertname: a.actionsFailing, exp_alerts: [] },
    ],
  ),
  scenario(
    `a fresh responder: one ineffective raise does not ticket, the ${INEFFECTIVE_ACTIONS_THRESHOLD}nd does; effective ones never`,
    "1m",
    [effect(raise, "ineffective", "_x20 1x20 2x20"), effect(restart, "effective", "0+1x60")],
    [
      { eval_time: "30m", alertname: a.actionsFailing, exp_alerts: [] },
      { eval_time: "50m", alertname: a.actionsFailing, exp_alerts: [failing(raise, "ineffective")] },
    ],
  ),
  scenario(
    "a long-running responder: two ineffective restarts within 6h ticket, one does not",
    "10m",
    [effect(restart, "ineffective", "0x40 1x10 2x20")],
    [
      { eval_time: "8h", alertname: a.actionsFailing, exp_alerts: [] },
      { eval_time: "9h", alertname: a.actionsFailing, exp_alerts: [failing(restart, "ineffective")] },
    ],
  ),
  scenario(
    "another environment's responder failing (same Prometheus) does not ticket this one",
    "1m",
    [decisions(ALERT_NAMES.crashLooping, restart, "failed", "0x5 1x20", "other-platform")],
    [{ eval_time: "10m", alertname: a.actionsFailing, exp_alerts: [] }],
  ),
  scenario(
    "a responder up (two replicas, one of them down) is not down",
    "1m",
    [up("10.1.0.7:8080", "1x20"), up("10.1.0.8:8080", "0x20")],
    [{ eval_time: "15m", alertname: a.down, exp_alerts: [] }],
  ),
  scenario(
    "a responder target down from minute 3 tickets after 5 minutes",
    "1m",
    [up("10.1.0.7:8080", "1x3 0x20")],
    [
      { eval_time: "6m", alertname: a.down, exp_alerts: [] },
      { eval_time: "10m", alertname: a.down, exp_alerts: [down] },
    ],
  ),
  scenario(
    "no responder target at all (only another environment's) tickets after 5 minutes",
    "1m",
    [up("10.9.0.1:8080", "1x20", "other-platform")],
    [
      { eval_time: "4m", alertname: a.down, exp_alerts: [] },
      { eval_time: "7m", alertname: a.down, exp_alerts: [down] },
    ],
  ),
];

describe("the responder's rule group", () => {
  test("is part of every stack's rule set", () => {
    for (const stack of ["dev", "staging", "prod"]) {
      const c = loadStackConfig(stack);
      expect(ruleGroupsFor(c, namespaces(c)).filter((g) => g.name === "responder")).toEqual([
        responderRuleGroup(namespaces(c)),
      ]);
    }
  });

  test("declares no response of its own (the responder never acts on its own alerts) and only tickets", () => {
    expect(group.rules.map((r) => [r.alert, r.labels?.[ALERT_LABELS.response], r.labels?.severity])).toEqual([
      [a.actionsFailing, undefined, "warning"],
      [a.down, undefined, "warning"],
    ]);
  });
});

describeTool("responder alerts with the real promtool", () => {
  const promtool = promtoolRules("responder", [group]);

  test("promtool check rules accepts the group", () => {
    const result = promtool.check();
    expect(result.output).toContain("SUCCESS: 2 rules found");
    expect(result.status).toBe(0);
  });

  test.each(scenarios.map((s) => [s.name, s] as const))("promtool test rules: %s", (_name, s) => {
    const result = promtool.test(s);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  test("a wrong expectation fails promtool (the scenarios can fail)", () => {
    const wrong = scenario(
      "expects a ticket for acted decisions",
      "1m",
      [decisions(ALERT_NAMES.crashLooping, restart, "acted", "0+1x20")],
      [{ eval_time: "10m", alertname: a.actionsFailing, exp_alerts: [failing(restart, "acted")] }],
    );
    expect(promtool.test(wrong).status).not.toBe(0);
  });
});
