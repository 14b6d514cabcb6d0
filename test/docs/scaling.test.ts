import { readFileSync } from "node:fs";
import path from "node:path";
import { replaceSection, sectionOf } from "../../apps/docs/sections";
import { TIERS, tierTable } from "../../infra/capacity/tiers";
import { repoRoot } from "../../infra/charts/values-files";
import { ENVIRONMENTS } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";

const stacks = ENVIRONMENTS.map((stack) => ({ stack, config: loadStackConfig(stack) }));
const doc = readFileSync(path.join(repoRoot(), "docs/scaling.md"), "utf8");

describe("docs/scaling.md", () => {
  test("the tier-capacity table equals what tierCapacity computes from the three stack files now", () => {
    // Stale: rewrite the section between the tier-capacity markers with tierTable (infra/capacity/tiers.ts).
    expect(sectionOf(doc, "tier-capacity", "docs/scaling.md")).toBe(tierTable(stacks).trim());
  });

  test("the table has one row per tier and one column per stack, each cell with its verdict", () => {
    const lines = tierTable(stacks).split("\n");
    expect(lines[0]).toBe("| tier | dev (single) | staging (single) | prod (distributed) |");
    expect(lines.slice(2).map((l) => l.split("|")[1]?.trim())).toEqual([...TIERS]);
    for (const line of lines.slice(2)) expect(line.match(/: (ok|no-headroom|undersized) \|/g)).toHaveLength(3);
  });

  test("a changed stack file makes the section stale", () => {
    const edited = replaceSection(doc, "tier-capacity", tierTable(stacks.slice(0, 2)));
    expect(sectionOf(edited, "tier-capacity")).not.toBe(tierTable(stacks).trim());
  });
});
