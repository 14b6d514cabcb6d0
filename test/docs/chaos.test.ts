import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { alertLabel, describeFault, formatDuration, formatShare, runsLocally } from "../../apps/chaos/describe";
import { EXIT } from "../../apps/chaos/main";
import { USAGE } from "../../apps/chaos/options";
import {
  catalogueTable,
  chaosSections,
  limitsTable,
  planEach,
  planStacks,
  type StackInput,
  span,
  WORKED_EXAMPLE,
} from "../../apps/docs/chaos-catalogue";
import { REGENERATE_COMMAND, replaceSection, sectionOf, staleSections } from "../../apps/docs/sections";
import { BURN_RATE_ALERTS } from "../../infra/alerting/slos";
import { CATALOGUE } from "../../infra/chaos/catalogue";
import { type Experiment, type Fault, isBurnDefinition, LOCAL_FAULTS } from "../../infra/chaos/experiments";
import { burnAlerts, burnPairs, PlanError, PREMISE_TOLERANCE, stackPlan } from "../../infra/chaos/plan";
import { repoRoot } from "../../infra/charts/values-files";
import { ENVIRONMENTS } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { tableRows } from "./markdown";

const ROOT = repoRoot();
const read = (relative: string) => readFileSync(path.join(ROOT, relative), "utf8");
const doc = read("docs/chaos.md");
const STACKS: StackInput[] = ENVIRONMENTS.map((stack) => ({ stack, config: loadStackConfig(stack) }));
const stackInput = (stack: string) => STACKS.find((s) => s.stack === stack) as StackInput;

/** The Markdown table that follows the line starting with `lead` (up to the first line that is not a row). */
function tableAfter(text: string, lead: string): string {
  const lines = text.split("\n");
  const from = lines.findIndex((l) => l.startsWith(lead));
  if (from < 0) throw new Error(`no line starting with ${lead}`);
  const first = lines.findIndex((l, i) => i > from && l.startsWith("|"));
  const rows = lines.slice(first);
  const last = rows.findIndex((l) => !l.startsWith("|"));
  return rows.slice(0, last < 0 ? undefined : last).join("\n");
}

describe("the generated sections of docs/chaos.md", () => {
  const staleLine = (name: string) =>
    `docs/chaos.md: the ${name} section is out of date; run \`${REGENERATE_COMMAND}\` and commit the result`;
  const regenerate = (text: string, sections: Record<string, string>) =>
    Object.entries(sections).reduce((t, [name, body]) => replaceSection(t, name, body), text);
  // the document as the generator writes it now: the staleness checks below hold even while docs/chaos.md lags
  const current = regenerate(doc, chaosSections(CATALOGUE, STACKS));

  test("equal what the catalogue and the three stack files generate now", () => {
    // On failure: a section is stale, and the line names the command that rewrites it.
    expect(staleSections(doc, chaosSections(CATALOGUE, STACKS), "docs/chaos.md")).toEqual([]);
  });

  test("a changed plan (dev scraping every 30s instead) makes the catalogue and the worked example stale, and regenerating fixes it", () => {
    const dev = stackInput("dev");
    const slower = STACKS.map((s) =>
      s === dev
        ? { ...s, config: { ...s.config, metrics: { ...s.config.metrics, scrapeInterval: "30s" as const } } }
        : s,
    );
    const sections = chaosSections(CATALOGUE, slower);
    expect(staleSections(current, sections, "docs/chaos.md")).toEqual([
      staleLine("catalogue"),
      staleLine("worked-example"),
    ]);
    expect(staleSections(regenerate(current, sections), sections, "docs/chaos.md")).toEqual([]);
  });

  test("a changed premise of another experiment makes only the catalogue stale", () => {
    const changed = CATALOGUE.map((d) =>
      d.burn && d.name === "order-checkout-outage" ? { ...d, burn: { ...d.burn, badRatio: 0.9 } } : d,
    );
    expect(staleSections(current, chaosSections(changed, STACKS), "docs/chaos.md")).toEqual([staleLine("catalogue")]);
  });
});

