import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describeFault, formatDuration, formatShare, runsLocally } from "../../apps/chaos/describe";
import { EXIT } from "../../apps/chaos/main";
import { USAGE } from "../../apps/chaos/options";
import { catalogueTable, chaosSections } from "../../apps/docs/chaos-catalogue";
import { REGENERATE_COMMAND, replaceSection, staleSections } from "../../apps/docs/sections";
import { CATALOGUE } from "../../infra/chaos/catalogue";
import { type Fault, LOCAL_FAULTS } from "../../infra/chaos/experiments";
import { repoRoot } from "../../infra/charts/values-files";
import { tableRows } from "./markdown";

const ROOT = repoRoot();
const read = (relative: string) => readFileSync(path.join(ROOT, relative), "utf8");
const doc = read("docs/chaos.md");

describe("the generated catalogue in docs/chaos.md", () => {
  test("equals what infra/chaos/catalogue.ts generates now", () => {
    // On failure: the section is stale, and the line names the command that rewrites it.
    expect(staleSections(doc, chaosSections(CATALOGUE), "docs/chaos.md")).toEqual([]);
  });

  test("a changed catalogue makes the section stale, naming the command that regenerates it", () => {
    const shorter = CATALOGUE.map((e, i) => (i === 0 ? { ...e, durationSeconds: e.durationSeconds + 60 } : e));
    expect(staleSections(doc, chaosSections(shorter), "docs/chaos.md")).toEqual([
      `docs/chaos.md: the catalogue section is out of date; run \`${REGENERATE_COMMAND}\` and commit the result`,
    ]);
    const rewritten = replaceSection(doc, "catalogue", catalogueTable(shorter));
    expect(staleSections(rewritten, chaosSections(shorter), "docs/chaos.md")).toEqual([]);
  });

  test("one row per experiment: its target, fault, duration, where it runs, the alerts that must and must not fire, and its limits", () => {
    const rows = tableRows(catalogueTable(CATALOGUE));
    expect(rows).toHaveLength(CATALOGUE.length);
    CATALOGUE.forEach((e, i) => {
      const [name, target, fault = "", duration, runs = "", mustFire = "", mustNotFire, recover, budget] =
        rows[i] ?? [];
      const h = e.hypothesis;
      expect([name, target, duration, recover]).toEqual([
        `\`${e.name}\``,
        e.target,
        formatDuration(e.durationSeconds),
        `${h.maxRecoverSeconds} s`,
      ]);
      expect(fault.startsWith(describeFault(e.fault))).toBe(true);
      expect(runs.startsWith(runsLocally(e.fault) ? "local, cluster" : "cluster")).toBe(true);
      expect(runs.includes(e.schedule ?? "scheduled")).toBe(e.schedule !== undefined);
      for (const a of h.mustFire) expect(mustFire).toContain(`\`${a.alertname}{`);
      expect(mustFire.endsWith(h.mustFire.length ? `within ${h.maxDetectSeconds} s` : "none")).toBe(true);
      for (const a of h.mustNotFire) expect(mustNotFire).toContain(`\`${a.alertname}{`);
      expect(budget).toBe(`${formatShare(h.maxBudgetConsumed)} (${h.sliServices.join(", ")})`);
    });
  });

  test("each experiment's description follows the table", () => {
    for (const e of CATALOGUE) expect(catalogueTable(CATALOGUE)).toContain(`- \`${e.name}\`: ${e.description}.`);
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
  test("covers writing an experiment, the catalogue, local and cluster game days, the report, the dashboard and cleanup", () => {
    expect(doc.match(/^## .+$/gm)).toEqual([
      "## Writing an experiment",
      "## The catalogue",
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
