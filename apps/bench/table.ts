/** A small table rendered as aligned text (stdout) or as Markdown (docs). */
export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  /** Per column: "l" (default for the first column) or "r" (default for the others). */
  align?: ("l" | "r")[];
  notes?: string[];
}

const alignOf = (table: Table, i: number) => table.align?.[i] ?? (i === 0 ? "l" : "r");

export function renderText(table: Table): string {
  const widths = table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (alignOf(table, i) === "l" ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [
    table.title,
    line(table.headers),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...table.rows.map(line),
    ...(table.notes ?? []).map((n) => `  ${n}`),
  ].join("\n");
}

const escapeCell = (c: string) => c.replaceAll("|", "\\|");

export function renderMarkdown(table: Table, headingLevel = 3): string {
  const sep = table.headers.map((_, i) => (alignOf(table, i) === "l" ? ":--" : "--:"));
  return [
    `${"#".repeat(headingLevel)} ${table.title}`,
    "",
    `| ${table.headers.map(escapeCell).join(" | ")} |`,
    `| ${sep.join(" | ")} |`,
    ...table.rows.map((r) => `| ${r.map(escapeCell).join(" | ")} |`),
    ...(table.notes?.length ? ["", ...table.notes] : []),
  ].join("\n");
}
