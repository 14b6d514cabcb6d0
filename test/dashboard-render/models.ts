/** Hand-made Grafana dashboard models for the renderer's tests, and the real ones of every stack. */

import { environmentDashboards } from "../../apps/dashboard-render/render";
import { ENVIRONMENTS } from "../../infra/config/schema";
import type { GeneratedDashboard } from "../../infra/dashboards/dashboards";

export type Model = Record<string, unknown>;

export const gridPos = (x: number, y: number, w: number, h: number) => ({ x, y, w, h });

export function panel(title: string, pos: unknown, extra: Model = {}): Model {
  return { type: "timeseries", title, ...(pos === undefined ? {} : { gridPos: pos }), ...extra };
}

export const row = (title: string, y: number, extra: Model = {}): Model => ({
  type: "row",
  title,
  gridPos: gridPos(0, y, 24, 1),
  collapsed: false,
  panels: [],
  ...extra,
});

export const dashboard = (panels: Model[], extra: Model = {}): Model => ({
  title: "Test",
  uid: "test",
  panels,
  ...extra,
});

/** The dashboards the Pulumi program deploys, per stack: the five, chaos and the capacity dashboard. */
export const REAL: ReadonlyArray<{ environment: string; dashboards: GeneratedDashboard[] }> = ENVIRONMENTS.map(
  (environment) => ({ environment, dashboards: environmentDashboards(environment) }),
);
export const PROD = REAL.find((r) => r.environment === "prod")?.dashboards ?? [];

/** Every panel of a model, rows and the panels inside collapsed rows included. */
export function allPanels(json: Model): Model[] {
  return ((json.panels ?? []) as Model[]).flatMap((p) => [p, ...((p.panels ?? []) as Model[])]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Width and height from a PNG's IHDR chunk. */
export const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) });
