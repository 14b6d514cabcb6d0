import { z } from "zod";
import { describeIssues } from "../../contract";

/** Raised for invalid configuration; its message names every bad field and what is allowed. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid ${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const emptyIsUnset = (v: unknown) => (v === undefined || v === "" ? undefined : Number(v));

/** An integer environment variable in [min, max]; empty counts as unset. */
export function intVar(min: number, max: number, defaultValue?: number) {
  const message = `must be an integer from ${min} to ${max}`;
  const value = z
    .number({ error: message })
    .int({ error: message })
    .min(min, { error: message })
    .max(max, { error: message });
  return z.preprocess(emptyIsUnset, defaultValue === undefined ? value : value.default(defaultValue));
}

/** A decimal environment variable in [min, max]; empty counts as unset. */
export function numberVar(min: number, max: number, defaultValue: number) {
  const message = `must be a number from ${min} to ${max}`;
  const value = z.number({ error: message }).min(min, { error: message }).max(max, { error: message });
  return z.preprocess(emptyIsUnset, value.default(defaultValue));
}

/** A switch: `true` or `false` in any case, as the OpenTelemetry SDK reads its own; empty counts as unset. */
export function booleanVar(defaultValue: boolean) {
  const message = "must be true or false";
  const value = z.enum(["true", "false"], { error: message }).transform((v) => v === "true");
  const normalized = (v: unknown) => (v === undefined ? undefined : String(v).trim().toLowerCase() || undefined);
  return z.preprocess(normalized, value.default(defaultValue));
}

export function urlVar() {
  return z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });
}

/** The version a process reports when SERVICE_VERSION is unset (local runs): never mistaken for a release. */
export const LOCAL_SERVICE_VERSION = "0.0.0-dev";

/** A version as an image tag spells it (Docker's tag grammar); empty counts as unset. */
export function versionVar(defaultValue: string) {
  const message = "must be a version or image tag (letters, digits, _ . -; at most 128 characters)";
  const value = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { error: message });
  return z.preprocess((v) => (v === "" ? undefined : v), value.default(defaultValue));
}

/** Parses `env` with `schema`, or throws a ConfigError naming each bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      "environment",
      describeIssues(result.error, (path) => String(path[0] ?? "")),
    );
  }
  return result.data;
}
