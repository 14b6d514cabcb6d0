import type { Rule } from "../../infra/alerting/rules";

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
