/** Text in SVG without a font engine: XML escaping and a width estimate good enough to truncate titles. */

const XML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/** Text safe inside an element or a double- or single-quoted attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

// Advance widths of DejaVu Sans in em by character class, measured with resvg and rounded up; no bold
// character is more than 19 % wider than its class.
const WIDTH_CLASSES: readonly (readonly [RegExp, number])[] = [
  [/[ ilIjJ.,']/, 0.32],
  [/[:;/\\|()[\]!tfr-]/, 0.42],
  [/[*_`?szc"]/, 0.55],
  [/[abdeghknopquvxy0-9${}EFLPSTY]/, 0.64],
  [/[ABCDGHKNOQRUVXZ&]/, 0.79],
  [/[#+<=>^~w]/, 0.86],
];
const OTHER_EM = 1; // %, @, m, M, W and the symbols outside ASCII the cards use (…, ▸, ·, ◆)

/** Estimated width in px of `text` in DejaVu Sans at `fontPx`; never less than what resvg draws for ASCII. */
export function textWidth(text: string, fontPx: number, bold = false): number {
  let em = 0;
  for (const c of text) em += WIDTH_CLASSES.find(([re]) => re.test(c))?.[1] ?? OTHER_EM;
  return em * fontPx * (bold ? 1.19 : 1);
}

/** `text`, or its longest prefix that fits `maxPx` with "…" appended; "" when not even "…" fits. */
export function truncate(text: string, maxPx: number, fontPx: number, bold = false): string {
  if (textWidth(text, fontPx, bold) <= maxPx) return text;
  const chars = [...text];
  for (let n = chars.length - 1; n > 0; n--) {
    const shorter = `${chars.slice(0, n).join("").trimEnd()}…`;
    if (textWidth(shorter, fontPx, bold) <= maxPx) return shorter;
  }
  return textWidth("…", fontPx, bold) <= maxPx ? "…" : "";
}
