// Reading the generated Alloy configuration back, for tests: blocks by brace matching, attributes and map
// keys by their syntax. Enough for the pipeline we generate, not a general Alloy parser.

/** The body of the first block whose header is `header` (e.g. `stage.drop`, `loki.process "json_lines"`). */
export function alloyBlock(text: string, header: string): string {
  const start = text.indexOf(`${header} {`);
  if (start === -1) throw new Error(`no block ${header}`);
  let depth = 0;
  for (let i = text.indexOf("{", start); i < text.length; i++) {
    if (text[i] === "{") depth++;
    if (text[i] === "}" && --depth === 0) return text.slice(text.indexOf("{", start) + 1, i);
  }
  throw new Error(`block ${header} is not closed`);
}

/** A string attribute `name = "value"` of a block body (Alloy strings are JSON-compatible here). */
export function alloyString(body: string, name: string): string {
  const m = new RegExp(`^\\s*${name}\\s*=\\s*("(?:[^"\\\\]|\\\\.)*")`, "m").exec(body);
  if (!m) throw new Error(`no attribute ${name}`);
  return JSON.parse(m[1] as string) as string;
}

/** Keys and values of a map attribute `name = { key = "value", ... }` of a block body. */
export function alloyMap(body: string, name: string): Record<string, string> {
  const m = new RegExp(`${name}\\s*=\\s*\\{([^}]*)\\}`).exec(body);
  if (!m) throw new Error(`no map ${name}`);
  const entries = [...(m[1] as string).matchAll(/([A-Za-z_][\w]*)\s*=\s*("(?:[^"\\]|\\.)*")/g)];
  return Object.fromEntries(entries.map((e) => [e[1], JSON.parse(e[2] as string)]));
}

/** Every label an entry can carry when it reaches Loki: relabelled targets, stage.labels, external labels. */
export function alloyLokiLabels(text: string): string[] {
  const targets = [...text.matchAll(/target_label\s*=\s*"([^"]+)"/g)].map((m) => m[1] as string);
  const lines = Object.keys(alloyMap(alloyBlock(text, "stage.labels"), "values"));
  const external = Object.keys(alloyMap(alloyBlock(text, 'loki.write "loki"'), "external_labels"));
  return [...new Set([...targets, ...lines, ...external])].sort();
}
