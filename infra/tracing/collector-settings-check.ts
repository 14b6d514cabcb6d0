import {
  COMPONENT_SETTINGS,
  type ComponentKind,
  DEPRECATED_TYPES,
  type Setting,
  type Settings,
} from "./collector-settings";

// The collector refuses to start on an unknown key or a value it cannot decode; this finds both before a deploy.

const KINDS: ComponentKind[] = ["receivers", "processors", "exporters", "connectors", "extensions"];

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `${env:X}` (or `${X}`) is expanded when the collector loads its config: its type is only known then. */
const isExpansion = (v: unknown) => typeof v === "string" && /^\$\{[^}]+\}$/.test(v.trim());

const GO_DURATION = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
/** What Go's time.ParseDuration accepts: "0", or number+unit pairs ("1m30s", "300ms", "1.5h"). */
export const isGoDuration = (s: string) => s === "0" || GO_DURATION.test(s);

const typeName = (v: unknown): string =>
  Array.isArray(v) ? "list" : isMap(v) ? "map" : Number.isInteger(v) ? "int" : typeof v;

export function describeSetting(s: Setting): string {
  if (typeof s === "string") return s;
  if ("list" in s) return `list of ${describeSetting(s.list)}`;
  if ("map" in s) return `map of string to ${describeSetting(s.map)}`;
  if ("keys" in s) return "map";
  return s.oneOf.map(describeSetting).join(" or ");
}

/** Header values, PEM blocks and credentials may be secrets: their values stay out of messages (and logs). */
const SENSITIVE = /headers|_pem\b|password|secret|token|credential|authorization/i;
const shown = (path: string, v: unknown) => (SENSITIVE.test(path) ? "(value hidden)" : JSON.stringify(v));

const expected = (path: string, s: Setting, v: unknown, note = "") =>
  `${path}: expected ${describeSetting(s)}${note}, got ${typeName(v)} ${shown(path, v)}`;

/** Problems of one value against its documented setting; `path` names it in the messages. */
function valueProblems(path: string, s: Setting, v: unknown): string[] {
  if (v === null || v === undefined || isExpansion(v)) return []; // null decodes to the zero value
  if (typeof s === "string") {
    switch (s) {
      case "string":
        return typeof v === "string" ? [] : [expected(path, s, v)];
      case "duration":
        return typeof v === "string" && isGoDuration(v)
          ? []
          : [expected(path, s, v, ` (a Go duration like "5s", "1m30s", "300ms")`)];
      case "int":
        return Number.isInteger(v) ? [] : [expected(path, s, v)];
      case "number":
        return typeof v === "number" ? [] : [expected(path, s, v)];
      case "bool":
        return typeof v === "boolean" ? [] : [expected(path, s, v)];
      case "object":
        return isMap(v) ? [] : [expected(path, s, v)];
    }
  }
  if ("list" in s)
    return Array.isArray(v) ? v.flatMap((x, i) => valueProblems(`${path}[${i}]`, s.list, x)) : [expected(path, s, v)];
  if ("map" in s)
    return isMap(v)
      ? Object.entries(v).flatMap(([k, x]) => valueProblems(`${path}.${k}`, s.map, x))
      : [expected(path, s, v)];
  if ("keys" in s) return isMap(v) ? keysProblems(path, s.keys, v) : [expected(path, s, v)];
  // oneOf: fine when one alternative fits; otherwise say what was allowed
  return s.oneOf.some((alt) => valueProblems(path, alt, v).length === 0) ? [] : [expected(path, s, v)];
}

function keysProblems(path: string, settings: Settings, v: Record<string, unknown>): string[] {
  const documented = Object.keys(settings);
  return Object.entries(v).flatMap(([key, value]) => {
    const s = settings[key];
    if (s === undefined)
      return [
        `${path}.${key}: unknown key; documented keys: ${documented.length ? documented.sort().join(", ") : "none"}`,
      ];
    return valueProblems(`${path}.${key}`, s, value);
  });
}

/**
 * Each component of receivers/processors/exporters/connectors/extensions (id `type` or `type/name`) against
 * its type's documented settings. A null component is fine: the chart's merge deletes it.
 */
export function settingsProblems(config: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const kind of KINDS) {
    const section = config[kind];
    if (section === undefined || section === null) continue;
    if (!isMap(section)) {
      out.push(`${kind}: expected a map of component ids, got ${typeName(section)}`);
      continue;
    }
    const known = COMPONENT_SETTINGS[kind];
    for (const [id, value] of Object.entries(section)) {
      if (value === null) continue;
      const written = id.split("/")[0] ?? id;
      const type = DEPRECATED_TYPES[kind]?.[written] ?? written;
      const settings = known[type];
      if (!settings) {
        out.push(
          `${kind}.${id}: unknown ${kind.slice(0, -1)} type "${written}"; documented types: ${Object.keys(known).join(", ")} (a new type needs its settings in collector-settings.ts)`,
        );
        continue;
      }
      out.push(...valueProblems(`${kind}.${id}`, { keys: settings }, value));
    }
  }
  return out;
}
