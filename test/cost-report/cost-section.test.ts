import { budgetHints, costSection } from "../../apps/cost/cost-section";
import { COST_RECORDS } from "../../contract";
import { dev, queriesOf, results, s } from "./builders";

const q = queriesOf(dev);
const APPS = "obs-dev-apps";
const PLATFORM = "obs-dev-platform";

describe("cost section (a)", () => {
  const section = costSection(
    results({
      environmentHourly: [s({ environment: "dev" }, 0.25)],
      teamHourly: [s({ team: "shop" }, 0.05), s({ team: "platform" }, 0.2)],
      workloadHourly: [
        s({ namespace: APPS, workload: "order", cost_scope: "workload" }, 0.03),
        s({ namespace: PLATFORM, workload: "prometheus-kps-prometheus", cost_scope: "platform" }, 0.12),
      ],
      claimHourly: [s({ namespace: PLATFORM, persistentvolumeclaim: "storage-loki-0" }, 0.01)],
      scopeHourly: [
        s({ cost_scope: "workload" }, 0.05),
        s({ cost_scope: "platform" }, 0.2),
        s({ cost_scope: "idle" }, 0.1),
      ],
      monthToDate: [s({ environment: "dev" }, 60)],
      monthForecast: [s({ environment: "dev" }, 160)],
    }),
    q,
    dev,
    10,
  );
  const table = (title: string) => section.tables.find((t) => t.title.startsWith(title))?.rows;

  test("per month is the recorded hourly cost × 730 h, per environment (with budget), team, workload and claim", () => {
    // 0.25 × 730 = 182.50; forecast 160 / budget 150 = 106.7 %
    expect(table("Per environment")).toEqual([
      ["dev", "0.25 USD", "182.50 USD", "60.00 USD", "160.00 USD", "150.00 USD", "106.7 %"],
    ]);
    // 0.2 × 730 = 146.00, 0.05 × 730 = 36.50, largest first
    expect(table("Per team")).toEqual([
      ["platform", "0.20 USD", "146.00 USD"],
      ["shop", "0.05 USD", "36.50 USD"],
    ]);
    // 0.12 × 730 = 87.60, 0.03 × 730 = 21.90
    expect(table("Per workload")).toEqual([
      [PLATFORM, "prometheus-kps-prometheus", "platform", "0.12 USD", "87.60 USD"],
      [APPS, "order", "workload", "0.03 USD", "21.90 USD"],
    ]);
    expect(table("Persistent volume claims")).toEqual([[PLATFORM, "storage-loki-0", "7.30 USD"]]);
  });

  test("scopes: idle is a share of the billed cost (workload + platform = 0.25/h), not added to it", () => {
    // idle 0.1 / 0.25 = 40 %; workload 0.05 / 0.25 = 20 %; platform 0.2 / 0.25 = 80 %
    expect(table("Per scope")).toEqual([
      ["workload", "0.05 USD", "36.50 USD", "20.0 %"],
      ["platform", "0.20 USD", "146.00 USD", "80.0 %"],
      ["idle", "0.10 USD", "73.00 USD", "40.0 %"],
    ]);
    const idle = section.hints.find((h) => h.advice.includes("requested but unused"));
    expect(idle?.saving).toBe("up to 73.00 USD a month");
    expect(idle?.evidence).toEqual([`\`${q.scopeHourly}\` = idle 0.10 USD/h, workload + platform 0.25 USD/h`]);
  });

  test("a forecast of 160 against a budget of 150 is a hint naming both, saving what brings it under 80 % (160 − 120 = 40)", () => {
    const budget = section.hints.find((h) => h.advice.includes("forecast"));
    expect(budget?.advice).toBe("dev's forecast for the month is 160.00 USD, 106.7 % of its budget of 150.00 USD.");
    expect(budget?.evidence).toEqual([`\`${q.monthForecast}\` = 160.00 USD`, "cost.monthlyBudget = 150.00 USD"]);
    expect(budget?.saving).toBe("40.00 USD less this month brings the forecast under 80.0 %");
  });
});

describe("budget hints", () => {
  const q = queriesOf(dev);
  test("forecast at exactly 80 % of the budget (120 of 150) hints; just below (119.99) does not", () => {
    expect(budgetHints({ budget: 150, monthToDate: 10, forecast: 120 }, "USD", q, "dev")).toHaveLength(1);
    expect(budgetHints({ budget: 150, monthToDate: 10, forecast: 119.99 }, "USD", q, "dev")).toEqual([]);
  });

  test("month to date at or over the budget says exceeded (one hint, not also the forecast's)", () => {
    const hints = budgetHints({ budget: 150, monthToDate: 150, forecast: 400 }, "USD", q, "dev");
    expect(hints).toHaveLength(1);
    expect(hints[0]?.advice).toBe(
      "dev has spent 150.00 USD this month, 100.0 % of its budget of 150.00 USD: the budget is exceeded.",
    );
  });

  test("no forecast series: no hint, and the section says the budget cannot be judged", () => {
    expect(budgetHints({ budget: 150 }, "USD", q, "dev")).toEqual([]);
    const section = costSection(results({ environmentHourly: [s({ environment: "dev" }, 0.1)] }), q, dev, 10);
    expect(section.notes.join(" ")).toContain(
      `No month-to-date or forecast series for dev (\`${COST_RECORDS.monthForecast}\`)`,
    );
  });
});

test("no cost series at all (a local demo): one note naming the records and why, no tables, no hints", () => {
  const section = costSection(results(), queriesOf(dev), dev, 10);
  expect(section.tables).toEqual([]);
  expect(section.hints).toEqual([]);
  expect(section.notes).toHaveLength(1);
  expect(section.notes[0]).toContain(COST_RECORDS.workloadHourly);
  expect(section.notes[0]).toContain("kube-state-metrics and cAdvisor");
});
