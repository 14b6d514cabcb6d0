import { dashboardVariables, grafanaColor, panelFacts } from "../../apps/dashboard-render/facts";
import { DashboardModelError } from "../../apps/dashboard-render/model";
import { gridPos, panel } from "./models";

describe("grafanaColor", () => {
  test("Grafana's colour names and their shades become the palette's hex; hex and rgb() pass; transparent paints nothing", () => {
    expect(
      ["green", "yellow", "orange", "red", "blue", "purple", "dark-red", "super-light-blue", "Green"].map((c) =>
        grafanaColor(c, "f"),
      ),
    ).toEqual(["#73BF69", "#FADE2A", "#FF9830", "#F2495C", "#5794F2", "#B877D9", "#C4162A", "#C0D8FF", "#73BF69"]);
    expect(["#abc", "#A1B2C3", "#a1b2c3cc", "rgba(1, 2, 3, 0.5)"].map((c) => grafanaColor(c, "f"))).toEqual([
      "#abc",
      "#A1B2C3",
      "#a1b2c3cc",
      "rgba(1, 2, 3, 0.5)",
    ]);
    expect(grafanaColor("transparent", "f")).toBe("none");
  });

  test.each([["pink"], ["constructor"], ["#12"], [7]])(
    "%p is refused with the field and the allowed colours",
    (color) => {
      expect(() => grafanaColor(color, "panels[2].fieldConfig.defaults.thresholds.steps[1].color")).toThrow(
        /^panels\[2\]\.fieldConfig\.defaults\.thresholds\.steps\[1\]\.color: unknown colour .*allowed: red, orange, yellow, green, blue, purple/,
      );
    },
  );
});

describe("panelFacts", () => {
  const steps = [
    { value: null, color: "green" },
    { value: 0.5, color: "transparent" },
    { value: 80, color: "#ff0000" },
  ];

  test("reads type, title, unit and the threshold steps (Base for the null step, % in percentage mode)", () => {
    const p = panel("Error ratio", gridPos(0, 0, 6, 4), {
      type: "stat",
      fieldConfig: { defaults: { unit: "percentunit", thresholds: { mode: "percentage", steps } } },
    });
    expect(panelFacts(p, "panels[0]")).toMatchObject({
      type: "stat",
      title: "Error ratio",
      unit: "percentunit",
      thresholds: [
        { label: "Base", color: "#73BF69" },
        { label: "0.5%", color: "none" },
        { label: "80%", color: "#ff0000" },
      ],
    });
  });

  test("datasource kinds come from a target's type, else a platform uid, else the panel's datasource", () => {
    const p = panel("mixed", gridPos(0, 0, 6, 4), {
      datasource: { type: "prometheus", uid: "prometheus" },
      targets: [
        { datasource: { type: "loki", uid: "whatever" } },
        { datasource: { uid: "jaeger" } },
        {},
        { datasource: { uid: "custom-uid" } },
        { datasource: { type: "loki" } },
      ],
    });
    expect(panelFacts(p, "panels[0]")).toMatchObject({
      queries: 5,
      datasources: ["loki", "jaeger", "prometheus", "custom-uid"],
    });
  });

  test("exemplars when any target asks for them; links count the field links and the panel links", () => {
    const p = panel("p", gridPos(0, 0, 6, 4), {
      targets: [{ exemplar: false }, { exemplar: true }],
      fieldConfig: { defaults: { links: [{ title: "a" }, { title: "b" }] } },
      links: [{ title: "c" }],
    });
    expect(panelFacts(p, "panels[0]")).toMatchObject({ exemplars: true, links: 3 });
    expect(panelFacts(panel("q", gridPos(0, 0, 6, 4), { targets: [{}] }), "panels[1]")).toMatchObject({
      exemplars: false,
      links: 0,
      thresholds: [],
      unit: undefined,
    });
  });

  test("a bad threshold value, colour or targets list is an error naming the field", () => {
    const bad = (extra: Record<string, unknown>) => () =>
      panelFacts(panel("p", gridPos(0, 0, 6, 4), extra), "panels[4]");
    const thresholds = (s: unknown[]) => ({
      fieldConfig: { defaults: { thresholds: { mode: "absolute", steps: s } } },
    });
    expect(bad(thresholds([{ value: "80", color: "red" }]))).toThrow(
      new DashboardModelError(
        "panels[4].fieldConfig.defaults.thresholds.steps[0].value must be a number, or null for the base step",
      ),
    );
    expect(bad(thresholds([{ value: null, color: "mauve" }]))).toThrow(
      /^panels\[4\]\.fieldConfig\.defaults\.thresholds\.steps\[0\]\.color: unknown colour "mauve"/,
    );
    expect(bad({ targets: { expr: "up" } })).toThrow(
      new DashboardModelError("panels[4].targets must be an array of objects"),
    );
  });
});

describe("dashboardVariables", () => {
  test("a variable shows its current text ($__all as All), a constant its query, a custom one without current its first value", () => {
    const json = {
      templating: {
        list: [
          { name: "environment", type: "constant", query: "prod" },
          { name: "service", type: "query", current: { text: ["All"], value: ["$__all"] } },
          { name: "route", type: "query", current: { value: "$__all" } },
          { name: "slo", type: "custom", query: "availability, latency" },
          { name: "pod", type: "query", includeAll: true },
          { name: "zone", type: "custom", current: { text: ["a", "b"] } },
        ],
      },
    };
    expect(dashboardVariables(json).map((v) => `${v.name}=${v.value}`)).toEqual([
      "environment=prod",
      "service=All",
      "route=All",
      "slo=availability",
      "pod=All",
      "zone=a + b",
    ]);
  });
});
