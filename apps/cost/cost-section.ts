/**
 * Section (a): what the environment costs per month — per environment, team, workload, scope and claim — from
 * the recorded hourly cost × 730, and the month to date and forecast against the stack's `cost.monthlyBudget`.
 */
import { COST_LABELS, COST_RECORDS } from "../../contract";
import { BUDGET_FORECAST_SHARE } from "../../infra/alerting/cost-rules";
import type { StackConfig } from "../../infra/config/schema";
import { CLAIM_LABEL, type ReportQueries } from "../../infra/queries/cost-report-queries";
import type { Table } from "../bench/table";
import { evidence, finite, type Hint, HOURS_PER_MONTH, money, percent, type Section } from "./model";
import type { Results, Sample } from "./prometheus";

const L = COST_LABELS;
const byValue = (a: Sample, b: Sample) => b.value - a.value;
const valueWhere = (samples: readonly Sample[], label: string, value: string) =>
  finite(samples.find((s) => s.labels[label] === value));

export interface BudgetStatus {
  budget: number;
  monthToDate?: number;
  forecast?: number;
}

/** The budget hints: forecast at or above 80 % of the budget (ticket), month to date at or above it (page). */
export function budgetHints(status: BudgetStatus, currency: string, q: ReportQueries, environment: string): Hint[] {
  const { budget, monthToDate, forecast } = status;
  const m = (v: number) => money(v, currency);
  const hints: Hint[] = [];
  if (monthToDate !== undefined && monthToDate >= budget) {
    hints.push({
      advice: `${environment} has spent ${m(monthToDate)} this month, ${percent(monthToDate / budget)} of its budget of ${m(budget)}: the budget is exceeded.`,
      evidence: [evidence(q.monthToDate, m(monthToDate)), `cost.monthlyBudget = ${m(budget)}`],
      saving: `every further hour costs as much as now: cut the idle cost and the over-provisioned requests below`,
    });
  } else if (forecast !== undefined && forecast >= BUDGET_FORECAST_SHARE * budget) {
    hints.push({
      advice: `${environment}'s forecast for the month is ${m(forecast)}, ${percent(forecast / budget)} of its budget of ${m(budget)}.`,
      evidence: [evidence(q.monthForecast, m(forecast)), `cost.monthlyBudget = ${m(budget)}`],
      saving: `${m(forecast - BUDGET_FORECAST_SHARE * budget)} less this month brings the forecast under ${percent(BUDGET_FORECAST_SHARE)}`,
    });
  }
  return hints;
}

export function costSection(r: Results, q: ReportQueries, config: StackConfig, top: number): Section {
  const currency = config.cost.currency;
  const m = (hourly: number) => money(hourly, currency);
  const perMonth = (hourly: number) => money(hourly * HOURS_PER_MONTH, currency);
  const section: Section = {
    title: "Cost per environment, team and workload",
    intro: `Monthly cost = the recorded hourly cost × ${HOURS_PER_MONTH} h; billed CPU and memory are max(request, usage) per container at the stack's prices (${config.cost.cpuCoreHour} ${currency} per vCPU-hour, ${config.cost.memoryGiBHour} ${currency} per GiB-hour).`,
    tables: [],
    hints: [],
    notes: [],
  };
  const all = [r.environmentHourly, r.teamHourly, r.workloadHourly, r.claimHourly, r.scopeHourly];
  if (all.every((s) => s.length === 0)) {
    section.notes.push(
      `No cost series in this Prometheus (\`${COST_RECORDS.workloadHourly}\`, \`${COST_RECORDS.environmentHourly}\` …): the cost rules compute them from kube-state-metrics and cAdvisor, which a cluster's kube-prometheus-stack runs and a local demo does not. Run the report against the cluster's Prometheus (docs/cost.md).`,
    );
    return section;
  }

  const budget: BudgetStatus = {
    budget: config.cost.monthlyBudget,
    monthToDate: valueWhere(r.monthToDate, L.environment, config.environment),
    forecast: valueWhere(r.monthForecast, L.environment, config.environment),
  };
  const envRows = [...r.environmentHourly].sort(byValue).map((s) => {
    const env = s.labels[L.environment] ?? "(none)";
    const mtd = valueWhere(r.monthToDate, L.environment, env);
    const forecast = valueWhere(r.monthForecast, L.environment, env);
    const ours = env === config.environment;
    return [
      env,
      m(s.value),
      perMonth(s.value),
      mtd === undefined ? "—" : m(mtd),
      forecast === undefined ? "—" : m(forecast),
      ours ? m(budget.budget) : "—",
      ours && forecast !== undefined ? percent(forecast / budget.budget) : "—",
    ];
  });
  const tables: Table[] = [
    {
      title: "Per environment",
      headers: ["environment", "per hour", "per month", "month to date", "forecast", "budget", "forecast / budget"],
      rows: envRows,
    },
    {
      title: "Per team",
      headers: ["team", "per hour", "per month"],
      rows: [...r.teamHourly].sort(byValue).map((s) => [s.labels[L.team] ?? "(none)", m(s.value), perMonth(s.value)]),
    },
  ];
  const workloads = [...r.workloadHourly].sort(byValue);
  tables.push({
    title: `Per workload (top ${Math.min(top, workloads.length)} of ${workloads.length})`,
    headers: ["namespace", "workload", "scope", "per hour", "per month"],
    align: ["l", "l", "l", "r", "r"],
    rows: workloads
      .slice(0, top)
      .map((s) => [
        s.labels[L.namespace] ?? "",
        s.labels[L.workload] ?? "",
        s.labels[L.scope] ?? "",
        m(s.value),
        perMonth(s.value),
      ]),
  });
  if (r.claimHourly.length > 0) {
    tables.push({
      title: "Persistent volume claims",
      headers: ["namespace", "claim", "per month"],
      align: ["l", "l", "r"],
      rows: [...r.claimHourly]
        .sort(byValue)
        .slice(0, top)
        .map((s) => [s.labels[L.namespace] ?? "", s.labels[CLAIM_LABEL] ?? "", perMonth(s.value)]),
    });
  }
  const scope = (name: string) => valueWhere(r.scopeHourly, L.scope, name);
  const billed = (scope("workload") ?? 0) + (scope("platform") ?? 0);
  if (r.scopeHourly.length > 0) {
    tables.push({
      title: "Per scope (idle is the part of the billed cost requested but unused)",
      headers: ["scope", "per hour", "per month", "share of billed"],
      rows: ["workload", "platform", "idle"].map((name) => {
        const v = scope(name);
        return [
          name,
          v === undefined ? "—" : m(v),
          v === undefined ? "—" : perMonth(v),
          v && billed > 0 ? percent(v / billed) : "—",
        ];
      }),
    });
  }
  section.tables = tables;
  section.hints.push(...budgetHints(budget, currency, q, config.environment));
  const idle = scope("idle");
  if (idle !== undefined && idle > 0 && billed > 0) {
    section.hints.push({
      advice: `${perMonth(idle)} a month (${percent(idle / billed)} of the billed cost) is requested but unused: lower the requests of the workloads in the right-sizing section.`,
      evidence: [evidence(q.scopeHourly, `idle ${m(idle)}/h, workload + platform ${m(billed)}/h`)],
      saving: `up to ${perMonth(idle)} a month`,
    });
  }
  if (budget.forecast === undefined) {
    section.notes.push(
      `No month-to-date or forecast series for ${config.environment} (\`${COST_RECORDS.monthForecast}\`): the budget cannot be judged yet.`,
    );
  }
  return section;
}
