import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import { LABELS } from "../../contract";
import { SLO_LABEL, SLO_RECORDS, type SliWindow, type SloKind } from "../alerting/names";
import { ALERT_NAMES, ALERT_SERVICE_LABEL, RUNBOOK_BASE_URL } from "../alerting/rules";
import { CELL_VALUE, serviceLinks, toDashboard } from "./links";
import { DASHBOARD_VARIABLES as V } from "./model";
import { hideColumns, MERGE_TABLES, renameColumns, row, statPanel, tablePanel, timeseriesPanel } from "./panels";
import { legend, NS_MATCH, SERVICE_MATCH, sel } from "./queries";
import {
  BUDGET_STEPS,
  type BurnAlertView,
  burnSteps,
  type DashboardSettings,
  exhaustionSteps,
  sliSteps,
} from "./settings";
import { shell, sloVariable } from "./shell";

const SLO_MATCH = `${SLO_LABEL}=~"$${V.slo}"`;
/** An SLO record of the selected services and SLOs in the environment. */
const s = (metric: string, ...matchers: string[]) => sel(metric, NS_MATCH, SERVICE_MATCH, SLO_MATCH, ...matchers);
const ID = legend(LABELS.service, SLO_LABEL);
const ON = `on(namespace, ${LABELS.service}, ${SLO_LABEL})`;
/** The window the time to exhaustion is projected from: long enough not to swing with every spike. */
export const STEADY_WINDOW = "1d";

/** Burn rate over a window: its error ratio divided by the budget (1 - objective). */
const burn = (window: SliWindow) => `${s(SLO_RECORDS.errorRatio(window))} / ${ON} (1 - ${s(SLO_RECORDS.objective)})`;

/** One multi-window alert: both windows' burn rates against its factor, and its firing state at that level. */
function burnPairPanel(settings: DashboardSettings, a: BurnAlertView) {
  const alert = a.severity === "page" ? ALERT_NAMES.fastBurn : ALERT_NAMES.slowBurn;
  const firing = sel(
    "ALERTS",
    `alertstate="firing"`,
    `alertname="${alert}"`,
    `long_window="${a.longWindow}"`,
    NS_MATCH,
    `${ALERT_SERVICE_LABEL}=~"$${V.service}"`,
    SLO_MATCH,
  );
  return timeseriesPanel({
    title: `${a.severity === "page" ? "Page" : "Ticket"}: ${a.longWindow} and ${a.shortWindow} burn against ${a.factor}×`,
    description: `${alert} fires when the burn rate over ${a.longWindow} AND over ${a.shortWindow} both exceed ${a.factor} (${a.factor}× the rate that spends the ${settings.slo.period} budget exactly; dashed). The red state line is at ${a.factor} while the alert fires, at 0 otherwise.`,
    unit: "suffix:×",
    width: 12,
    height: 8,
    min: 0,
    targets: [
      { expr: burn(a.longWindow as SliWindow), legend: `${ID} ${a.longWindow}` },
      { expr: burn(a.shortWindow as SliWindow), legend: `${ID} ${a.shortWindow}` },
      {
        // at the factor while the alert fires, at 0 otherwise (ALERTS has no series when nothing fires)
        expr: `${a.factor} * max by (${LABELS.service}, ${SLO_LABEL}) (${firing}) or 0 * max by (${LABELS.service}, ${SLO_LABEL}) (${s(SLO_RECORDS.errorRatio(a.longWindow as SliWindow))})`,
        legend: `state ${ID}`,
      },
    ],
    steps: burnSteps(a.factor),
    colours: [{ pattern: "^state.*", color: "red" }],
    links: serviceLinks(settings.environment, { errors: true }),
  });
}

const sliStat = (settings: DashboardSettings, kind: SloKind, objective: number) =>
  statPanel({
    title: `${kind === "availability" ? "Availability" : "Latency"} SLI over ${settings.slo.period}`,
    description: `Share of good requests over the SLO period (1 - ${SLO_RECORDS.errorRatio(settings.slo.period)}) per service; red below the ${objective * 100}% objective.`,
    unit: "percentunit",
    targets: [
      {
        expr: `1 - ${s(SLO_RECORDS.errorRatio(settings.slo.period), `${SLO_LABEL}="${kind}"`)}`,
        legend: legend(LABELS.service),
      },
    ],
    steps: sliSteps(objective),
    width: 6,
    height: 6,
  });

