import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { repoRoot } from "../charts/values-files";
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
