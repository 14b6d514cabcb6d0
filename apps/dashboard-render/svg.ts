/**
 * A Grafana dashboard JSON model drawn as SVG for review: the title, the template variables, the layout
 * problems if any, and each panel as a card in the grid (type, title, unit, thresholds, queries, marks, a
 * sketch). Everything from the model is escaped; the output depends on the model only.
 */
import { CHART_CONFIG } from "../bench/plots";
import { dashboardVariables, type PanelFacts, panelFacts, type ThresholdChip } from "./facts";
import { COLUMN_PX, GRID_COLUMNS, type LayoutBox, layoutDashboard } from "./layout";
import { type Json, lookup, optionalString } from "./model";
import { type Area, OTHER_COLOR, sketch, TYPE_COLORS } from "./sketches";
import { escapeXml, textWidth, truncate } from "./text";

const PAD = 16;
const GAP = 6; // between cards
const INSET = 8; // inside a card
export const SVG_WIDTH = GRID_COLUMNS * COLUMN_PX + 2 * PAD;
const CONTENT = SVG_WIDTH - 2 * PAD;

const INK = "#1F2328";
const GREY = "#57606A";
const BORDER = "#D0D7DE";
const PAGE = "#F4F5F7";
const PROBLEM = "#CF222E";

interface Text {
  x: number;
  y: number;
  size: number;
  text: string;
  fill?: string;
  bold?: boolean;
  anchor?: "end" | "middle";
  cls?: string;
}
const text = (t: Text) =>
  `<text x="${t.x}" y="${t.y}" font-size="${t.size}"${t.bold ? ' font-weight="bold"' : ""}${
    t.anchor ? ` text-anchor="${t.anchor}"` : ""
  }${t.cls ? ` class="${t.cls}"` : ""} fill="${t.fill ?? INK}">${escapeXml(t.text)}</text>`;

/** Dark text on light fills, white on dark ones (relative luminance of a hex colour; others count as light). */
function textOn(fill: string): string {
  const hex = /^#([0-9a-f]{6}|[0-9a-f]{3})(?:[0-9a-f]{2})?$/i.exec(fill)?.[1];
  if (!hex) return INK;
  const full = hex.length === 3 ? [...hex].map((c) => c + c).join("") : hex;
  const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(full.slice(i, i + 2), 16) / 255) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.55 ? INK : "#FFFFFF";
}

interface Chip {
  label: string;
  fill: string;
  stroke?: string;
  dashed?: boolean;
}

/** Chips left to right, wrapping inside `width`; returns the SVG and the y below the last line. */
function chips(list: Chip[], x: number, y: number, width: number, size: number): { svg: string; bottom: number } {
  const h = Math.round(size * 1.5);
  const out: string[] = [];
  let cx = x;
  let cy = y;
  for (const chip of list) {
    const label = truncate(chip.label, width - 10, size);
    const w = Math.ceil(textWidth(label, size)) + 10;
    if (cx > x && cx + w > x + width) {
      cx = x;
      cy += h + 4;
    }
    const stroke = chip.stroke ? ` stroke="${chip.stroke}"${chip.dashed ? ' stroke-dasharray="3 2"' : ""}` : "";
    out.push(`<rect x="${cx}" y="${cy}" width="${w}" height="${h}" rx="3" fill="${chip.fill}"${stroke}/>`);
    out.push(
      text({ x: cx + 5, y: cy + Math.round(size * 1.1), size, text: label, fill: textOn(chip.fill), cls: "chip" }),
    );
    cx += w + 4;
  }
  return { svg: out.join(""), bottom: list.length === 0 ? y : cy + h };
}

const thresholdChip = (t: ThresholdChip): Chip =>
  t.color === "none"
    ? { label: t.label, fill: "#FFFFFF", stroke: "#8C959F", dashed: true }
    : { label: t.label, fill: t.color };

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** What the card says after the type label: unit, queries and their datasources, exemplars, links. */
function metaParts(f: PanelFacts): string[] {
  const sources = f.datasources.length ? ` (${f.datasources.join(", ")})` : "";
  const parts = [f.unit ? `unit ${f.unit}` : "no unit", plural(f.queries, "query", "queries") + sources];
  if (f.exemplars) parts.push("◆ exemplars");
  if (f.links > 0) parts.push(plural(f.links, "link", "links"));
  return parts;
}

/**
 * Parts joined by " · " into at most `widths.length` lines, line i at most widths[i] px wide; a part that
 * does not fit starts the next line, and what does not fit the last line is cut with "…".
 */
export function flowParts(parts: string[], widths: number[], size: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const part of parts) {
    const joined = line ? `${line} · ${part}` : part;
    const width = widths[lines.length] ?? 0;
    if (!line || textWidth(joined, size) <= width || lines.length === widths.length - 1) {
      line = joined;
      continue;
    }
    lines.push(line);
    line = part;
  }
  if (line) lines.push(line);
  return lines.map((l, i) => truncate(l, widths[i] ?? 0, size));
}

