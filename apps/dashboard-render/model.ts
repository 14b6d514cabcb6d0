/** Reading the parts of a Grafana dashboard JSON model the renderer draws, without trusting its shape. */

export type Json = Record<string, unknown>;

/** The model is not shaped as Grafana expects: the message names the field and what is allowed. */
export class DashboardModelError extends Error {
  override name = "DashboardModelError";
}

export const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** `value` as a list of objects (absent: empty); `field` names it in the error, e.g. `panels[3].panels`. */
export function objectList(value: unknown, field: string): Json[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new DashboardModelError(`${field} must be an array of objects`);
  return value.map((item, i) => {
    if (!isObject(item)) throw new DashboardModelError(`${field}[${i}] must be an object`);
    return item;
  });
}

/** A string field, or undefined when absent; anything else is an error naming the field. */
export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new DashboardModelError(`${field} must be a string`);
  return value;
}

/** How a panel is named in messages: its place in the model and its title. */
export function panelName(panel: Json, path: string): string {
  return typeof panel.title === "string" && panel.title !== "" ? `${path} "${panel.title}"` : `${path} (untitled)`;
}

/** `record[key]` for the record's own keys only: a panel type or colour named "constructor" finds nothing. */
export function lookup<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
