import { ALERT_LABELS, AUTOMATIC_RESPONSE_ANNOTATION, type PlaybookEntry } from "../../contract";
import type { StackConfig } from "../config/schema";
import { namespaces } from "../platform/naming";
import { playbookOf } from "./playbook";
import { ruleGroupsFor } from "./rule-set";
import { RUNBOOK_BASE_URL, type RuleGroup } from "./rules";

/**
 * The generated parts of docs/operations.md: the playbook of automatic responses, derived from the alert
 * rules, and the responder's settings per environment, from the stack files. `npm run docs:playbook`
 * writes them; test/docs/operations.test.ts fails when the document differs.
 */

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

function markdownTable(headers: string[], rows: string[][]): string {
  return [
    `| ${headers.join(" | ")} |`,
    `|${headers.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

/** A runbook URL as a link from docs/: relative when it points into this repository's docs/runbooks/. */
export function runbookLink(url: string): string {
  if (!url) return "—";
  if (!url.startsWith(RUNBOOK_BASE_URL)) return `[runbook](${url})`;
  const file = url.slice(RUNBOOK_BASE_URL.length);
  return `[${file.replace(/\.md$/, "")}](runbooks/${file})`;
}

/**
 * Label matchers that set the rules of `alert` declaring `action` apart from its rules that do not (an
 * alert whose every rule responds has none): e.g. only the latency SLO's burns raise replicas. A label
 * qualifies when all responding rules share its value and no other rule of the alert has that value.
 */
export function responseScope(groups: RuleGroup[], alert: string, action: string): string[] {
  const rules = groups.flatMap((g) => g.rules).filter((r) => r.alert === alert);
  const responding = rules.filter((r) => r.labels?.[ALERT_LABELS.response] === action);
  const others = rules.filter((r) => r.labels?.[ALERT_LABELS.response] !== action);
  const [first] = responding;
  if (!first || others.length === 0) return [];
  return Object.entries(first.labels ?? {})
    .filter(([key]) => key !== ALERT_LABELS.response)
    .filter(([key, value]) => responding.every((r) => r.labels?.[key] === value))
    .filter(([key, value]) => others.every((r) => r.labels?.[key] !== value))
    .map(([key, value]) => `${key}="${value}"`)
    .sort();
}

function playbookRow(groups: RuleGroup[], entry: PlaybookEntry): string[] {
  const scope = responseScope(groups, entry.alert, entry.action);
  const only = scope.length ? `only ${scope.map((m) => `\`${m}\``).join(", ")}: ` : "";
  return [
    `\`${entry.alert}\``,
    `\`${entry.action}\``,
    `${only}${entry.description || `(no ${AUTOMATIC_RESPONSE_ANNOTATION} annotation)`}`,
    `\`${entry.severity}\``,
    runbookLink(entry.runbook),
  ];
}

/** The markdown table of every automatic response of one stack: alert, action, when and what, severity, runbook. */
export function playbookTable(config: StackConfig): string {
  const groups = ruleGroupsFor(config, namespaces(config));
  return markdownTable(
    ["alert", "response", "when and what", "severity", "runbook"],
    playbookOf(groups).map((entry) => playbookRow(groups, entry)),
  );
}

/** The playbook section from each environment's table: one table when they are all equal, else one per environment. */
export function playbookSection(tables: { environment: string; table: string }[]): string {
  const [first] = tables;
  if (!first) throw new Error("playbookSection needs at least one environment's table");
  if (tables.every((t) => t.table === first.table)) {
    return `The same in ${tables.map((t) => t.environment).join(", ")}.\n\n${first.table}`;
  }
  return tables.map((t) => `**${t.environment}**\n\n${t.table}`).join("\n\n");
}

/** One row per guardrail: what it is, its key under `platform.responder`, and its value per environment. */
const SETTINGS: { setting: string; key: string; value: (r: StackConfig["responder"]) => string }[] = [
  { setting: "mode", key: "mode", value: (r) => `\`${r.mode}\`` },
  { setting: "cooldown per Deployment", key: "cooldownMinutes", value: (r) => `${r.cooldownMinutes} min` },
  {
    setting: "actions per rolling hour, all targets",
    key: "maxActionsPerHour",
    value: (r) => `${r.maxActionsPerHour}`,
  },
  { setting: "retries of a failed API call", key: "retries", value: (r) => `${r.retries}` },
  { setting: "effect check window", key: "verifyWindow", value: (r) => r.verifyWindow },
  {
    setting: "hold while this many services burn fast",
    key: "holdWhenServicesBurning",
    value: (r) => `${r.holdWhenServicesBurning}`,
  },
  { setting: "raise step", key: "raise.step", value: (r) => `+${r.raise.step}` },
  {
    setting: "raise cap (maxReplicas never above)",
    key: "raise.maxReplicasCap",
    value: (r) => `${r.raise.maxReplicasCap}`,
  },
  { setting: "raise duration (then reverted)", key: "raise.duration", value: (r) => r.raise.duration },
];

/** The responder's guardrails per environment, as the stack files set them (defaults filled in). */
export function responderSettingsTable(configs: StackConfig[]): string {
  return markdownTable(
    ["setting", "key (`platform.responder.`…)", ...configs.map((c) => c.environment)],
    SETTINGS.map((s) => [s.setting, `\`${s.key}\``, ...configs.map((c) => s.value(c.responder))]),
  );
}

/** Marker name → generated body, for every generated section of docs/operations.md. */
export function operationsSections(configs: StackConfig[]): Record<string, string> {
  const tables = configs.map((c) => ({ environment: c.environment, table: playbookTable(c) }));
  return { playbook: playbookSection(tables), "responder-settings": responderSettingsTable(configs) };
}