describe("the catalogue table", () => {
  const rows = tableRows(catalogueTable(CATALOGUE, planStacks(CATALOGUE, STACKS)));
  const plans = STACKS.map((s) => stackPlan(s.config));

  test("one row per experiment: name, target, fault, where it runs, its premise and the SLIs it watches", () => {
    expect(rows).toHaveLength(CATALOGUE.length);
    CATALOGUE.forEach((d, i) => {
      const [name, target, fault = "", runs = "", premise = "", , , , slis] = rows[i] ?? [];
      expect([name, target, slis]).toEqual([`\`${d.name}\``, d.target, d.hypothesis.sliServices.join(", ")]);
      expect(fault.startsWith(describeFault(d.fault))).toBe(true);
      expect(runs.startsWith(runsLocally(d.fault) ? "local, cluster" : "cluster")).toBe(true);
      expect(runs.includes(d.schedule ?? "scheduled")).toBe(d.schedule !== undefined);
      const expected = d.burn
        ? `≥ ${formatShare(d.burn.badRatio)} of ${d.burn.service}'s requests ${d.burn.slo === "availability" ? "failing" : "slow"}`
        : "— (limits written in the catalogue)";
      expect(premise).toBe(expected);
    });
  });

  test("its alert columns list what every stack's plan expects to fire, stay silent and be inhibited", () => {
    const listed = (cell: string | undefined) =>
      cell === "—" ? [] : (cell ?? "").split(", ").map((c) => c.replaceAll("`", ""));
    const union = (
      i: number,
      pick: (e: Experiment) => { alertname: string; labels: Record<string, string> }[] | undefined,
    ) => [...new Set(plans.flatMap((p) => (p[i] ? (pick(p[i]) ?? []).map(alertLabel) : [])))];
    CATALOGUE.forEach((_, i) => {
      const [, , , , , mustFire, mustNotFire, inhibited] = rows[i] ?? [];
      expect(listed(mustFire)).toEqual(union(i, (e) => e.hypothesis.mustFire));
      expect(listed(mustNotFire)).toEqual(union(i, (e) => e.hypothesis.mustNotFire));
      expect(listed(inhibited)).toEqual(union(i, (e) => e.hypothesis.mustBeInhibited));
    });
  });

  test("an alert expected on some stacks only is marked with those stacks", () => {
    const i = CATALOGUE.findIndex((d) => d.name === WORKED_EXAMPLE.experiment);
    const premise = CATALOGUE[i]?.burn;
    if (!premise) throw new Error("the worked example has no burn premise");
    const { ticket } = burnAlerts(premise);
    // the first stack as a young Prometheus plans it (the ticket inhibited), the others as warm ones (silent)
    const withTicket = (e: Experiment, young: boolean): Experiment => ({
      ...e,
      hypothesis: { ...e.hypothesis, mustNotFire: young ? [] : [ticket], mustBeInhibited: young ? [ticket] : [] },
    });
    const mixed = planStacks(CATALOGUE, STACKS).map((s, n) => ({
      ...s,
      plans: s.plans.map((p, k) => (k === i ? withTicket(p as Experiment, n === 0) : p)),
    }));
    const [, , , , , , mustNotFire, inhibited] = tableRows(catalogueTable(CATALOGUE, mixed))[i] ?? [];
    const [young, ...warm] = STACKS.map((s) => s.stack);
    const label = `\`${alertLabel(ticket)}\``;
    expect([mustNotFire, inhibited]).toEqual([`${label} (${warm.join(", ")})`, `${label} (${young})`]);
  });

  test("each experiment's description follows the table", () => {
    const section = sectionOf(doc, "catalogue");
    for (const d of CATALOGUE) expect(section).toContain(`- \`${d.name}\`: ${d.description}.`);
  });
});

