import { COLUMN_PX, layoutDashboard, layoutProblems, ROW_PX } from "../../apps/dashboard-render/layout";
import { dashboard, gridPos, panel, REAL, row } from "./models";

describe("layout problems on hand-made models", () => {
  test("two panels sharing grid cells are reported as overlapping, both named", () => {
    const model = dashboard([panel("A", gridPos(0, 0, 12, 8)), panel("B", gridPos(8, 4, 8, 8))]);
    expect(layoutProblems(model)).toEqual(['panels[0] "A" overlaps panels[1] "B"']);
  });

  test("a panel overlapping a row header is reported", () => {
    const model = dashboard([row("R", 0), panel("A", gridPos(0, 0, 6, 4))]);
    expect(layoutProblems(model)).toEqual(['panels[0] "R" overlaps panels[1] "A"']);
  });

  test("panels that only touch edges are no overlap", () => {
    const model = dashboard([
      panel("left", gridPos(0, 0, 12, 8)),
      panel("right", gridPos(12, 0, 12, 8)),
      panel("below", gridPos(0, 8, 24, 4)),
    ]);
    expect(layoutProblems(model)).toEqual([]);
  });

  test("a panel wider than 24 columns, alone or from its x, is reported with its right edge", () => {
    const model = dashboard([panel("wide", gridPos(0, 0, 25, 4)), panel("shifted", gridPos(20, 4, 6, 4))]);
    expect(layoutProblems(model)).toEqual([
      'panels[0] "wide": gridPos x + w = 25 is wider than the 24 columns',
      'panels[1] "shifted": gridPos x + w = 26 is wider than the 24 columns',
    ]);
  });

  test("a panel without gridPos is reported and not placed", () => {
    const model = dashboard([panel("placed", gridPos(0, 0, 24, 4)), panel("lost", undefined)]);
    const layout = layoutDashboard(model);
    expect(layout.problems).toEqual(['panels[1] "lost": gridPos is missing']);
    expect(layout.boxes.map((b) => b.path)).toEqual(["panels[0]"]);
  });

  test("a gridPos field that is not a whole number in range is reported by name", () => {
    const model = dashboard([
      panel("zero", { x: 0, y: 0, w: 0, h: 4 }),
      panel("half", { x: 0, y: 4.5, w: 6, h: 4 }),
      panel("text", { x: "0", y: 8, w: 6, h: 4 }),
    ]);
    expect(layoutProblems(model)).toEqual([
      'panels[0] "zero": gridPos.w must be an integer ≥ 1 (got 0)',
      'panels[1] "half": gridPos.y must be an integer ≥ 0 (got 4.5)',
      'panels[2] "text": gridPos.x must be an integer ≥ 0 (got "0")',
    ]);
  });

  test("an expanded row that still holds panels is reported: Grafana shows only a collapsed row's panels", () => {
    const model = dashboard([row("R", 0, { panels: [panel("hidden", gridPos(0, 1, 24, 4))] })]);
    expect(layoutProblems(model)).toEqual(['panels[0] "R": an expanded row holds 1 panel(s) Grafana does not show']);
  });
});

describe("boxes", () => {
  test("a collapsed row's panels go just below its header with their offsets kept; the rest moves down by their height", () => {
    // the nested gridPos.y are stale (y 40..), as after a row is moved while collapsed; Grafana re-bases them
    const nested = [
      panel("n1", gridPos(0, 40, 12, 8)),
      panel("n2", gridPos(12, 40, 12, 8)),
      panel("n3", gridPos(0, 48, 24, 5)),
    ];
    const model = dashboard([
      row("open", 0),
      panel("top", gridPos(0, 1, 24, 4)),
      row("closed", 5, { collapsed: true, panels: nested }),
      row("after", 6),
      panel("last", gridPos(0, 7, 24, 4)),
    ]);
    const layout = layoutDashboard(model);
    expect(layout.problems).toEqual([]);
    const at = Object.fromEntries(layout.boxes.map((b) => [b.panel.title, [b.grid.x, b.grid.y, b.grid.w, b.grid.h]]));
    expect(at).toEqual({
      open: [0, 0, 24, 1],
      top: [0, 1, 24, 4],
      closed: [0, 5, 24, 1],
      n1: [0, 6, 12, 8],
      n2: [12, 6, 12, 8],
      n3: [0, 14, 24, 5],
      after: [0, 19, 24, 1],
      last: [0, 20, 24, 4],
    });
    expect(layout.boxes.find((b) => b.panel.title === "closed")).toMatchObject({ collapsed: true, nested: 3 });
    expect(layout.boxes.find((b) => b.panel.title === "n2")?.path).toBe("panels[2].panels[1]");
    expect(layout.heightUnits).toBe(24);
  });

  test("pixel boxes are 40 px per column and 30 px per row unit", () => {
    const layout = layoutDashboard(dashboard([panel("p", gridPos(6, 2, 12, 8))]));
    expect([COLUMN_PX, ROW_PX]).toEqual([40, 30]);
    expect(layout.boxes[0]?.px).toEqual({ x: 240, y: 60, w: 480, h: 240 });
    expect([layout.widthPx, layout.heightPx]).toEqual([960, 300]);
  });
});

describe("the generated dashboards", () => {
  test.each(REAL.map((r) => [r.environment, r.dashboards] as const))(
    "%s: the five dashboards, chaos, capacity, multi-environment and cost have no layout problems",
    (environment, dashboards) => {
      expect(dashboards.map((d) => d.uid)).toEqual(expect.arrayContaining([`${environment}-capacity`]));
      expect(dashboards.length).toBe(9);
      for (const d of dashboards) {
        expect([d.uid, layoutProblems(d.json)]).toEqual([d.uid, []]);
        expect(layoutDashboard(d.json).boxes.length).toBeGreaterThan(1);
      }
    },
  );
});
