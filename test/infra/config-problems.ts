import { parseStackConfig, StackConfigError } from "../../infra/config/schema";
import { stackConfigFile } from "../../infra/preflight/collect";

/** The dev stack file's platform object, parsed from YAML but not validated. */
export const devConfig = () => JSON.parse(stackConfigFile("dev")["observability-platform:platform"] as string);

/** The problems the schema reports for the dev config after `edit`; none when it is valid. */
export function problemsOf(edit: (c: Record<string, any>) => void): string[] {
  const config = devConfig();
  edit(config);
  try {
    parseStackConfig(config);
  } catch (err) {
    if (err instanceof StackConfigError) return [...err.problems];
    throw err;
  }
  return [];
}
