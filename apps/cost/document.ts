/** The report as text for the terminal and as Markdown for out/cost/, from the same sections. */
import { renderMarkdown, renderText } from "../bench/table";
import type { Hint } from "./model";
import type { CostReport } from "./report";

const header = (report: CostReport) => [
  `Stack: ${report.stack} (prices and budget from Pulumi.${report.stack}.yaml)`,
  `Prometheus: ${report.prometheusUrl}`,
  `Generated: ${report.generatedAt}`,
];

const hintLines = (h: Hint, bullet: string, indent: string, code: (s: string) => string) => [
  `${bullet}${h.advice}`,
  ...h.evidence.map((e) => `${indent}Evidence: ${code(e)}`),
  `${indent}Saving: ${h.saving}`,
];

/** Backquotes are Markdown's; the terminal shows the query bare. */
const bare = (s: string) => s.replaceAll("`", "");

export function reportText(report: CostReport): string {
  const out = ["COST REPORT", ...header(report), ""];
  report.sections.forEach((s, k) => {
    out.push(`== ${String.fromCharCode(97 + k)}. ${s.title} ==`, bare(s.intro), "");
    for (const t of s.tables) out.push(renderText({ ...t, rows: t.rows.map((r) => r.map(bare)) }), "");
    for (const n of s.notes) out.push(`note: ${bare(n)}`);
    for (const h of s.hints) out.push(...hintLines(h, "hint: ", "      ", bare).map(bare));
    for (const c of s.code ?? []) out.push("", c.text.trimEnd());
    out.push("");
  });
  return out.join("\n");
}

export function reportMarkdown(report: CostReport): string {
  const out = [`# Cost report: ${report.stack}`, "", ...header(report).map((l) => `- ${l}`), ""];
  out.push("How to read it and what each hint means: [docs/cost.md](../../docs/cost.md#the-cost-report).", "");
  report.sections.forEach((s, k) => {
    out.push(`## ${String.fromCharCode(97 + k)}. ${s.title}`, "", s.intro, "");
    for (const t of s.tables) out.push(renderMarkdown(t, 3), "");
    if (s.notes.length > 0) out.push(...s.notes.map((n) => `- ${n}`), "");
    if (s.hints.length > 0) {
      out.push("### Hints", "");
      for (const h of s.hints) out.push(...hintLines(h, "- ", "  - ", (e) => e), "");
    }
    for (const c of s.code ?? []) out.push(`\`\`\`${c.language}`, c.text.trimEnd(), "```", "");
  });
  return `${out.join("\n").trimEnd()}\n`;
}
