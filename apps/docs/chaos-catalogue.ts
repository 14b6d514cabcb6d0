import type { SloKind } from "../../infra/alerting/names";
import { BURN_RATE_ALERTS, burnFactor } from "../../infra/alerting/slos";
import type { AlertExpectation, Experiment, ExperimentDefinition } from "../../infra/chaos/experiments";
import { burnPairs, PlanError, stackPlan } from "../../infra/chaos/plan";
import type { StackConfig } from "../../infra/config/schema";
import { alertLabel, describeFault, faultMechanism, formatShare, runsLocally } from "../chaos/describe";

/**
 * The generated sections of docs/chaos.md: the catalogue (what each experiment does and expects), the limits
 * each stack's objectives plan for it when every window is full, the burn-rate pairs those limits rest on, and
 * one plan spelled out.
 */

export interface StackInput {
  stack: string;
  config: StackConfig;
}

/** An experiment as a warm stack runs it, or why its premise can never page there. */
export type Planned = Experiment | PlanError;

export interface StackPlanned extends StackInput {
  plans: Planned[];
}

/** The plan whose reasoning docs/chaos.md spells out. */
export const WORKED_EXAMPLE = { experiment: "product-errors", stack: "dev" } as const;

const cell = (text: string) => text.replaceAll("|", "\\|");
const code = (text: string) => `\`${text}\``;
const tableRow = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
const header = (cells: string[]) => [tableRow(cells), `|${cells.map(() => "---").join("|")}|`];

/** Seconds for people, without losing any: 1410 → "23 min 30 s", 13070 → "3 h 37 min 50 s", 45 → "45 s". */
export function span(seconds: number): string {
  const total = Math.round(seconds);
  const [h, m, s] = [Math.floor(total / 3_600), Math.floor((total % 3_600) / 60), total % 60];
  const parts = [h ? `${h} h` : "", m ? `${m} min` : "", s || total === 0 ? `${s} s` : ""];
  return parts.filter(Boolean).join(" ");
}

/**
 * Each definition planned as `stackPlan` plans it for this stack; a premise below every page threshold of the
 * stack stays a PlanError (the table says "never pages") instead of ending the whole document.
 */
export function planEach(definitions: readonly ExperimentDefinition[], config: StackInput["config"]): Planned[] {
  return definitions.flatMap((d): Planned[] => {
    try {
      return stackPlan(config, [d]);
    } catch (err) {
      if (err instanceof PlanError) return [err];
      throw err;
    }
  });
}

/** Every stack's plans, in the stacks' order. */
export const planStacks = (
  definitions: readonly ExperimentDefinition[],
  stacks: readonly StackInput[],
): StackPlanned[] => stacks.map((s) => ({ ...s, plans: planEach(definitions, s.config) }));

/** "≥ 40 % of order's requests failing" for a burn premise; experiments with written limits have none. */
function premiseOf(d: ExperimentDefinition): string {
  if (!d.burn) return "— (limits written in the catalogue)";
  const what = d.burn.slo === "availability" ? "failing" : "slow";
  return `≥ ${formatShare(d.burn.badRatio)} of ${d.burn.service}'s requests ${what}`;
}

/** The alerts one hypothesis line lists, marked with the stacks they apply to when not every plan agrees. */
function alertsCell(
  stacks: readonly StackPlanned[],
  i: number,
  pick: (e: Experiment) => AlertExpectation[] | undefined,
) {
  const planned = stacks.flatMap((s) => {
    const p = s.plans[i];
    return p === undefined || p instanceof PlanError
      ? []
      : [{ stack: s.stack, labels: (pick(p) ?? []).map(alertLabel) }];
  });
  const labels = [...new Set(planned.flatMap((p) => p.labels))];
  if (labels.length === 0) return "—";
  return labels
    .map((label) => {
      const on = planned.filter((p) => p.labels.includes(label)).map((p) => p.stack);
      return on.length === planned.length ? code(label) : `${code(label)} (${on.join(", ")})`;
    })
    .join(", ");
}

/** One row per experiment: what it does and what must (not) fire; the numbers are in each stack's table. */
export function catalogueTable(definitions: readonly ExperimentDefinition[], stacks: readonly StackPlanned[]): string {
  const rows = definitions.map((d, i) =>
    tableRow([
      code(d.name),
      d.target,
      `${describeFault(d.fault)} (${faultMechanism(d.fault)})`,
      [
        runsLocally(d.fault) ? "local, cluster" : "cluster",
        ...(d.schedule ? [`scheduled ${code(d.schedule)}`] : []),
      ].join("; "),
      premiseOf(d),
      alertsCell(stacks, i, (e) => e.hypothesis.mustFire),
      alertsCell(stacks, i, (e) => e.hypothesis.mustNotFire),
      alertsCell(stacks, i, (e) => e.hypothesis.mustBeInhibited),
      d.hypothesis.sliServices.join(", "),
    ]),
  );
  return [
    ...header([
      "experiment",
      "target",
      "fault",
      "runs",
      "premise",
      "must fire",
      "must not fire",
      "inhibited while the page fires",
      "SLIs of",
    ]),
    ...rows,
  ].join("\n");
}

