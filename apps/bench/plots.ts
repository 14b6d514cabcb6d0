import { Resvg } from "@resvg/resvg-js";
import type { Report } from "./analyze";
import { GOALS } from "./goals";
import { VARIANT_NAMES } from "./variants";

/** A Vega-Lite specification (kept loose here: vega-lite is an ES module, loaded only to render). */
export type ChartSpec = Record<string, unknown>;

const FONT = "DejaVu Sans";
/** The Vega-Lite schema every chart of the repository's tools declares. */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
/** One look for every chart the tools render (the font is the one resvg is given). */
export const CHART_CONFIG = {
  font: FONT,
  background: "white",
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: "start" },
};

/** CPU per request of each variant against none, median per cycle with the range, per scenario; the goal as a line. */
export function overheadChart(report: Report): ChartSpec {
  const variants = VARIANT_NAMES.filter((v) => v !== "none");
  const values = report.fixedRate.flatMap((s) =>
    s.variants.flatMap((v) => {
      const pct = v.vsBaseline?.cpuPerRequestPct;
      if (!pct || pct.n === 0) return [];
      return [{ variant: v.variant, scenario: s.scenario, median: pct.median, min: pct.min, max: pct.max }];
    }),
  );
  const x = { field: "variant", type: "nominal", sort: variants, title: null, axis: { labelAngle: 0 } };
  const scenarios = report.fixedRate.map((s) => s.scenario);
  const xOffset = { field: "scenario", type: "nominal", sort: scenarios };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: "CPU per request vs none, three processes together",
      subtitle: `median of ${report.settings.cycles} cycles, bar: min..max; dashed: goal for all-100 (≤ ${GOALS.cpu.limitPct}%)`,
    },
    width: 640, // seven variants side by side, names unrotated
    height: 280,
    data: { values },
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          x,
          xOffset,
          y: { field: "median", type: "quantitative", title: "CPU per request vs none (%)" },
          color: { field: "scenario", type: "nominal", title: "scenario", scale: { domain: scenarios } },
          tooltip: [{ field: "median" }],
        },
      },
      {
        mark: { type: "rule", color: "black", strokeWidth: 1.5 },
        encoding: { x, xOffset, y: { field: "min", type: "quantitative" }, y2: { field: "max" } },
      },
      {
        data: { values: [{ goal: GOALS.cpu.limitPct }] },
        mark: { type: "rule", color: "#b22222", strokeDash: [5, 4] },
        encoding: { y: { field: "goal", type: "quantitative" } },
      },
    ],
    config: CHART_CONFIG,
  };
}

/** p50, p90 and p99 of each variant (points on a line from p50 to p99): POST /orders alone, and every request of the mix. */
export function latencyChart(report: Report): ChartSpec {
  const panelOf = (s: Report["fixedRate"][number]) =>
    `${s.scenario}: ${s.headline === "all" ? "all requests" : s.headline}`;
  const values = report.fixedRate.flatMap((s) =>
    s.variants.flatMap((v) => {
      const p = v.latencyUs[s.headline];
      if (!p) return [];
      return (["p50", "p90", "p99"] as const).map((q) => ({
        panel: panelOf(s),
        variant: v.variant,
        percentile: q,
        ms: p[q] / 1_000,
        p50: p.p50 / 1_000,
        p99: p.p99 / 1_000,
      }));
    }),
  );
  const x = { field: "variant", type: "nominal", sort: [...VARIANT_NAMES], title: null, axis: { labelAngle: -30 } };
  const scale = { type: "log", nice: true };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: `Latency at ${report.settings.rate} req/s (open model, from the scheduled send time)`,
      subtitle: "p50, p90 and p99 over all cycles; logarithmic scale",
    },
    data: { values },
    facet: {
      column: {
        field: "panel",
        type: "nominal",
        title: null,
        sort: report.fixedRate.map(panelOf),
        header: { labelFontSize: 12 },
      },
    },
    spec: {
      width: 380,
      height: 260,
      layer: [
        {
          mark: { type: "rule", color: "#999", strokeWidth: 2 },
          encoding: { x, y: { field: "p50", type: "quantitative", scale }, y2: { field: "p99" } },
        },
        {
          mark: { type: "point", filled: true, size: 90, opacity: 1 },
          encoding: {
            x,
            y: { field: "ms", type: "quantitative", title: "latency (ms)", scale },
            color: { field: "percentile", type: "nominal", sort: ["p50", "p90", "p99"], title: null },
            shape: { field: "percentile", type: "nominal", sort: ["p50", "p90", "p99"], title: null },
          },
        },
      ],
    },
    resolve: { scale: { y: "independent" } },
    config: CHART_CONFIG,
  };
}

/** Renders a Vega-Lite specification to PNG: Vega draws SVG, resvg rasterises it at twice the size. */
export async function renderPng(spec: ChartSpec): Promise<Buffer> {
  // One after the other: they share modules (vega-util), and jest's ES module loader cannot link them concurrently.
  const vega = await import("vega");
  const vegaLite = await import("vega-lite");
  const view = new vega.View(vega.parse(vegaLite.compile(spec as never).spec), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    const png = new Resvg(svg, {
      fitTo: { mode: "zoom", value: 2 },
      font: { loadSystemFonts: true, defaultFontFamily: FONT, sansSerifFamily: FONT },
    });
    return png.render().asPng();
  } finally {
    view.finalize();
  }
}

export const PLOTS = [
  { file: "telemetry-overhead.png", alt: "CPU per request of each variant vs none", spec: overheadChart },
  { file: "telemetry-latency.png", alt: "p50, p90 and p99 latency per variant", spec: latencyChart },
] as const;
