import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  ALERT_LABELS,
  AUTOMATIC_RESPONSE_ANNOTATION,
  HTTP_DURATION_BUCKETS,
  RESPONSE_ACTION_VALUES,
  RESPONSE_ACTIONS,
} from "../../contract";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { ALERT_NAMES, alertNames, RUNBOOK_BASE_URL } from "../../infra/alerting/rules";
import { BURN_RATE_ALERTS, burnFactor } from "../../infra/alerting/slos";
import { parseStackConfig } from "../../infra/config/schema";
import { promqlProblems } from "../../infra/dashboards/query-check";
import { namespaces } from "../../infra/platform/naming";
import { stackConfigFile } from "../../infra/preflight/collect";
import { ROOT } from "../support/services";

const configOf = (stack: string) =>
  parseStackConfig(JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string));
const groupsOf = (stack: string) => {
  const config = configOf(stack);
  return ruleGroupsFor(config, namespaces(config));
};

const promqlErrors = promqlProblems;

describe("generated rules", () => {
  test("burn factors are the SRE Workbook's for 30 days, scaled by budget share for 28 days", () => {
    expect(BURN_RATE_ALERTS.map((a) => burnFactor(a, "30d"))).toEqual([14.4, 6, 3, 1]);
    expect(BURN_RATE_ALERTS.map((a) => burnFactor(a, "28d"))).toEqual([13.44, 5.6, 2.8, 0.933]);
  });

  test.each(["dev", "staging", "prod"])("%s: every expression parses as PromQL", (stack) => {
    const problems = groupsOf(stack).flatMap((g) =>
      g.rules.flatMap((r) => promqlErrors(r.expr).map((e) => `${r.record ?? r.alert}: ${e}`)),
    );
    expect(problems).toEqual([]);
  });

  test("a broken expression is reported by the same check (so it can fail)", () => {
    expect(promqlErrors("sum(rate(x[5m])")).not.toEqual([]);
  });

  test("burn-rate alerts have no for:, and carry severity, service, slo and the windows; the latency ones a response", () => {
    const burn = groupsOf("prod")
      .flatMap((g) => g.rules)
      .filter((r) => r.alert === ALERT_NAMES.fastBurn || r.alert === ALERT_NAMES.slowBurn);
    expect(burn).toHaveLength(3 * 2 * 4);
    const keys = ["long_window", "service", "severity", "short_window", "slo"];
    for (const r of burn) {
      expect(r.for).toBeUndefined();
      const latency = r.labels?.slo === "latency";
      expect(Object.keys(r.labels ?? {}).sort()).toEqual(latency ? [...keys, ALERT_LABELS.response].sort() : keys);
      if (latency) expect(r.labels?.[ALERT_LABELS.response]).toBe(RESPONSE_ACTIONS.raiseMaxReplicas);
    }
  });

  test.each(["dev", "staging", "prod"])(
    "%s: every rule with a response label names a known action and says in automatic_response what it does, and only those",
    (stack) => {
      const alerts = groupsOf(stack)
        .flatMap((g) => g.rules)
        .filter((r) => r.alert);
      const responding = alerts.filter((r) => r.labels?.[ALERT_LABELS.response] !== undefined);
      expect(responding.length).toBeGreaterThan(0);
      for (const r of responding) {
        expect([r.alert, RESPONSE_ACTION_VALUES.includes(r.labels?.[ALERT_LABELS.response] as never)]).toEqual([
          r.alert,
          true,
        ]);
        expect([r.alert, r.annotations?.[AUTOMATIC_RESPONSE_ANNOTATION]]).toEqual([
          r.alert,
          expect.stringMatching(/\S/),
        ]);
      }
      const described = alerts.filter((r) => r.annotations?.[AUTOMATIC_RESPONSE_ANNOTATION] !== undefined);
      expect(described).toEqual(responding);
    },
  );

  test("every alert has severity, summary, description and a runbook_url whose runbook exists with the four sections", () => {
    const rules = groupsOf("prod")
      .flatMap((g) => g.rules)
      .filter((r) => r.alert);
    for (const r of rules) {
      expect([r.alert, r.labels?.severity]).toEqual([
        r.alert,
        expect.stringMatching(/^(page|ticket|critical|warning|none)$/),
      ]);
      expect(r.annotations?.summary).toEqual(expect.any(String));
      expect(r.annotations?.description).toEqual(expect.any(String));
      expect(r.annotations?.runbook_url).toBe(`${RUNBOOK_BASE_URL}${r.alert}.md`);
    }
    for (const alert of alertNames(groupsOf("prod"))) {
      const file = path.join(ROOT, "docs", "runbooks", `${alert}.md`);
      expect([alert, existsSync(file)]).toEqual([alert, true]);
      const headings = readFileSync(file, "utf8").match(/^## .+$/gm);
      expect(headings).toEqual(["## Meaning", "## Impact", "## Diagnosis", "## Mitigation"]);
    }
  });

  test("the latency SLO threshold is a bucket the services export", () => {
    const expr = groupsOf("prod")
      .flatMap((g) => g.rules)
      .find((r) => r.record === "slo:sli_error:ratio_rate5m" && r.labels?.slo === "latency")?.expr;
    const le = /le="([\d.]+)"/.exec(expr ?? "")?.[1];
    expect((HTTP_DURATION_BUCKETS as readonly number[]).includes(Number(le))).toBe(true);
  });

  test("every SLO and aggregate record name is unique per label set", () => {
    const keys = groupsOf("prod").flatMap((g) =>
      g.rules.filter((r) => r.record).map((r) => `${r.record}${JSON.stringify(r.labels ?? {})}`),
    );
    expect(new Set(keys).size).toBe(keys.length);
  });
});
