/** What a card shows about a panel, read from the Grafana JSON model: type, unit, thresholds, queries, links. */
import { DATASOURCE_UIDS } from "../../infra/platform/naming";
import { DashboardModelError, isObject, type Json, lookup, objectList, optionalString } from "./model";

/** Grafana's named colours as its dark theme paints them: super-light, light, base, semi-dark, dark of each hue. */
const HUES: Record<string, readonly [string, string, string, string, string]> = {
  red: ["#FFA6B0", "#FF7383", "#F2495C", "#E02F44", "#C4162A"],
  orange: ["#FFCB7D", "#FFB357", "#FF9830", "#FF780A", "#FA6400"],
  yellow: ["#FFF899", "#FFEE52", "#FADE2A", "#F2CC0C", "#E0B400"],
  green: ["#C8F2C2", "#96D98D", "#73BF69", "#56A64B", "#37872D"],
  blue: ["#C0D8FF", "#8AB8FF", "#5794F2", "#3274D9", "#1F60C4"],
  purple: ["#DEB6F2", "#CA95E5", "#B877D9", "#A352CC", "#8F3BB8"],
};
const SHADES = ["super-light-", "light-", "", "semi-dark-", "dark-"] as const;
export const GRAFANA_COLORS: Readonly<Record<string, string>> = Object.fromEntries([
  ...Object.entries(HUES).flatMap(([hue, hexes]) => SHADES.map((shade, i) => [`${shade}${hue}`, hexes[i]])),
  ["text", "#1F2328"],
  ["transparent", "none"],
]);
const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
const RGB = /^rgba?\(\s*[\d.]+%?\s*,\s*[\d.]+%?\s*,\s*[\d.]+%?\s*(?:,\s*[\d.]+%?\s*)?\)$/i;

/** A Grafana colour as SVG paint ("none" for transparent); an unknown one is an error naming the field. */
export function grafanaColor(color: unknown, field: string): string {
  if (typeof color === "string") {
    const named = lookup(GRAFANA_COLORS, color.toLowerCase());
    if (named) return named;
    if (HEX.test(color) || RGB.test(color)) return color;
  }
  const hues = Object.keys(HUES).join(", ");
  throw new DashboardModelError(
    `${field}: unknown colour ${JSON.stringify(color)}; allowed: ${hues}, with a super-light-, light-, semi-dark- or dark- prefix, text, transparent, #rgb, #rrggbb, #rrggbbaa, rgb() or rgba()`,
  );
}

export interface ThresholdChip {
  /** "Base" for the first step (value null), else the value (with % in percentage mode). */
  label: string;
  color: string;
}

export interface PanelFacts {
  type: string;
  title: string;
  unit: string | undefined;
  thresholds: ThresholdChip[];
  queries: number;
  /** Datasource kinds of the queries, in order of first use: prometheus, loki, jaeger, or what the model says. */
  datasources: string[];
  exemplars: boolean;
  links: number;
}

const KIND_BY_UID: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(DATASOURCE_UIDS).map(([kind, uid]) => [uid, kind]),
);

/** A datasource reference's kind: its plugin type, else the kind of a platform uid, else the uid itself. */
function datasourceKind(ref: unknown): string | undefined {
  if (typeof ref === "string") return lookup(KIND_BY_UID, ref) ?? ref; // legacy models name the datasource by a string
  if (!isObject(ref)) return undefined;
  if (typeof ref.type === "string" && ref.type !== "") return ref.type;
  if (typeof ref.uid === "string" && ref.uid !== "") return lookup(KIND_BY_UID, ref.uid) ?? ref.uid;
  return undefined;
}

function thresholdChips(defaults: Json, field: string): ThresholdChip[] {
  const thresholds = defaults.thresholds;
  if (thresholds === undefined || thresholds === null) return [];
  if (!isObject(thresholds)) throw new DashboardModelError(`${field} must be an object {mode, steps}`);
  const percent = thresholds.mode === "percentage" ? "%" : "";
  return objectList(thresholds.steps, `${field}.steps`).map((step, i) => {
    const at = `${field}.steps[${i}]`;
    const value = step.value;
    if (value !== null && value !== undefined && (typeof value !== "number" || !Number.isFinite(value))) {
      throw new DashboardModelError(`${at}.value must be a number, or null for the base step`);
    }
    const label = typeof value === "number" ? `${value}${percent}` : "Base";
    return { label, color: grafanaColor(step.color, `${at}.color`) };
  });
}

/** The facts of one panel; `path` (e.g. `panels[3]`) names the bad field in errors. */
export function panelFacts(panel: Json, path: string): PanelFacts {
  const fieldConfig = isObject(panel.fieldConfig) ? panel.fieldConfig : {};
  const defaults = isObject(fieldConfig.defaults) ? fieldConfig.defaults : {};
  const at = `${path}.fieldConfig.defaults`;
  const targets = objectList(panel.targets, `${path}.targets`);
  const panelKind = datasourceKind(panel.datasource);
  const kinds = targets.flatMap((t) => datasourceKind(t.datasource) ?? panelKind ?? []);
  return {
    type: optionalString(panel.type, `${path}.type`) ?? "(no type)",
    title: optionalString(panel.title, `${path}.title`) ?? "",
    unit: optionalString(defaults.unit, `${at}.unit`),
    thresholds: thresholdChips(defaults, `${at}.thresholds`),
    queries: targets.length,
    datasources: [...new Set(kinds)],
    exemplars: targets.some((t) => t.exemplar === true),
    links: objectList(defaults.links, `${at}.links`).length + objectList(panel.links, `${path}.links`).length,
  };
}

export interface VariableChip {
  name: string;
  value: string;
}

/** What a variable shows when the dashboard opens: its current text, else a constant's value, else All or its first option. */
function variableValue(v: Json, field: string): string {
  const current = isObject(v.current) ? v.current : {};
  for (const shown of [current.text, current.value]) {
    const list = (Array.isArray(shown) ? shown : [shown]).filter((s): s is string => typeof s === "string");
    if (list.length > 0) return list.map((s) => (s === "$__all" ? "All" : s)).join(" + ");
  }
  if (v.includeAll === true) return "All";
  const first = objectList(v.options, `${field}.options`)[0];
  if (typeof first?.text === "string") return first.text;
  // constant and textbox variables hold their value in query; custom ones a comma-separated list
  if (typeof v.query === "string") return v.type === "custom" ? (v.query.split(",")[0]?.trim() ?? "") : v.query;
  return "";
}

/** The dashboard's template variables, as name = value chips in their order. */
export function dashboardVariables(json: Json): VariableChip[] {
  const templating = isObject(json.templating) ? json.templating : {};
  return objectList(templating.list, "templating.list").map((v, i) => ({
    name: optionalString(v.name, `templating.list[${i}].name`) ?? `(variable ${i + 1})`,
    value: variableValue(v, `templating.list[${i}]`),
  }));
}
