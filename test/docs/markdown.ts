/** Markdown table rows as trimmed cells (header and separator dropped; escaped pipes kept in their cell). */
export const tableRows = (table: string) =>
  table
    .split("\n")
    .filter((l) => l.startsWith("|"))
    .slice(2)
    .map((l) =>
      l
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => c.trim()),
    );