describe("each stack's limits in docs/chaos.md", () => {
  test.each(ENVIRONMENTS)(
    "the %s table: fault length, first page pair and every limit as stackPlan plans them for a warm stack",
    (stack) => {
      const rows = tableRows(tableAfter(sectionOf(doc, "catalogue"), `**${stack}**`));
      const expected = stackPlan(stackInput(stack).config).map((e) => [
        `\`${e.name}\``,
        span(e.durationSeconds),
        e.plan?.firstPage ?? "—",
        e.hypothesis.mustFire.length ? span(e.hypothesis.maxDetectSeconds) : "—",
        span(e.hypothesis.maxRecoverSeconds),
        `${formatShare(e.hypothesis.maxBudgetConsumed)} (${e.hypothesis.budgetSlo ?? "availability"})`,
      ]);
      expect(rows).toEqual(expected);
    },
  );

  test("every burn experiment's row on dev differs from prod's: the limits follow the stack's objectives", () => {
    const [dev, prod] = ["dev", "prod"].map((s) => tableRows(tableAfter(sectionOf(doc, "catalogue"), `**${s}**`)));
    const burnRows = CATALOGUE.flatMap((d, i) => (isBurnDefinition(d) && d.burn.slo === "availability" ? [i] : []));
    expect(burnRows.length).toBeGreaterThan(0);
    for (const i of burnRows) expect(dev?.[i]).not.toEqual(prod?.[i]);
  });

  test('a premise below every page threshold of a stack reads "never pages" there instead of failing the document', () => {
    const base = CATALOGUE.find((d) => d.name === WORKED_EXAMPLE.experiment);
    if (!base?.burn) throw new Error("the worked example has no burn premise");
    // 5 % failing: under dev's 14.4 % and 6 % page thresholds, over staging's 3 % (6h/30m)
    const weak = { ...base, name: "weak-errors", burn: { ...base.burn, badRatio: 0.05 } };
    const [dev, staging] = ["dev", "staging"].map((s) => planEach([weak], stackInput(s).config)[0]);
    expect(dev).toBeInstanceOf(PlanError);
    expect(staging).not.toBeInstanceOf(PlanError);
    expect(tableRows(limitsTable([weak], [dev as PlanError]))).toEqual([
      ["`weak-errors`", ...Array(5).fill("never pages")],
    ]);
    expect(tableRows(limitsTable([weak], [staging as Experiment]))[0]?.[2]).toBe("6h/30m");
  });

  test("durations keep every second: hours, minutes and seconds as needed", () => {
    expect([span(0), span(45), span(60), span(1410), span(3600), span(13070)]).toEqual([
      "0 s",
      "45 s",
      "1 min",
      "23 min 30 s",
      "1 h",
      "3 h 37 min 50 s",
    ]);
  });
});

describe("how the limits are planned, in docs/chaos.md", () => {
  test("the burn-rate pairs table states each pair's threshold per stack as factor × (1 − objective)", () => {
    const rows = tableRows(sectionOf(doc, "burn-pairs"));
    expect(rows.map((r) => r.slice(0, 3))).toEqual(
      BURN_RATE_ALERTS.map((a) => [`${a.longWindow}/${a.shortWindow}`, a.severity, formatShare(a.budgetSpent)]),
    );
    BURN_RATE_ALERTS.forEach((_, i) => {
      STACKS.forEach(({ config: { slo } }, s) => {
        const [availability = "", latency = ""] = (rows[i]?.[3 + s] ?? "").split("; ");
        for (const [text, kind, objective] of [
          [availability, "availability", slo.availability],
          [latency, "latency", slo.latency],
        ] as const) {
          const [factor = "", share = "", threshold = ""] = text.split(/ × | = /);
          expect(threshold).toBe(formatShare(burnPairs(slo, kind)[i]?.threshold ?? Number.NaN));
          expect(share).toBe(formatShare(1 - objective));
          expect(Number(factor) * (1 - objective)).toBeCloseTo(burnPairs(slo, kind)[i]?.threshold ?? Number.NaN, 9);
        }
      });
    });
  });

  test("the worked example is product-errors' plan for dev, line by line, and the limits it arrives at", () => {
    const plan = stackPlan(stackInput(WORKED_EXAMPLE.stack).config).find((e) => e.name === WORKED_EXAMPLE.experiment);
    if (!plan?.plan) throw new Error("product-errors has no plan on dev");
    const bullets = sectionOf(doc, "worked-example")
      .split("\n")
      .filter((l) => l.startsWith("- "))
      .map((l) => l.slice(2));
    const h = plan.hypothesis;
    expect(bullets).toEqual([
      ...plan.plan.lines,
      `so: must fire within ${h.maxDetectSeconds} s, the fault lasts ${plan.durationSeconds} s, recovered within ${h.maxRecoverSeconds} s, budget at most ${formatShare(h.maxBudgetConsumed)}`,
    ]);
  });

  test("the premise line's tolerance it states is the runner's", () => {
    expect(doc).toContain(`\`PREMISE_TOLERANCE\` (${formatShare(PREMISE_TOLERANCE)})`);
  });
});

