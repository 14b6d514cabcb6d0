/**
 * Grafana's dashboard grid as boxes to draw: 24 columns, gridPos x/w in columns and y/h in row units.
 * Collapsed rows are drawn expanded, as Grafana places them when a reader opens them, so the picture
 * shows every panel. Broken layouts (overlaps, too wide, no gridPos) are reported, not fixed.
 */
import { isObject, type Json, objectList, panelName } from "./model";

export const GRID_COLUMNS = 24;
/** Pixels per grid column and per grid row unit (Grafana draws a unit about 30 px high). */
export const COLUMN_PX = 40;
export const ROW_PX = 30;

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LayoutBox {
  /** Where the panel sits in the model: `panels[3]`, or `panels[5].panels[0]` inside a collapsed row. */
  path: string;
  panel: Json;
  kind: "row" | "panel";
  /** The position as drawn: collapsed rows expanded, the panels below them pushed down. */
  grid: GridPos;
  /** The same in pixels from the grid's top left corner. */
  px: GridPos;
  /** For rows: collapsed in the model (its panels are drawn expanded anyway). */
  collapsed: boolean;
  /** For collapsed rows: how many panels they hold. */
  nested: number;
}

export interface DashboardLayout {
  boxes: LayoutBox[];
  /** Row units from the top of the grid to the bottom of the lowest box. */
  heightUnits: number;
  /** The grid's size in pixels: all 24 columns wide, down to the lowest box. */
  widthPx: number;
  heightPx: number;
  problems: string[];
}

/** The gridPos of a panel, or a problem naming the panel and the bad field. */
function readGridPos(panel: Json, path: string): GridPos | string {
  const name = panelName(panel, path);
  if (panel.gridPos === undefined || panel.gridPos === null) return `${name}: gridPos is missing`;
  if (!isObject(panel.gridPos)) return `${name}: gridPos must be an object {x, y, w, h}`;
  const pos = panel.gridPos;
  for (const [field, min] of [
    ["x", 0],
    ["y", 0],
    ["w", 1],
    ["h", 1],
  ] as const) {
    const v = pos[field];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      return `${name}: gridPos.${field} must be an integer ≥ ${min} (got ${JSON.stringify(v) ?? "nothing"})`;
    }
  }
  const grid = { x: pos.x as number, y: pos.y as number, w: pos.w as number, h: pos.h as number };
  if (grid.x + grid.w > GRID_COLUMNS) {
    return `${name}: gridPos x + w = ${grid.x + grid.w} is wider than the ${GRID_COLUMNS} columns`;
  }
  return grid;
}

const toPx = (g: GridPos): GridPos => ({ x: g.x * COLUMN_PX, y: g.y * ROW_PX, w: g.w * COLUMN_PX, h: g.h * ROW_PX });

const overlap = (a: GridPos, b: GridPos) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** The boxes to draw and the layout's problems. */
export function layoutDashboard(json: Json): DashboardLayout {
  const boxes: LayoutBox[] = [];
  const problems: string[] = [];
  const place = (panel: Json, path: string): GridPos | undefined => {
    const pos = readGridPos(panel, path);
    if (typeof pos === "string") problems.push(pos);
    return typeof pos === "string" ? undefined : pos;
  };
  // Grafana's expand of a collapsed row (DashboardModel.toggleRow): its panels move to just below the row,
  // keeping their offsets from the first one, and everything below moves down by their height.
  let pushedDown = 0;
  objectList(json.panels, "panels").forEach((panel, i) => {
    const path = `panels[${i}]`;
    const pos = place(panel, path);
    const isRow = panel.type === "row";
    const nested = isRow ? objectList(panel.panels, `${path}.panels`) : [];
    const collapsed = isRow && panel.collapsed === true;
    if (!pos) return;
    const grid = { ...pos, y: pos.y + pushedDown };
    boxes.push({ path, panel, kind: isRow ? "row" : "panel", grid, px: toPx(grid), collapsed, nested: nested.length });
    if (!isRow || nested.length === 0) return;
    if (!collapsed) {
      problems.push(`${panelName(panel, path)}: an expanded row holds ${nested.length} panel(s) Grafana does not show`);
      return;
    }
    const placed = nested.flatMap((p, j) => {
      const at = place(p, `${path}.panels[${j}]`);
      return at ? [{ p, j, at }] : [];
    });
    const first = placed[0];
    if (!first) return;
    const shift = first.at.y - (grid.y + grid.h);
    let bottom = grid.y + grid.h;
    for (const { p, j, at } of placed) {
      const g = { ...at, y: at.y - shift };
      const box = { path: `${path}.panels[${j}]`, panel: p, kind: "panel" as const, grid: g, px: toPx(g) };
      boxes.push({ ...box, collapsed: false, nested: 0 });
      bottom = Math.max(bottom, g.y + g.h);
    }
    pushedDown += bottom - (grid.y + grid.h);
  });
  boxes.forEach((a, i) => {
    for (const b of boxes.slice(i + 1)) {
      if (overlap(a.grid, b.grid)) {
        problems.push(`${panelName(a.panel, a.path)} overlaps ${panelName(b.panel, b.path)}`);
      }
    }
  });
  const heightUnits = Math.max(0, ...boxes.map((b) => b.grid.y + b.grid.h));
  return { boxes, heightUnits, widthPx: GRID_COLUMNS * COLUMN_PX, heightPx: heightUnits * ROW_PX, problems };
}

/** Overlapping panels, panels wider than the grid and panels without a usable gridPos, one line each. */
export function layoutProblems(json: Json): string[] {
  return layoutDashboard(json).problems;
}
