import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { operationsSections } from "../../infra/alerting/playbook-table";
import { repoRoot } from "../../infra/charts/values-files";
import { ENVIRONMENTS } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { replaceSection, staleSections } from "./sections";

/**
 * `npm run docs:playbook [-- --check]`: rewrites the generated sections of docs/operations.md (the playbook
 * from the alert rules, the responder's settings from the stack files); `--check` only says whether they
 * are current (exit 1 when not).
 */
function main(argv: string[]): number {
  const unknown = argv.filter((a) => a !== "--check");
  if (unknown.length) throw new Error(`unknown argument ${unknown.join(" ")}; usage: docs:playbook [-- --check]`);
  const document = "docs/operations.md";
  const file = path.join(repoRoot(), document);
  const text = readFileSync(file, "utf8");
  const sections = operationsSections(ENVIRONMENTS.map((stack) => loadStackConfig(stack)));
  const stale = staleSections(text, sections, document);
  if (argv.includes("--check")) {
    process.stdout.write(stale.length ? `${stale.join("\n")}\n` : `${document} is current\n`);
    return stale.length ? 1 : 0;
  }
  const updated = Object.entries(sections).reduce((t, [name, body]) => replaceSection(t, name, body, document), text);
  if (updated !== text) writeFileSync(file, updated);
  process.stdout.write(`${document}: ${stale.length ? `rewrote ${stale.length} section(s)` : "already current"}\n`);
  return 0;
}

try {
  process.exit(main(process.argv.slice(2)));
} catch (err) {
  process.stderr.write(`docs:playbook: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
