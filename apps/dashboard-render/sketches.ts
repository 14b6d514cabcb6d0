/**
 * A thumbnail of each visualisation type, so the layout reads at a glance. The shapes come from fixed
 * tables, not from data or randomness: the same panel always draws the same bytes.
 */
import type { PanelFacts } from "./facts";
import { lookup } from "./model";
import { escapeXml } from "./text";

export interface Area {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Colour of each type's label and sketch; other types get OTHER_COLOR. */
export const TYPE_COLORS: Readonly<Record<string, string>> = {
  timeseries: "#3871DC",
  stat: "#1A7F37",
  gauge: "#B35900",
  bargauge: "#0E7490",
  heatmap: "#C2410C",
  logs: "#6E40C9",
  table: "#57606A",
  text: "#6B7280",
};
export const OTHER_COLOR = "#24292F";
const LINE_COLORS = ["#3871DC", "#E8743B", "#19A979"];
const MUTED = "#D0D7DE";
const FAINT = "#F6F8FA";
const INK = "#1F2328";

const WAVE = [0.45, 0.52, 0.48, 0.6, 0.72, 0.66, 0.58, 0.63, 0.8, 0.74, 0.55, 0.5, 0.57, 0.68, 0.62, 0.49, 0.41, 0.46];
const HEAT = [0.08, 0.2, 0.35, 0.15, 0.5, 0.28, 0.65, 0.12, 0.42, 0.85, 0.25, 0.55];
const LINE_LENGTHS = [0.92, 0.64, 0.78, 0.45, 0.86, 0.58, 0.71];
const BAR_LENGTHS = [0.92, 0.74, 0.55, 0.38, 0.22];

const n1 = (v: number) => Number(v.toFixed(1));
const rect = (x: number, y: number, w: number, h: number, attrs: string) =>
  `<rect x="${n1(x)}" y="${n1(y)}" width="${n1(w)}" height="${n1(h)}" ${attrs}/>`;

/** One line per query (at most three) over a baseline; exemplars as dots on the first line. */
function timeseries(a: Area, facts: PanelFacts): string {
  const lines = Math.min(Math.max(facts.queries, 1), LINE_COLORS.length);
  const steps = WAVE.length - 1;
  const out = [`<line x1="${a.x}" y1="${a.y + a.h}" x2="${a.x + a.w}" y2="${a.y + a.h}" stroke="${MUTED}"/>`];
  for (let k = 0; k < lines; k++) {
    const points = WAVE.map((_, i) => {
      const v = (WAVE[(i + k * 5) % WAVE.length] ?? 0.5) - k * 0.12;
      return [n1(a.x + (a.w * i) / steps), n1(a.y + a.h * (1 - v))] as const;
    });
    out.push(
      `<polyline points="${points.map(([x, y]) => `${x},${y}`).join(" ")}" fill="none" stroke="${LINE_COLORS[k]}" stroke-width="1.5"/>`,
    );
    if (k === 0 && facts.exemplars) {
      for (const [x, y] of points.filter((_, i) => i % 3 === 1)) {
        out.push(`<circle cx="${x}" cy="${n1(y - 6)}" r="2.5" fill="${INK}"/>`);
      }
    }
  }
  return out.join("");
}

/** The first threshold colour that paints, as Grafana colours a value at the base step. */
const baseColor = (facts: PanelFacts, fallback: string) =>
  facts.thresholds.find((t) => t.color !== "none")?.color ?? fallback;

function stat(a: Area, facts: PanelFacts): string {
  const size = n1(Math.min(a.h * 0.8, 36));
  const y = n1(a.y + a.h / 2 + size * 0.36);
  return `<text x="${n1(a.x + a.w / 2)}" y="${y}" font-size="${size}" font-weight="bold" text-anchor="middle" fill="${baseColor(facts, INK)}">42</text>`;
}

/** A half ring two thirds full. */
function gauge(a: Area, facts: PanelFacts): string {
  const r = n1(Math.max(Math.min(a.w / 2, a.h) - 6, 4));
  const cx = n1(a.x + a.w / 2);
  const cy = n1(a.y + a.h - 2);
  const stroke = `fill="none" stroke-width="${n1(r / 4)}"`;
  const end = `${n1(cx + r / 2)} ${n1(cy - r * 0.866)}`; // 120° of the 180°
  return [
    `<path d="M ${n1(cx - r)} ${cy} A ${r} ${r} 0 0 1 ${n1(cx + r)} ${cy}" stroke="${MUTED}" ${stroke}/>`,
    `<path d="M ${n1(cx - r)} ${cy} A ${r} ${r} 0 0 1 ${end}" stroke="${baseColor(facts, TYPE_COLORS.gauge ?? INK)}" ${stroke}/>`,
  ].join("");
}

function heatmap(a: Area): string {
  const cols = Math.max(1, Math.min(32, Math.floor(a.w / 12)));
  const rows = Math.max(1, Math.min(8, Math.floor(a.h / 8)));
  const cw = a.w / cols;
  const ch = a.h / rows;
  const cells: string[] = [];
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < rows; j++) {
      const opacity = HEAT[(i * 5 + j * 7) % HEAT.length] ?? 0;
      cells.push(
        rect(a.x + i * cw, a.y + j * ch, cw - 1, ch - 1, `fill="${TYPE_COLORS.heatmap}" fill-opacity="${opacity}"`),
      );
    }
  }
  return cells.join("");
}

