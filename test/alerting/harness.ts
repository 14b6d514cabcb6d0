import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import type { Rule, RuleGroup } from "../../infra/alerting/rules";
import { run } from "../support/tools";

/** One promtool `alert_rule_test` case: the alerts expected to fire at eval_time (labels only). */
export interface AlertCase {
  eval_time: string;
  alertname: string;
  exp_alerts: { exp_labels: Record<string, string> }[];
}

/**
 * Adds to each expected alert the annotations its rule renders for those labels (the generated annotations
 * use only `{{ $labels.x }}` templates), since promtool compares annotations too.
 */
export function withAnnotations(scenario: any, rules: Rule[]) {
  return {
    ...scenario,
    alert_rule_test: scenario.alert_rule_test.map((t: AlertCase) => ({
      ...t,
      exp_alerts: t.exp_alerts.map((e) => {
        const rule = rules.find(
          (r) => r.alert === t.alertname && Object.entries(r.labels ?? {}).every(([k, v]) => e.exp_labels[k] === v),
        );
        const render = (text: string) =>
          text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, k: string) => e.exp_labels[k] ?? "");
        return {
          ...e,
          exp_annotations: Object.fromEntries(Object.entries(rule?.annotations ?? {}).map(([k, v]) => [k, render(v)])),
        };
      }),
    })),
  };
}

/**
 * A folder holding one rule file for promtool, made before the suite's tests and removed after: `check()`
 * runs `promtool check rules`, `test(scenario)` one `promtool test rules` case (annotations added).
 */
export function promtoolRules(prefix: string, groups: RuleGroup[]) {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), `promtool-${prefix}-`));
    writeFileSync(path.join(dir, "rules.yaml"), stringify({ groups }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rules = groups.flatMap((g) => g.rules);
  return {
    check: () => run("promtool", ["check", "rules", path.join(dir, "rules.yaml")]),
    test(scenario: unknown) {
      const file = path.join(dir, `test-${Math.random().toString(36).slice(2)}.yaml`);
      const tests = [withAnnotations(scenario, rules)];
      writeFileSync(file, stringify({ rule_files: ["rules.yaml"], evaluation_interval: "1m", tests }));
      return run("promtool", ["test", "rules", file]);
    },
  };
}