export function slo(settings: DashboardSettings): dashboard.DashboardBuilder {
  const { period, periodHours } = settings.slo;
  const timeToExhaustion = `clamp_min(${s(SLO_RECORDS.budgetRemaining)}, 0) * ${periodHours} / ${ON} (${burn(STEADY_WINDOW)} > 0)`;
  // instant tables at the end of the range, merged into one row per service and SLO (refIds A–D in order)
  const headline = (expr: string) => ({ expr, instant: true, format: prometheus.PromQueryFormat.Table });
  return shell(
    settings,
    "slo",
    "SLOs & error budget",
    `Availability and latency SLOs of every service over the ${period} period: SLI against the objective, budget left and when it runs out, each multi-window burn-rate alert against its factor, and the SLO alerts of the range.`,
    { from: `now-${period}` },
  )
    .withVariable(sloVariable())
    .withRow(row(`Objectives over ${period}`))
    .withPanel(
      tablePanel({
        title: `SLOs: objective, SLI over ${period}, budget left, time to exhaustion`,
        description: `One row per service and SLO. Time to exhaustion: hours until the budget is gone if the ${STEADY_WINDOW} burn rate continues (empty when not burning). Click a service for its errors dashboard.`,
        unit: "percentunit",
        height: 7,
        targets: [
          headline(s(SLO_RECORDS.objective)),
          headline(`1 - ${s(SLO_RECORDS.errorRatio(period))}`),
          headline(s(SLO_RECORDS.budgetRemaining)),
          headline(timeToExhaustion),
        ],
        transformations: [
          MERGE_TABLES,
          hideColumns(["Time", "__name__", "namespace"]),
          renameColumns({
            "Value #A": "objective",
            "Value #B": `SLI (${period})`,
            "Value #C": "budget left",
            "Value #D": `hours left at the ${STEADY_WINDOW} burn`,
          }),
        ],
        columnUnits: { [`hours left at the ${STEADY_WINDOW} burn`]: "h" },
        columnLinks: [
          {
            field: LABELS.service,
            links: [toDashboard(settings.environment, "errors", `Errors of ${CELL_VALUE}`, { service: CELL_VALUE })],
          },
        ],
      }),
    )
    .withPanel(sliStat(settings, "availability", settings.slo.availability))
    .withPanel(sliStat(settings, "latency", settings.slo.latency))
    .withPanel(
      statPanel({
        title: "Error budget remaining",
        description: `Share of the ${period} error budget left (${SLO_RECORDS.budgetRemaining}); negative when spent.`,
        unit: "percentunit",
        targets: [{ expr: s(SLO_RECORDS.budgetRemaining), legend: ID }],
        steps: BUDGET_STEPS,
        width: 6,
        height: 6,
      }),
    )
    .withPanel(
      statPanel({
        title: `Time to exhaustion at the ${STEADY_WINDOW} burn`,
        description: `Hours until the ${period} budget is gone if the last ${STEADY_WINDOW}'s burn rate continues: max(budget left, 0) × ${periodHours} h / burn rate. No value: not burning.`,
        unit: "h",
        targets: [{ expr: timeToExhaustion, legend: ID }],
        steps: exhaustionSteps(settings),
        noValue: "not burning",
        width: 6,
        height: 6,
      }),
    )
    .withRow(row("Budget burn-down"))
    .withPanel(
      timeseriesPanel({
        title: "Error budget remaining",
        description: `${SLO_RECORDS.budgetRemaining} over time: the slope is the burn; dashed at 50 %, 25 % and spent.`,
        unit: "percentunit",
        targets: [{ expr: s(SLO_RECORDS.budgetRemaining), legend: ID }],
        steps: BUDGET_STEPS,
        links: serviceLinks(settings.environment, { errors: true }),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: `SLI over ${period} against the objective`,
        description: `1 - ${SLO_RECORDS.errorRatio(period)} per service and SLO, with each SLO's objective (${SLO_RECORDS.objective}).`,
        unit: "percentunit",
        max: 1,
        targets: [
          { expr: `1 - ${s(SLO_RECORDS.errorRatio(period))}`, legend: `SLI ${ID}` },
          { expr: s(SLO_RECORDS.objective), legend: `objective ${ID}` },
        ],
        links: serviceLinks(settings.environment),
      }),
    )
    .withRow(row("Multi-window burn-rate alerts"))
    .withPanel(burnPairPanel(settings, settings.slo.burnAlerts[0] as BurnAlertView))
    .withPanel(burnPairPanel(settings, settings.slo.burnAlerts[1] as BurnAlertView))
    .withPanel(burnPairPanel(settings, settings.slo.burnAlerts[2] as BurnAlertView))
    .withPanel(burnPairPanel(settings, settings.slo.burnAlerts[3] as BurnAlertView))
    .withRow(row("Alerts"))
    .withPanel(
      tablePanel({
        title: "SLO alerts firing in the range",
        description:
          "Every SLO burn-rate alert that fired at some point in the selected range (max over the range of Prometheus' ALERTS), with its windows and severity; the alert name opens its runbook.",
        unit: "none",
        targets: [
          {
            expr: `max by (alertname, severity, ${ALERT_SERVICE_LABEL}, ${SLO_LABEL}, long_window, short_window) (max_over_time(${sel("ALERTS", `alertstate="firing"`, `${SLO_LABEL}!=""`, NS_MATCH, `${ALERT_SERVICE_LABEL}=~"$${V.service}"`, SLO_MATCH)}[$__range]))`,
            instant: true,
            format: prometheus.PromQueryFormat.Table,
          },
        ],
        transformations: [hideColumns(["Time", "Value"])],
        columnLinks: [
          { field: "alertname", links: [{ title: "Runbook", url: `${RUNBOOK_BASE_URL}${CELL_VALUE}.md` }] },
        ],
      }),
    );
}