describe("describing experiments", () => {
  test("every fault kind says what it does with its own numbers", () => {
    const faults: [Fault, string][] = [
      [{ kind: "pod-kill" }, "pod killed (locally: the process)"],
      [{ kind: "container-kill" }, "container killed in one pod"],
      [
        { kind: "network-delay", towards: "product", latencyMs: 300, jitterMs: 50 },
        "+300 ms (± 50 ms) on packets towards product",
      ],
      [{ kind: "network-loss", towards: "user", lossPercent: 30 }, "30 % of packets towards user lost"],
      [{ kind: "cpu-stress", workers: 2, loadPercent: 80 }, "2 CPU worker(s) at 80 % load"],
      [{ kind: "memory-stress", workers: 1, size: "200MiB" }, "1 memory worker(s) holding 200MiB"],
      [{ kind: "http-errors", errorRate: 0.25, errorStatus: 503 }, "25 % of API requests answered 503"],
      [{ kind: "http-latency", latencyMs: 1500, jitterMs: 100 }, "+1500 ms (± 100 ms) on API requests"],
      [{ kind: "route-outage", route: "/orders/:id" }, "/orders/:id answers 503"],
    ];
    expect(faults.map(([f]) => describeFault(f))).toEqual(faults.map(([, text]) => text));
  });

  test("only the fault API and process kills run locally", () => {
    const kinds = CATALOGUE.map((e) => e.fault);
    expect(kinds.filter(runsLocally).map((f) => f.kind)).toEqual(
      kinds.map((f) => f.kind).filter((k) => LOCAL_FAULTS.includes(k)),
    );
    expect(runsLocally({ kind: "cpu-stress", workers: 1, loadPercent: 10 })).toBe(false);
  });

  test("shares keep three significant digits, durations read as minutes when whole", () => {
    expect([formatShare(0.1), formatShare(0.01234), formatShare(0), formatShare(1)]).toEqual([
      "10 %",
      "1.23 %",
      "0 %",
      "100 %",
    ]);
    expect([formatDuration(180), formatDuration(90), formatDuration(45)]).toEqual(["3 min", "90 s", "45 s"]);
  });
});

describe("docs/chaos.md", () => {
  test("covers writing an experiment, the catalogue, how the limits are planned, local and cluster game days, the report, the dashboard and cleanup", () => {
    expect(doc.match(/^## .+$/gm)).toEqual([
      "## Writing an experiment",
      "## The catalogue",
      "## How the limits are planned",
      "## A game day on your machine",
      "## A game day against a cluster",
      "## Reading the report",
      "## Reading the chaos dashboard",
      "## What the runner guarantees about cleanup",
    ]);
  });

  test("its flag table lists exactly the flags the runner accepts", () => {
    const documented = new Set(
      [...doc.matchAll(/^\| (`--[a-z-]+`(?:, `--[a-z-]+`)*) \|/gm)].flatMap(
        (m) => (m[1] as string).match(/--[a-z-]+/g) ?? [],
      ),
    );
    const accepted = new Set([...USAGE.matchAll(/^\s+(--[a-z-]+)/gm)].map((m) => m[1] as string));
    expect([...documented].sort()).toEqual([...accepted].sort());
    expect(accepted.size).toBeGreaterThan(8);
  });

  test("the exit codes it states are the runner's", () => {
    const sentence = /Exit codes: (.+?)\.\n\n/s.exec(doc)?.[1] ?? "";
    for (const code of Object.values(EXIT)) expect(sentence).toMatch(new RegExp(`(^|, )${code} `));
  });

  test("every npm script it runs exists in package.json", () => {
    const scripts = Object.keys(JSON.parse(read("package.json")).scripts as Record<string, string>);
    const used = [...new Set([...doc.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1] as string))];
    expect(used).toEqual(expect.arrayContaining(["demo", "chaos", "docs:playbook"]));
    expect(used.filter((s) => !scripts.includes(s))).toEqual([]);
  });

  test("every relative link of docs/chaos.md and docs/dashboards.md resolves, and every anchor to a heading", () => {
    const anchorOf = (heading: string) =>
      heading
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replaceAll(" ", "-");
    const broken: string[] = [];
    for (const file of ["docs/chaos.md", "docs/dashboards.md"]) {
      for (const [, link] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(link as string)) continue;
        const [target = "", anchor] = (link as string).split("#");
        const resolved = target ? path.resolve(ROOT, path.dirname(file), target) : path.join(ROOT, file);
        if (!existsSync(resolved)) broken.push(`${file} → ${link}: no such file`);
        else if (anchor !== undefined && resolved.endsWith(".md")) {
          const headings = (readFileSync(resolved, "utf8").match(/^#+ .+$/gm) ?? []).map((h) =>
            anchorOf(h.replace(/^#+ /, "")),
          );
          if (!headings.includes(anchor)) broken.push(`${file} → ${link}: no heading with that anchor`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
