import { dashboardSvg, flowParts } from "../../apps/dashboard-render/svg";
import { escapeXml, textWidth, truncate } from "../../apps/dashboard-render/text";
import { allPanels, dashboard, gridPos, PROD, panel, row } from "./models";

/** The SVG of each drawn panel or row: the full title its <g> carries, and the rest of the <g>. */
function groups(svg: string): { title: string; body: string }[] {
  return [...svg.matchAll(/<g><title>(.*?)<\/title>(.*?)<\/g>/gs)].map((m) => ({
    title: m[1] ?? "",
    body: m[2] ?? "",
  }));
}
const texts = (svg: string, cls: string) =>
  [...svg.matchAll(new RegExp(`<text [^>]*class="${cls}"[^>]*>(.*?)</text>`, "g"))].map((m) => m[1] ?? "");
/** The drawn card of a panel (or bar of a row) by its title; a row and a panel may share one. */
const drawn = (svg: string, p: Record<string, unknown>) =>
  groups(svg).find(
    (g) => g.title === escapeXml(String(p.title)) && g.body.includes(`class="${p.type === "row" ? "row" : "title"}"`),
  );

describe("text helpers", () => {
  test("escapeXml escapes < & > \" and '", () => {
    expect(escapeXml(`a<b & c>"d'`)).toBe("a&lt;b &amp; c&gt;&quot;d&apos;");
  });

  test("truncate keeps a text that fits and cuts a long one to a prefix with … that fits the width", () => {
    expect(truncate("Error ratio", 200, 13, true)).toBe("Error ratio");
    const long = "Memory working set vs requested and limit by service";
    const cut = truncate(long, 150, 13, true);
    const kept = cut.slice(0, -1);
    expect([cut.endsWith("…"), long.startsWith(kept), kept.length > 5]).toEqual([true, true, true]);
    expect(textWidth(cut, 13, true)).toBeLessThanOrEqual(150);
    // the longest such prefix: one character more would not fit
    expect(textWidth(`${long.slice(0, kept.length + 1)}…`, 13, true)).toBeGreaterThan(150);
    expect(truncate("anything", 2, 13)).toBe("");
  });

  test("flowParts moves a part that does not fit to the next line and cuts only the last line", () => {
    const parts = ["unit percentunit", "1 query (prometheus)", "◆ exemplars"];
    const narrow = textWidth("unit percentunit · 1 query", 11);
    expect(flowParts(parts, [narrow, 1_000], 11)).toEqual(["unit percentunit", "1 query (prometheus) · ◆ exemplars"]);
    expect(flowParts(parts, [1_000], 11)).toEqual(["unit percentunit · 1 query (prometheus) · ◆ exemplars"]);
    const [only] = flowParts(parts, [narrow], 11);
    expect(only).toMatch(/^unit percentunit · 1 q.*…$/);
  });
});

describe("dashboardSvg on the prod dashboards", () => {
  test.each(PROD.map((d) => [d.uid, d] as const))(
    "%s: every panel and row title is there, escaped, cut only with …",
    (_, d) => {
      const svg = dashboardSvg(d.json);
      const panels = allPanels(d.json);
      expect(groups(svg).length).toBe(panels.length);
      for (const p of panels) {
        const title = escapeXml(String(p.title));
        const g = drawn(svg, p);
        expect([p.title, g === undefined]).toEqual([p.title, false]);
        if (p.type === "row") {
          expect(texts(g?.body ?? "", "row")[0]).toContain(title);
        } else {
          const [visible = ""] = texts(g?.body ?? "", "title");
          expect(visible === title || (visible.endsWith("…") && title.startsWith(visible.slice(0, -1)))).toBe(true);
        }
      }
    },
  );

  test("each stat panel's card shows its threshold values as chips, in order (none when it has none)", () => {
    let stats = 0;
    for (const d of PROD) {
      const svg = dashboardSvg(d.json);
      for (const p of allPanels(d.json).filter((q) => q.type === "stat")) {
        const steps: { value: number | null }[] = (p as any).fieldConfig?.defaults?.thresholds?.steps ?? [];
        if (steps.length > 0) stats++;
        const expected = steps.map((s) => (s.value === null ? "Base" : String(s.value)));
        expect([p.title, texts(drawn(svg, p)?.body ?? "", "chip")]).toEqual([p.title, expected]);
      }
    }
    expect(stats).toBeGreaterThanOrEqual(8);
  });

  test("drawing is deterministic: twice the same model, or a copy of it, gives the same bytes", () => {
    for (const d of PROD) {
      const svg = dashboardSvg(d.json);
      expect(dashboardSvg(d.json)).toBe(svg);
      expect(dashboardSvg(structuredClone(d.json))).toBe(svg);
    }
  });

  test("the template variables come first, as chips name = value in their order", () => {
    for (const d of PROD) {
      const names = ((d.json.templating as any)?.list ?? []).map((v: { name: string }) => escapeXml(v.name));
      expect(names.length).toBeGreaterThan(0);
      const chips = texts(dashboardSvg(d.json), "chip").slice(0, names.length);
      expect(chips.map((c) => c.split(" = ")[0])).toEqual(names);
    }
  });
});

