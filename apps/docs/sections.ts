/**
 * Generated sections inside hand-written markdown: the text between `<!-- <name>:begin -->` and
 * `<!-- <name>:end -->` belongs to a generator; everything around it is left as it is.
 */

/** The command that rewrites the generated sections of docs/operations.md (package.json). */
export const REGENERATE_COMMAND = "npm run docs:playbook";

export const beginMarker = (name: string) => `<!-- ${name}:begin -->`;
export const endMarker = (name: string) => `<!-- ${name}:end -->`;

/** Where a section's body starts and ends; an error names the document and the missing or repeated marker. */
function bounds(text: string, name: string, document: string): { from: number; to: number } {
  const begin = beginMarker(name);
  const end = endMarker(name);
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0) throw new Error(`${document}: marker ${begin} not found`);
  if (to < 0) throw new Error(`${document}: marker ${end} not found`);
  if (text.indexOf(begin, from + 1) >= 0 || text.indexOf(end, to + 1) >= 0) {
    throw new Error(`${document}: the ${name} markers appear more than once`);
  }
  if (to < from) throw new Error(`${document}: ${end} comes before ${begin}`);
  return { from: from + begin.length, to };
}

/** The body of a generated section, without the blank lines around it. */
export function sectionOf(text: string, name: string, document = "document"): string {
  const { from, to } = bounds(text, name, document);
  return text.slice(from, to).trim();
}

/** The text with the section's body replaced (one blank line inside each marker). */
export function replaceSection(text: string, name: string, body: string, document = "document"): string {
  const { from, to } = bounds(text, name, document);
  return `${text.slice(0, from)}\n\n${body.trim()}\n\n${text.slice(to)}`;
}

/** One line per generated section whose body differs from what its generator produces now. */
export function staleSections(text: string, sections: Record<string, string>, document = "document"): string[] {
  return Object.entries(sections)
    .filter(([name, body]) => sectionOf(text, name, document) !== body.trim())
    .map(
      ([name]) =>
        `${document}: the ${name} section is out of date; run \`${REGENERATE_COMMAND}\` and commit the result`,
    );
}