/** The stack's limits per experiment for a warm Prometheus (every window full). */
export function limitsTable(definitions: readonly ExperimentDefinition[], plans: readonly Planned[]): string {
  const rows = plans.map((p, i) => {
    if (p instanceof PlanError) return tableRow([code(definitions[i]?.name ?? ""), ...Array(5).fill("never pages")]);
    const h = p.hypothesis;
    return tableRow([
      code(p.name),
      span(p.durationSeconds),
      p.plan?.firstPage ?? "—",
      h.mustFire.length ? span(h.maxDetectSeconds) : "—",
      span(h.maxRecoverSeconds),
      `${formatShare(h.maxBudgetConsumed)} (${h.budgetSlo ?? "availability"})`,
    ]);
  });
  return [
    ...header(["experiment", "fault for", "first page pair", "must fire within", "recovered within", "budget at most"]),
    ...rows,
  ].join("\n");
}

/** What a stack's plan rests on, above its table. */
function stackLine({ stack, config }: StackInput): string {
  const { slo } = config;
  const chaos = config.chaos.enabled ? "chaos on" : "chaos off here (no Chaos Mesh): planned for comparison only";
  return `**${stack}**: availability ${formatShare(slo.availability)}, latency ${formatShare(slo.latency)} under ${slo.latencyThresholdSeconds} s, over ${slo.period}; Prometheus scrapes and evaluates every ${config.metrics.scrapeInterval}; ${chaos}.`;
}

/** Each burn-rate pair's threshold, factor × (1 − objective), per stack and SLO. */
export function burnPairsTable(stacks: readonly StackInput[]): string {
  const rows = BURN_RATE_ALERTS.map((a, i) =>
    tableRow([
      `${a.longWindow}/${a.shortWindow}`,
      a.severity,
      formatShare(a.budgetSpent),
      ...stacks.map(({ config: { slo } }) => {
        const threshold = (kind: SloKind) => {
          const objective = kind === "availability" ? slo.availability : slo.latency;
          const value = burnPairs(slo, kind)[i]?.threshold ?? Number.NaN;
          return `${burnFactor(a, slo.period)} × ${formatShare(1 - objective)} = ${formatShare(value)}`;
        };
        return `${threshold("availability")}; ${threshold("latency")}`;
      }),
    ]),
  );
  const stackColumns = stacks.map((s) => `${s.stack}: availability; latency`);
  return [
    ...header(["pair (long/short)", "severity", "budget spent in the long window", ...stackColumns]),
    ...rows,
  ].join("\n");
}

/** The worked example: the plan's own reasoning, line by line, and the limits it arrives at. */
export function workedExample(stacks: readonly StackPlanned[]): string {
  const { experiment, stack } = WORKED_EXAMPLE;
  const planned = stacks.find((s) => s.stack === stack);
  const plan = planned?.plans.find((p): p is Experiment => !(p instanceof PlanError) && p.name === experiment);
  if (!planned || !plan?.plan) {
    throw new Error(`the worked example needs ${experiment} planned from its burn premise on the ${stack} stack`);
  }
  const h = plan.hypothesis;
  return [
    `${code(experiment)} on a warm ${stack} stack, as the plan states it:`,
    "",
    ...plan.plan.lines.map((line) => `- ${line}`),
    `- so: must fire within ${h.maxDetectSeconds} s, the fault lasts ${plan.durationSeconds} s, recovered within ${h.maxRecoverSeconds} s, budget at most ${formatShare(h.maxBudgetConsumed)}`,
  ].join("\n");
}

/** Every generated section of docs/chaos.md by marker name. */
export function chaosSections(
  definitions: readonly ExperimentDefinition[],
  stacks: readonly StackInput[],
): Record<string, string> {
  const planned = planStacks(definitions, stacks);
  return {
    catalogue: [
      catalogueTable(definitions, planned),
      "",
      ...definitions.map((d) => `- ${code(d.name)}: ${d.description}.`),
      "",
      ...planned.flatMap((s) => [stackLine(s), "", limitsTable(definitions, s.plans), ""]),
    ].join("\n"),
    "burn-pairs": burnPairsTable(stacks),
    "worked-example": workedExample(planned),
  };
}