/** Lines of text: a level mark and a grey bar each. */
function logs(a: Area): string {
  const count = Math.max(1, Math.floor(a.h / 11));
  return Array.from({ length: count }, (_, i) => {
    const y = a.y + i * 11;
    const level = i % 3 === 0 ? "#F2495C" : "#FADE2A";
    const length = (a.w - 8) * (LINE_LENGTHS[i % LINE_LENGTHS.length] ?? 1);
    return rect(a.x, y, 3, 7, `fill="${level}"`) + rect(a.x + 8, y + 1, length, 5, `fill="${MUTED}"`);
  }).join("");
}

/** A header and striped rows in four columns. */
function table(a: Area): string {
  const rows = Math.max(1, Math.floor(a.h / 12));
  const out = [rect(a.x, a.y, a.w, 11, `fill="${MUTED}"`)];
  for (let i = 1; i < rows; i++) {
    if (i % 2 === 0) out.push(rect(a.x, a.y + i * 12, a.w, 11, `fill="${FAINT}"`));
  }
  for (let c = 1; c < 4; c++) {
    const x = n1(a.x + (a.w * c) / 4);
    out.push(`<line x1="${x}" y1="${n1(a.y)}" x2="${x}" y2="${n1(a.y + rows * 12)}" stroke="${MUTED}"/>`);
  }
  return out.join("");
}

/** Horizontal bars, longest first, on grey tracks. */
function bargauge(a: Area): string {
  const count = Math.max(1, Math.min(BAR_LENGTHS.length, Math.floor(a.h / 12)));
  const pitch = a.h / count;
  const bar = Math.min(10, pitch - 3);
  return BAR_LENGTHS.slice(0, count)
    .map(
      (share, i) =>
        rect(a.x, a.y + i * pitch, a.w, bar, `fill="${FAINT}"`) +
        rect(a.x, a.y + i * pitch, a.w * share, bar, `fill="${TYPE_COLORS.bargauge}"`),
    )
    .join("");
}

function unknown(a: Area, facts: PanelFacts): string {
  const label = escapeXml(`no sketch for ${facts.type}`);
  return [
    rect(a.x, a.y, a.w, a.h, `fill="none" stroke="${MUTED}" stroke-dasharray="4 3"`),
    `<text x="${n1(a.x + a.w / 2)}" y="${n1(a.y + a.h / 2 + 4)}" font-size="11" text-anchor="middle" fill="#8C959F">${label}</text>`,
  ].join("");
}

const SKETCHES: Readonly<Record<string, (a: Area, facts: PanelFacts) => string>> = {
  timeseries,
  stat,
  gauge,
  heatmap,
  logs,
  text: logs,
  table,
  bargauge,
};

/** The sketch of the panel's type inside `area` (an unknown type: a dashed box saying so). */
export function sketch(area: Area, facts: PanelFacts): string {
  return (lookup(SKETCHES, facts.type) ?? unknown)(area, facts);
}
