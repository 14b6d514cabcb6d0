import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { coalesceValues } from "../charts/values-check";
import { repoRoot, type Values } from "../charts/values-files";
import { parseStackConfig, type StackConfig } from "./schema";

export const PLATFORM_CONFIG_KEY = "observability-platform:platform";

/** The `config:` map of `Pulumi.<stack>.yaml`, as Pulumi passes it to the program (objects as JSON). */
export function stackConfigFile(stack: string): Record<string, string> {
  const file = path.join(repoRoot(), `Pulumi.${stack}.yaml`);
  const doc = (parse(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  return Object.fromEntries(
    Object.entries(doc.config ?? {}).map(([key, value]) => [
      key,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

/** The validated `platform` object of a stack file. */
export function loadStackConfig(stack: string): StackConfig {
  return parseStackConfig(JSON.parse(stackConfigFile(stack)[PLATFORM_CONFIG_KEY] ?? "null"));
}

/**
 * A stack variant: the `platform` object of a file shaped like a stack file (`config:` →
 * `observability-platform:platform:` → the keys to change), to lay over a stack's own. docs/examples/ holds them.
 */
export function readStackOverlay(file: string): Values {
  const doc = (parse(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const platform = doc.config?.[PLATFORM_CONFIG_KEY];
  if (typeof platform !== "object" || platform === null || Array.isArray(platform))
    throw new Error(`${file}: no config."${PLATFORM_CONFIG_KEY}" map to lay over the stack`);
  return platform as Values;
}

/**
 * The stack file's config with `overlay` merged into its `platform` object as Helm merges values: maps merge,
 * lists and scalars replace, and a null removes the key (e.g. a `url` remote write's `url` when switching to AMP).
 */
export function stackConfigFileWith(stack: string, overlay?: Values): Record<string, string> {
  const file = stackConfigFile(stack);
  if (!overlay) return file;
  const platform = JSON.parse(file[PLATFORM_CONFIG_KEY] ?? "{}") as Values;
  return { ...file, [PLATFORM_CONFIG_KEY]: JSON.stringify(coalesceValues(platform, overlay)) };
}

/** The validated `platform` object of a stack file, with an overlay laid over it. */
export function loadStackConfigWith(stack: string, overlay?: Values): StackConfig {
  return parseStackConfig(JSON.parse(stackConfigFileWith(stack, overlay)[PLATFORM_CONFIG_KEY] ?? "null"));
}