function card(box: LayoutBox, top: number): string {
  const f = panelFacts(box.panel, box.path);
  const x = PAD + box.px.x + GAP / 2;
  const y = top + box.px.y + GAP / 2;
  const w = box.px.w - GAP;
  const h = box.px.h - GAP;
  const inner = w - 2 * INSET;
  const color = lookup(TYPE_COLORS, f.type) ?? OTHER_COLOR;
  // the full title as a tooltip: the visible one may be cut to the card
  const out = [`<g><title>${escapeXml(f.title)}</title>`];
  out.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="4" fill="#FFFFFF" stroke="${BORDER}"/>`);
  out.push(
    text({ x: x + INSET, y: y + 18, size: 13, bold: true, text: truncate(f.title, inner, 13, true), cls: "title" }),
  );
  const bottom = y + h - INSET;
  let next = y + 28; // below the title
  if (bottom >= y + 40) {
    const typeLabel = truncate(f.type, inner - 10, 10, true);
    const badge = Math.ceil(textWidth(typeLabel, 10, true)) + 10;
    out.push(`<rect x="${x + INSET}" y="${y + 25}" width="${badge}" height="15" rx="3" fill="${color}"/>`);
    out.push(
      text({ x: x + INSET + 5, y: y + 36, size: 10, bold: true, text: typeLabel, fill: "#FFFFFF", cls: "type" }),
    );
    const metaX = x + INSET + badge + 6;
    const room = bottom >= y + 70 ? [x + w - INSET - metaX, inner] : [x + w - INSET - metaX];
    flowParts(metaParts(f), room, 11).forEach((line, i) => {
      next = y + 46 + i * 14;
      out.push(text({ x: i === 0 ? metaX : x + INSET, y: y + 36 + i * 14, size: 11, fill: GREY, text: line }));
    });
  }
  if (f.thresholds.length > 0 && bottom >= next + 15) {
    const row = chips(f.thresholds.map(thresholdChip), x + INSET, next, inner, 10);
    out.push(row.svg);
    next = row.bottom + 6;
  }
  const area: Area = { x: x + INSET, y: next, w: inner, h: bottom - next };
  if (area.h >= 14) out.push(sketch(area, f));
  out.push("</g>");
  return out.join("");
}

function rowBar(box: LayoutBox, top: number): string {
  const title = optionalString(box.panel.title, `${box.path}.title`) ?? "";
  const y = top + box.px.y + GAP / 2;
  const h = box.px.h - GAP;
  const label = box.collapsed
    ? `▸ ${title}  (collapsed in Grafana; its ${plural(box.nested, "panel", "panels")} drawn expanded)`
    : `▾ ${title}`;
  return [
    `<g><title>${escapeXml(title)}</title>`,
    `<rect x="${PAD + box.px.x}" y="${y}" width="${box.px.w}" height="${h}" rx="3" fill="#E4E7EB"/>`,
    text({
      x: PAD + box.px.x + INSET,
      y: y + h / 2 + 5,
      size: 13,
      bold: true,
      text: truncate(label, box.px.w - 2 * INSET, 13, true),
      cls: "row",
    }),
    "</g>",
  ].join("");
}

/** The whole dashboard as one SVG document (width SVG_WIDTH, height as the grid needs). */
export function dashboardSvg(json: Json): string {
  const layout = layoutDashboard(json);
  const title = optionalString(json.title, "title") ?? "(untitled dashboard)";
  const uid = optionalString(json.uid, "uid") ?? "(no uid)";
  const panels = layout.boxes.filter((b) => b.kind === "panel").length;
  const right = `uid ${uid} · ${plural(panels, "panel", "panels")}`;
  const body: string[] = [
    text({ x: SVG_WIDTH - PAD, y: PAD + 20, size: 12, fill: GREY, anchor: "end", text: right }),
    text({
      x: PAD,
      y: PAD + 20,
      size: 20,
      bold: true,
      text: truncate(title, CONTENT - textWidth(right, 12) - 16, 20, true),
      cls: "dashboard",
    }),
  ];
  const variables = dashboardVariables(json).map((v) => ({
    label: `${v.name} = ${v.value}`,
    fill: "#FFFFFF",
    stroke: BORDER,
  }));
  const vars = chips(variables, PAD, PAD + 32, CONTENT, 12);
  body.push(vars.svg);
  let top = vars.bottom + 10;
  if (layout.problems.length > 0) {
    const lines = [`Layout problems (${layout.problems.length}):`, ...layout.problems];
    const h = lines.length * 16 + 8;
    body.push(
      `<rect x="${PAD}" y="${top}" width="${CONTENT}" height="${h}" rx="3" fill="#FFEBE9" stroke="${PROBLEM}"/>`,
    );
    lines.forEach((line, i) => {
      const y = top + 17 + i * 16;
      body.push(
        text({
          x: PAD + INSET,
          y,
          size: 12,
          fill: PROBLEM,
          bold: i === 0,
          text: truncate(line, CONTENT - 16, 12, i === 0),
        }),
      );
    });
    top += h + 10;
  }
  for (const box of layout.boxes) body.push(box.kind === "row" ? rowBar(box, top) : card(box, top));
  const height = top + layout.heightPx + PAD;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SVG_WIDTH}" height="${height}" viewBox="0 0 ${SVG_WIDTH} ${height}" font-family="${escapeXml(CHART_CONFIG.font)}">`,
    `<rect width="${SVG_WIDTH}" height="${height}" fill="${PAGE}"/>`,
    ...body,
    "</svg>\n",
  ].join("\n");
}