describe("dashboardSvg on hand-made models", () => {
  const hostile = `<b>&"quoted"</b>`;

  test("markup characters in titles, units, types, variables and datasources come out escaped, never raw", () => {
    const model = dashboard(
      [
        row(hostile, 0),
        panel(hostile, gridPos(0, 1, 24, 8), {
          type: hostile,
          fieldConfig: { defaults: { unit: hostile } },
          targets: [{ datasource: { type: hostile } }],
        }),
      ],
      { title: hostile, uid: hostile, templating: { list: [{ name: hostile, type: "constant", query: hostile }] } },
    );
    const svg = dashboardSvg(model);
    expect(svg).not.toContain("<b>");
    expect(svg).not.toContain('"quoted"');
    expect(svg).toContain(escapeXml(hostile));
    // every & starts an entity
    expect(svg.match(/&(?!(?:amp|lt|gt|quot|apos);)/g)).toBeNull();
  });

  test("a threshold chip's text is white on dark colours and dark on light ones", () => {
    const colors = ["text", "dark-blue", "#1F2328", "#123", "yellow", "super-light-green", "#FADE2Aff"];
    const steps = colors.map((color, i) => ({ value: i === 0 ? null : i, color }));
    const model = dashboard([
      panel("p", gridPos(0, 0, 24, 8), { type: "stat", fieldConfig: { defaults: { thresholds: { steps } } } }),
    ]);
    const fills = [...dashboardSvg(model).matchAll(/class="chip" fill="([^"]+)"/g)].map((m) => m[1]);
    expect(fills).toEqual(["#FFFFFF", "#FFFFFF", "#FFFFFF", "#FFFFFF", "#1F2328", "#1F2328", "#1F2328"]);
  });

  test("layout problems are printed in a banner above the grid", () => {
    const svg = dashboardSvg(dashboard([panel("A", gridPos(0, 0, 12, 4)), panel("B", gridPos(6, 0, 12, 4))]));
    expect(svg).toContain("Layout problems (1):");
    expect(svg).toContain(escapeXml('panels[0] "A" overlaps panels[1] "B"'));
  });

  test("a collapsed row says so and how many panels it holds; an expanded one has no such note", () => {
    const model = dashboard([
      row("Closed", 0, { collapsed: true, panels: [panel("inside", gridPos(0, 1, 24, 4))] }),
      row("Open", 1),
    ]);
    const [closed, open] = texts(dashboardSvg(model), "row");
    expect(closed).toBe("▸ Closed  (collapsed in Grafana; its 1 panel drawn expanded)");
    expect(open).toBe("▾ Open");
  });

  test("each visualisation type draws its own sketch; an unknown type says it has none", () => {
    const types = ["timeseries", "stat", "gauge", "heatmap", "logs", "table", "bargauge", "piechart"];
    const sketches = types.map((type) => {
      const svg = dashboardSvg(dashboard([panel("p", gridPos(0, 0, 12, 8), { type })]));
      return svg.slice(svg.indexOf('class="type"'));
    });
    expect(new Set(sketches).size).toBe(types.length);
    expect(sketches[types.indexOf("piechart")]).toContain("no sketch for piechart");
    expect(sketches[types.indexOf("timeseries")]).toContain("<polyline");
  });
});
