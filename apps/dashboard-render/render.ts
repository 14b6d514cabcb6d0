/** Builds an environment's dashboards as the Pulumi program does and draws each: SVG, PNG, manifest entry. */
import { Resvg } from "@resvg/resvg-js";
import { loadStackConfig } from "../../infra/config/stack-file";
import { type GeneratedDashboard, stackDashboards } from "../../infra/dashboards/dashboards";
import { CHART_CONFIG } from "../bench/plots";
import { type Manifest, manifestEntry } from "./check";
import { layoutProblems } from "./layout";
import { DashboardModelError } from "./model";
import { dashboardSvg } from "./svg";

/** Width of the committed PNGs: the SVG (992 px) scaled up so small text stays readable in a review. */
export const PNG_WIDTH = 1200;

/** The five dashboards and the capacity dashboard of a stack, from its stack file as the Pulumi program builds them. */
export function environmentDashboards(environment: string): GeneratedDashboard[] {
  return stackDashboards(loadStackConfig(environment));
}

/** `latency` of `prod-latency`: the uid without its environment prefix (a uid without it is an error). */
export function dashboardKey(uid: string, environment: string): string {
  const prefix = `${environment}-`;
  if (!uid.startsWith(prefix) || uid.length === prefix.length) {
    throw new DashboardModelError(`uid ${JSON.stringify(uid)} does not start with "${prefix}"`);
  }
  return uid.slice(prefix.length);
}

export interface RenderedDashboard {
  key: string;
  dashboard: GeneratedDashboard;
  svg: string;
  problems: string[];
}

/** Draws each dashboard; a model the renderer cannot read is a DashboardModelError naming the dashboard. */
export function renderDashboards(environment: string, dashboards: GeneratedDashboard[]): RenderedDashboard[] {
  return dashboards.map((dashboard) => {
    try {
      const key = dashboardKey(dashboard.uid, environment);
      return { key, dashboard, svg: dashboardSvg(dashboard.json), problems: layoutProblems(dashboard.json) };
    } catch (err) {
      throw new DashboardModelError(`${dashboard.uid}: ${(err as Error).message}`);
    }
  });
}

export function manifestOf(environment: string, rendered: RenderedDashboard[]): Manifest {
  return {
    environment,
    pngWidth: PNG_WIDTH,
    dashboards: rendered.map((r) => manifestEntry(r.key, r.dashboard, r.svg)),
  };
}

/** Rasterises an SVG with resvg at `width` px in the benchmark plots' font. */
export function svgToPng(svg: string, width = PNG_WIDTH): Buffer {
  const font = CHART_CONFIG.font;
  const resvg = new Resvg(svg, {
    fitTo: { mode: "width", value: width },
    font: { loadSystemFonts: true, defaultFontFamily: font, sansSerifFamily: font },
  });
  return Buffer.from(resvg.render().asPng());
}
