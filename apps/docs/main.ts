import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { operationsSections } from "../../infra/alerting/playbook-table";
import { tierTable } from "../../infra/capacity/tiers";
import { CATALOGUE } from "../../infra/chaos/catalogue";
import { repoRoot } from "../../infra/charts/values-files";
import { ENVIRONMENTS } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { chaosSections } from "./chaos-catalogue";
import { replaceSection, staleSections } from "./sections";

/** Each document with generated sections, and what generates them. */
const DOCUMENTS: { document: string; sections: () => Record<string, string> }[] = [
  // the playbook from the alert rules, the responder's settings from the stack files
  { document: "docs/operations.md", sections: () => operationsSections(ENVIRONMENTS.map((s) => loadStackConfig(s))) },
  // the experiment catalogue with each hypothesis, and the limits each stack's objectives plan for it
  {
    document: "docs/chaos.md",
    sections: () =>
      chaosSections(
        CATALOGUE,
        ENVIRONMENTS.map((stack) => ({ stack, config: loadStackConfig(stack) })),
      ),
  },
  // each distributed tier's capacity against each stack's load
  {
    document: "docs/scaling.md",
    sections: () => ({
      "tier-capacity": tierTable(ENVIRONMENTS.map((stack) => ({ stack, config: loadStackConfig(stack) }))),
    }),
  },
];

/**
 * `npm run docs:playbook [-- --check]`: rewrites the generated sections of docs/operations.md,
 * docs/chaos.md and docs/scaling.md; `--check` only says whether they are current (exit 1 when not).
 */
function main(argv: string[]): number {
  const unknown = argv.filter((a) => a !== "--check");
  if (unknown.length) throw new Error(`unknown argument ${unknown.join(" ")}; usage: docs:playbook [-- --check]`);
  let stale = 0;
  for (const { document, sections: generate } of DOCUMENTS) {
    const file = path.join(repoRoot(), document);
    const text = readFileSync(file, "utf8");
    const sections = generate();
    const lines = staleSections(text, sections, document);
    stale += lines.length;
    if (argv.includes("--check")) {
      process.stdout.write(lines.length ? `${lines.join("\n")}\n` : `${document} is current\n`);
      continue;
    }
    const updated = Object.entries(sections).reduce((t, [name, body]) => replaceSection(t, name, body, document), text);
    if (updated !== text) writeFileSync(file, updated);
    process.stdout.write(`${document}: ${lines.length ? `rewrote ${lines.length} section(s)` : "already current"}\n`);
  }
  return argv.includes("--check") && stale > 0 ? 1 : 0;
}

try {
  process.exit(main(process.argv.slice(2)));
} catch (err) {
  process.stderr.write(`docs:playbook: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
